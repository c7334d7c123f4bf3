"""Weighted scoring of the portfolio, with each criterion's contribution kept visible.

For an account *a* and an axis (customer attractiveness, or our relative strength) with
criteria *i* of weight wᵢ, each raw value xᵢₐ is normalised to nᵢₐ ∈ [0, 1] across the
portfolio (or on a fixed scale), turned round when lower is better, and

    score_a = 10 · Σᵢ wᵢ nᵢₐ / Σᵢ wᵢ                       (0–10)

where the sums run over the criteria that count for *a* (a criterion whose missing-value rule
is ``exclude`` drops out for an account without a value, and the other weights are
re-scaled). The contribution of criterion *i* is 10 · wᵢ nᵢₐ / Σᵢ wᵢ, so the contributions add
up to the score. This is the weighted-factor scoring of the directional policy matrix
(McDonald, Millman & Rogers, *Key Account Management*, 1997; McDonald & Rogers 2017) applied
to both sides of Cheverton's mutual attractiveness (Cheverton, *Key Account Management*, 2012).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.stats import rankdata

from openkam.engine.selection.criteria import Criterion

__all__ = ["AxisArrays", "AxisScore", "Contribution", "normalise", "score_arrays", "score_axis"]


@dataclass(frozen=True)
class Contribution:
    """One criterion's part in one account's score."""

    key: str
    raw: float | None
    normalised: float | None
    weight: float
    points: float
    missing: bool
    rule: str

    def as_dict(self) -> dict:
        return {
            "criterion": self.key,
            "raw": self.raw,
            "normalised": None if self.normalised is None else round(self.normalised, 4),
            "weight": self.weight,
            "points": round(self.points, 4),
            "missing": self.missing,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class AxisScore:
    """An account's score on one axis and its contributions."""

    score: float
    contributions: tuple[Contribution, ...]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def normalise(values: Sequence[float | None], criterion: Criterion) -> list[float | None]:
    """Normalise one criterion's raw values across the portfolio to [0, 1] (None stays None).

    ``minmax``: (x − min)/(max − min), 1 for everyone when all values are equal;
    ``rank``: (rank − 1)/(n − 1) with average ranks for ties (percentile rank);
    ``scale``: (x − low)/(high − low) clipped to [0, 1]. ``direction="lower"`` maps n to 1 − n.
    """
    idx = [i for i, v in enumerate(values) if _present(v)]
    x = np.array([float(values[i]) for i in idx], dtype=float)
    n = np.empty_like(x)
    if len(x):
        if criterion.normalisation == "scale":
            low, high = criterion.scale
            n = np.clip((x - low) / (high - low), 0.0, 1.0)
        elif criterion.normalisation == "rank":
            n = (rankdata(x) - 1) / (len(x) - 1) if len(x) > 1 else np.ones_like(x)
        else:
            span = x.max() - x.min()
            n = (x - x.min()) / span if span > 0 else np.ones_like(x)
        if criterion.direction == "lower":
            n = 1.0 - n
    out: list[float | None] = [None] * len(values)
    for j, i in enumerate(idx):
        out[i] = float(n[j])
    return out


@dataclass(frozen=True)
class AxisArrays:
    """One axis scored for the whole portfolio as arrays (rows: accounts, columns: criteria).

    ``raw`` holds NaN for missing values; ``normalised`` the value used (after the
    missing-value rule; NaN where ``exclude`` drops the criterion); ``weight`` the weight
    that counts; ``points`` each criterion's points; ``assessed`` whether the account has
    a value for at least one criterion of the axis.
    """

    accounts: list[str]
    criteria: tuple[Criterion, ...]
    raw: np.ndarray
    normalised: np.ndarray
    missing: np.ndarray
    weight: np.ndarray
    points: np.ndarray
    score: np.ndarray
    assessed: np.ndarray

    @cached_property
    def _lists(self) -> tuple:
        # Plain Python lists, rounded once for the whole portfolio: building the dicts
        # account by account from NumPy scalars was most of a review's time.
        return (
            self.raw.tolist(),
            np.round(self.normalised, 4).tolist(),
            self.weight.tolist(),
            np.round(self.points, 4).tolist(),
            self.missing.tolist(),
        )

    def contributions(self, i: int) -> list[dict]:
        """Account ``i``'s contributions as JSON-ready dicts (:meth:`Contribution.as_dict`)."""
        raw, norm, weight, points, missing = (x[i] for x in self._lists)
        return [
            {
                "criterion": c.key,
                "raw": None if missing[k] else raw[k],
                "normalised": None if norm[k] != norm[k] else norm[k],  # NaN: left out
                "weight": weight[k],
                "points": points[k],
                "missing": missing[k],
                "rule": c.missing if missing[k] else c.normalisation,
            }
            for k, c in enumerate(self.criteria)
        ]


def _column(values, accounts, key) -> np.ndarray:
    col = np.empty(len(accounts), dtype=float)
    for i, a in enumerate(accounts):
        v = values[a].get(key)
        col[i] = float(v) if _present(v) else np.nan
    return col


def score_arrays(
    values: Mapping[str, Mapping[str, float | None]], criteria: Sequence[Criterion]
) -> AxisArrays:
    """Score every account on one axis, vectorised (same rules as :func:`score_axis`)."""
    accounts = list(values)
    criteria = tuple(criteria)
    n, k = len(accounts), len(criteria)
    raw = np.full((n, k), np.nan)
    norm = np.full((n, k), np.nan)
    for j, c in enumerate(criteria):
        col = _column(values, accounts, c.key)
        raw[:, j] = col
        present = ~np.isnan(col)
        x = col[present]
        if len(x):
            if c.normalisation == "scale":
                low, high = c.scale
                y = np.clip((x - low) / (high - low), 0.0, 1.0)
            elif c.normalisation == "rank":
                y = (rankdata(x) - 1) / (len(x) - 1) if len(x) > 1 else np.ones_like(x)
            else:
                span = x.max() - x.min()
                y = (x - x.min()) / span if span > 0 else np.ones_like(x)
            if c.direction == "lower":
                y = 1.0 - y
            norm[present, j] = y
            # With nothing known, a neutral 0.5 stands in for the median.
            median = float(np.median(y))
        else:
            median = 0.5
        fill = {"worst": 0.0, "median": median, "exclude": np.nan}[c.missing]
        norm[~present, j] = fill
    missing = np.isnan(raw)
    w = np.array([c.weight for c in criteria], dtype=float)
    counts = ~np.isnan(norm)
    weight = np.where(counts, w[None, :], 0.0)
    total = weight.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    points = np.where(counts & (total[:, None] > 0), 10.0 * weight * np.nan_to_num(norm), 0.0)
    points = points / safe[:, None]
    weight = np.where(total[:, None] > 0, weight, 0.0)
    return AxisArrays(
        accounts=accounts,
        criteria=criteria,
        raw=raw,
        normalised=norm,
        missing=missing,
        weight=weight,
        points=points,
        score=points.sum(axis=1),
        assessed=(~missing).any(axis=1) if k else np.zeros(n, dtype=bool),
    )


def score_axis(
    values: Mapping[str, Mapping[str, float | None]], criteria: Sequence[Criterion]
) -> dict[str, AxisScore]:
    """Score every account on one axis.

    Parameters
    ----------
    values
        ``{account_id: {criterion_key: raw value or None}}``; an absent key is missing.
    criteria
        The criteria of the axis (weights > 0).

    Returns
    -------
    dict
        ``{account_id: AxisScore}``. An account with no counting criterion scores 0.
    """
    arr = score_arrays(values, criteria)
    out = {}
    for i, a in enumerate(arr.accounts):
        contributions = tuple(
            Contribution(
                key=c.key,
                raw=None if arr.missing[i, k] else float(arr.raw[i, k]),
                normalised=None
                if math.isnan(arr.normalised[i, k])
                else float(arr.normalised[i, k]),
                weight=float(arr.weight[i, k]),
                points=float(arr.points[i, k]),
                missing=bool(arr.missing[i, k]),
                rule=c.missing if arr.missing[i, k] else c.normalisation,
            )
            for k, c in enumerate(arr.criteria)
        )
        out[a] = AxisScore(score=float(arr.score[i]), contributions=contributions)
    return out
