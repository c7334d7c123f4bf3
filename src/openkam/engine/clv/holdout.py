"""Calibration/holdout check of a fitted purchase model.

The test of Fader, Hardie & Lee (2005), section 4: fit on the calibration period, then
compare, per customer, the predicted repeat occasions in the holdout period,
E[Y(t*) | x, t_x, T], with the actual ones, grouped by calibration frequency; and follow
the cumulative repeat occasions of the whole cohort period by period (the "tracking
curve"), where the prediction for a customer first seen at time -T_i (relative to the
calibration end) is E[X(tau + T_i)] for a new customer.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from openkam.engine.clv.bgnbd import BetaGeoModel
from openkam.engine.clv.data import summary_arrays, to_arrow
from openkam.engine.clv.pareto_nbd import ParetoNBDModel
from openkam.engine.clv.summary import TransactionSummary, day_offsets
from openkam.engine.clv.units import unit_days

__all__ = ["holdout_check"]


def _errors(predicted: np.ndarray, actual: np.ndarray) -> dict:
    total_actual = float(actual.sum())
    total_predicted = float(predicted.sum())
    return {
        "actual_total": total_actual,
        "predicted_total": total_predicted,
        "total_error_pct": (
            100.0 * (total_predicted - total_actual) / total_actual if total_actual else None
        ),
        "mae": float(np.mean(np.abs(predicted - actual))) if len(actual) else None,
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))) if len(actual) else None,
    }


def _tracking(model, T: np.ndarray, summary: TransactionSummary, duration: float) -> dict:
    days = unit_days(summary.time_unit)
    offsets, counts = day_offsets(summary)
    first_period = -int(np.ceil(T.max() - 1e-9)) + 1 if len(T) else 0
    last_period = int(np.ceil(duration - 1e-9))
    periods = np.arange(first_period, last_period + 1)
    # Period k covers (k - 1, k] time units after the calibration end; the calibration end
    # itself closes period 0.
    ends = periods.astype(float)
    ends[-1] = min(ends[-1], duration)
    actual_per = np.zeros(len(periods))
    if len(offsets):
        k = np.ceil(offsets / days - 1e-9).astype(int)
        np.add.at(actual_per, np.clip(k - first_period, 0, len(periods) - 1), counts)
    ages, n_at = np.unique(T, return_counts=True)
    since_first = np.maximum(ends[None, :] + ages[:, None], 0.0)
    predicted = n_at @ model.expected_purchases_new_customer(since_first)
    actual = np.cumsum(actual_per)
    cal_end = summary.calibration_end
    return {
        "period": periods.tolist(),
        "period_end": [
            (cal_end + dt.timedelta(days=int(np.floor(e * days + 1e-9)))).isoformat() for e in ends
        ],
        "actual_cumulative": actual.tolist(),
        "predicted_cumulative": predicted.tolist(),
        "calibration_periods": int(np.sum(periods <= 0)),
        **{
            f"holdout_{k}": v
            for k, v in _errors(
                np.diff(predicted[periods >= 0]), np.diff(actual[periods >= 0])
            ).items()
            if k in ("mae", "rmse")
        },
    }


def holdout_check(model: BetaGeoModel | ParetoNBDModel, summary, *, max_frequency: int = 7) -> dict:
    """Predicted against actual repeat occasions in the holdout period.

    Parameters
    ----------
    model
        A fitted BG/NBD or Pareto/NBD model.
    summary
        A summary with the holdout columns ``frequency_holdout`` and ``duration_holdout``
        (from :func:`~openkam.engine.clv.summary.rfm_summary` with ``holdout_end``). A
        :class:`~openkam.engine.clv.summary.TransactionSummary` also gives the tracking curve.
    max_frequency
        Calibration frequencies above it are pooled into one ``"<max>+"`` group.

    Returns
    -------
    dict
        ``duration`` (holdout length in model units), ``n_customers``, ``actual_total``,
        ``predicted_total``, ``total_error_pct`` (100 (predicted - actual) / actual),
        per-customer ``mae`` and ``rmse``, ``by_frequency`` (per calibration frequency:
        customers, mean actual and mean predicted holdout occasions) and, when the daily
        repeat occasions are known, ``tracking`` (cumulative actual and predicted repeat
        occasions of the cohort at the end of every period, with the holdout per-period
        MAE and RMSE).
    """
    table = to_arrow(summary)
    for col in ("frequency_holdout", "duration_holdout"):
        if col not in table.column_names:
            raise ValueError(
                f"holdout check: the summary has no {col!r}; summarise with a holdout end date"
            )
    s = summary_arrays(table, model="holdout check", min_customers=1)
    actual = np.asarray(table.column("frequency_holdout").to_numpy(zero_copy_only=False), float)
    duration = float(table.column("duration_holdout")[0].as_py())
    predicted = model.expected_purchases(duration, s.frequency, s.recency, s.T)
    groups = []
    for f in range(max_frequency + 1):
        mask = s.frequency >= f if f == max_frequency else s.frequency == f
        n = int(mask.sum())
        groups.append(
            {
                "frequency": f"{f}+" if f == max_frequency else str(f),
                "customers": n,
                "actual_mean": float(actual[mask].mean()) if n else None,
                "predicted_mean": float(predicted[mask].mean()) if n else None,
            }
        )
    result = {
        "model": model.name,
        "duration": duration,
        "n_customers": len(s),
        **_errors(predicted, actual),
        "by_frequency": groups,
    }
    if isinstance(summary, TransactionSummary) and summary.repeat_occasions_by_day is not None:
        result["time_unit"] = summary.time_unit
        result["tracking"] = _tracking(model, s.T, summary, duration)
    return result
