"""The functions behind `openkam clv fit` and the holdout check, on CDNOW files."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from openkam.engine.clv import BetaGeoModel, fit_transactions_file, holdout_check

#: Fader, Hardie & Lee (2005): calibration weeks 1-39 of 1997, holdout weeks 40-78.
CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory, cdnow_transactions):
    """The CDNOW sample as a CSV with ISO dates, as a user would export it."""
    t = cdnow_transactions
    iso = [
        dt.datetime.strptime(str(v), "%Y%m%d").date().isoformat()
        for v in t.column("yyyymmdd").to_pylist()
    ]
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    pacsv.write_csv(
        pa.table({"cust": t.column("customer"), "when": iso, "amount": t.column("dollars")}), path
    )
    return path


def test_fit_bgnbd_with_holdout_from_csv(cdnow_csv):
    out = fit_transactions_file(
        cdnow_csv,
        "cust",
        "when",
        "amount",
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
    )
    json.dumps(out)  # JSON-ready as the CLI prints it
    assert {"model", "params", "std_errors", "log_likelihood", "n_customers", "holdout"} <= set(out)
    assert out["model"] == "bgnbd" and out["n_customers"] == 2357
    # Fader, Hardie & Lee (2005).
    assert out["params"]["r"] == pytest.approx(0.243, rel=0.01)
    assert out["log_likelihood"] == pytest.approx(-9582.4, abs=0.5)
    h = out["holdout"]
    assert h["duration"] == 39.0
    # 1,411 of the 2,357 customers made no repeat purchase in the calibration period
    # (Fader, Hardie & Lee 2005, section 4).
    assert h["by_frequency"][0]["frequency"] == "0"
    assert h["by_frequency"][0]["customers"] == 1411
    assert h["by_frequency"][-1]["frequency"] == "7+"
    assert sum(g["customers"] for g in h["by_frequency"]) == 2357
    assert h["total_error_pct"] == pytest.approx(
        100 * (h["predicted_total"] - h["actual_total"]) / h["actual_total"]
    )
    tr = h["tracking"]
    # 78 weeks: 39 calibration weeks (-38..0) and 39 holdout weeks (1..39).
    assert tr["period"][0] == -38 and tr["period"][-1] == 39 and tr["calibration_periods"] == 39
    assert tr["period_end"][0] == "1997-01-07" and tr["period_end"][-1] == HOLDOUT_END
    # The tracking curve ends where the per-customer counts do.
    week0 = tr["period"].index(0)
    assert tr["actual_cumulative"][week0] == 2457  # sum of calibration frequencies
    assert tr["actual_cumulative"][-1] - tr["actual_cumulative"][week0] == h["actual_total"]


def test_holdout_check_by_hand(cdnow_summary):
    model = BetaGeoModel()
    model.fit(cdnow_summary)
    out = holdout_check(model, cdnow_summary.table)  # a plain table: no tracking curve
    s = cdnow_summary.table
    x, t_x, T = (s.column(c).to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    predicted = model.expected_purchases(39.0, x, t_x, T)
    actual = s.column("frequency_holdout").to_numpy()
    assert out["predicted_total"] == pytest.approx(predicted.sum())
    assert out["actual_total"] == actual.sum()
    assert out["mae"] == pytest.approx(np.mean(np.abs(predicted - actual)))
    assert out["rmse"] == pytest.approx(np.sqrt(np.mean((predicted - actual) ** 2)))
    assert "tracking" not in out
    with pytest.raises(ValueError, match="no 'frequency_holdout'"):
        holdout_check(model, s.drop_columns(["frequency_holdout"]))


def test_fit_gg_and_pnbd_from_parquet(tmp_path, cdnow_transactions):
    path = tmp_path / "cdnow.parquet"
    pq.write_table(cdnow_transactions, path)  # dates as YYYYMMDD integers
    gg = fit_transactions_file(
        path,
        "customer",
        "yyyymmdd",
        "dollars",
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
        model="gg",
    )
    assert gg["params"]["p"] == pytest.approx(6.25, abs=0.006)
    assert gg["warnings"] == ["gg: 1411 customer(s) without repeat purchases excluded from the fit"]
    assert gg["holdout"]["n_customers"] > 0
    pnbd = fit_transactions_file(
        path, "customer", "yyyymmdd", calibration_end=CALIBRATION_END, model="pnbd"
    )
    assert pnbd["params"]["s"] == pytest.approx(0.61, abs=0.01)
    # Without a holdout the later records are ignored, and said so.
    assert any("dated after the calibration end" in w for w in pnbd["warnings"])
    assert "holdout" not in pnbd


def test_bad_requests(tmp_path, cdnow_csv):
    with pytest.raises(ValueError, match="needs a value column"):
        fit_transactions_file(
            cdnow_csv, "cust", "when", calibration_end=CALIBRATION_END, model="gg"
        )
    with pytest.raises(ValueError, match="unknown model"):
        fit_transactions_file(cdnow_csv, "cust", "when", calibration_end=CALIBRATION_END, model="x")
    with pytest.raises(ValueError, match="missing column\\(s\\) customer"):
        fit_transactions_file(cdnow_csv, "customer", "when", calibration_end=CALIBRATION_END)
    with pytest.raises(FileNotFoundError):
        fit_transactions_file(tmp_path / "nope.csv", "a", "b", calibration_end=CALIBRATION_END)
