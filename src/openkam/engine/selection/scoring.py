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

import numpy as np
from scipy.stats import rankdata

from openkam.engine.selection.criteria import Criterion

__all__ = ["AxisScore", "Contribution", "normalise", "score_axis"]


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
    accounts = list(values)
    normalised: dict[str, list[float | None]] = {}
    medians: dict[str, float] = {}
    for c in criteria:
        col = normalise([values[a].get(c.key) for a in accounts], c)
        normalised[c.key] = col
        present = [v for v in col if v is not None]
        # With nothing known, a neutral 0.5 stands in for the median.
        medians[c.key] = float(np.median(present)) if present else 0.5

    out = {}
    for j, a in enumerate(accounts):
        parts = []
        for c in criteria:
            n = normalised[c.key][j]
            missing = n is None
            if missing:
                n = {"worst": 0.0, "median": medians[c.key], "exclude": None}[c.missing]
            parts.append((c, values[a].get(c.key), n, missing))
        total_weight = sum(c.weight for c, _, n, _ in parts if n is not None)
        contributions = []
        for c, raw, n, missing in parts:
            counts = n is not None and total_weight > 0
            contributions.append(
                Contribution(
                    key=c.key,
                    raw=float(raw) if _present(raw) else None,
                    normalised=n,
                    weight=c.weight if counts else 0.0,
                    points=10.0 * c.weight * n / total_weight if counts else 0.0,
                    missing=missing,
                    rule=c.missing if missing else c.normalisation,
                )
            )
        out[a] = AxisScore(
            score=sum(p.points for p in contributions), contributions=tuple(contributions)
        )
    return out
