"""One call per CLI command: files and plain values in, JSON-ready dicts out.

``openkam clv fit`` and ``openkam clv sbg`` print what these functions return.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from openkam.engine.backends import Engine
from openkam.engine.clv.bgnbd import BetaGeoModel
from openkam.engine.clv.gamma_gamma import GammaGammaModel
from openkam.engine.clv.holdout import holdout_check
from openkam.engine.clv.pareto_nbd import ParetoNBDModel
from openkam.engine.clv.sbg import ShiftedBetaGeometricModel
from openkam.engine.clv.summary import summarise_transactions
from openkam.engine.clv.transactions import read_transactions

__all__ = ["MODELS", "fit_sbg_survivors", "fit_transactions_file"]

#: Model names accepted by :func:`fit_transactions_file`.
MODELS = {"bgnbd": BetaGeoModel, "pnbd": ParetoNBDModel, "gg": GammaGammaModel}


def _result_dict(result) -> dict:
    d = result.to_dict()
    return {
        "model": d["model"],
        "params": d["params"],
        "std_errors": d["std_errors"],
        "log_likelihood": d["log_likelihood"],
        "n_customers": d["n_customers"],
        "converged": d["converged"],
        "warnings": d["warnings"],
        "time_unit": d["time_unit"],
    }


def _spend_holdout(model: GammaGammaModel, table) -> dict:
    x = table.column("frequency").to_numpy().astype(float)
    m = table.column("monetary_value").to_numpy()
    n_hold = table.column("frequency_holdout").to_numpy()
    actual = table.column("monetary_value_holdout").to_numpy()
    mask = n_hold > 0
    predicted = model.expected_value_per_occasion(x[mask], m[mask])
    ok = np.isfinite(predicted)
    predicted, actual = predicted[ok], actual[mask][ok]
    return {
        "model": "gg",
        "n_customers": int(ok.sum()),
        "actual_mean_value": float(actual.mean()) if ok.any() else None,
        "predicted_mean_value": float(predicted.mean()) if ok.any() else None,
        "mae": float(np.mean(np.abs(predicted - actual))) if ok.any() else None,
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))) if ok.any() else None,
    }


def fit_transactions_file(
    path: str | Path,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str | None = None,
    time_unit: str = "week",
    model: str = "bgnbd",
    engine: Engine = "duckdb",
) -> dict:
    """Summarise a transaction file, fit one model and (optionally) check it on a holdout.

    Parameters
    ----------
    path
        CSV (with a header row) or Parquet file, or a folder of Parquet files.
    customer_col, date_col, value_col
        Column names; the value column is required for ``model="gg"``.
    calibration_end, holdout_end
        Last days (inclusive) of the calibration and holdout periods.
    time_unit
        ``day``, ``week`` or ``month``.
    model
        ``bgnbd``, ``pnbd`` or ``gg``.

    Returns
    -------
    dict
        ``{"model", "params", "std_errors", "log_likelihood", "n_customers", "converged",
        "warnings", "time_unit"}`` and ``"holdout"`` (see
        :func:`~openkam.engine.clv.holdout.holdout_check`) when ``holdout_end`` is given.
        The warnings include what the summary left out (records after the last day,
        customers first seen after the calibration end).
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if model == "gg" and not value_col:
        raise ValueError("the Gamma-Gamma model needs a value column (--value-col)")
    transactions = read_transactions(
        path, customer_col=customer_col, date_col=date_col, value_col=value_col, engine=engine
    )
    summary = summarise_transactions(
        transactions,
        value_col="value" if value_col else None,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
    )
    fitted = MODELS[model]()
    result = fitted.fit(summary, time_unit=time_unit)
    result.warnings = summary.warnings + result.warnings
    out = _result_dict(result)
    if holdout_end is not None:
        if model == "gg":
            out["holdout"] = _spend_holdout(fitted, summary.table)
        else:
            out["holdout"] = holdout_check(fitted, summary)
    return out


def fit_sbg_survivors(survivors: list[int], horizon: int | None = None) -> dict:
    """Fit the shifted-beta-geometric model to a cohort's survivors and project them.

    Parameters
    ----------
    survivors
        n_0, n_1, ..., n_T: customers still active at the start and after each period.
    horizon
        Last period projected; defaults to the observed periods (T), which puts the fitted
        curve beside the data.

    Returns
    -------
    dict
        ``{"params": {"alpha", "beta"}, "std_errors", "log_likelihood", "converged",
        "warnings", "projected_survivors": [n_0 S(0), ..., n_0 S(horizon)],
        "retention_rates": [r_1, ..., r_horizon]}``.
    """
    model = ShiftedBetaGeometricModel()
    result = model.fit_survivors(survivors)
    h = len(survivors) - 1 if horizon is None else int(horizon)
    if h < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon}")
    d = result.to_dict()
    return {
        "params": d["params"],
        "std_errors": d["std_errors"],
        "log_likelihood": d["log_likelihood"],
        "converged": d["converged"],
        "warnings": d["warnings"],
        "projected_survivors": model.projected_survivors(float(survivors[0]), h).tolist(),
        "retention_rates": model.retention_rate(np.arange(1, h + 1)).tolist(),
    }
