"""Per-customer summaries of a transaction log, on every engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from openkam.engine.backends import from_arrow
from openkam.engine.clv import rfm_summary, summarise_transactions

D = dt.date


def _log() -> pa.Table:
    # Customer A: first day Jan 1 (two records: one occasion worth 10 + 5 = 15), repeat days
    # Jan 8 (20) and Jan 22 (two records 30 + 10 = 40); holdout Feb 5 (7); after holdout
    # Mar 30 (ignored).
    # Customer B: one purchase Jan 15 (12), nothing else.
    # Customer C: first purchase after the calibration end (Feb 1): not in the summary.
    rows = [
        ("A", D(2020, 1, 1), 10.0),
        ("A", D(2020, 1, 1), 5.0),
        ("A", D(2020, 1, 8), 20.0),
        ("A", D(2020, 1, 22), 30.0),
        ("A", D(2020, 1, 22), 10.0),
        ("A", D(2020, 2, 5), 7.0),
        ("A", D(2020, 3, 30), 99.0),
        ("B", D(2020, 1, 15), 12.0),
        ("C", D(2020, 2, 1), 8.0),
    ]
    cust, date, value = zip(*rows, strict=True)
    return pa.table({"cust": list(cust), "day": list(date), "amount": list(value)})


CAL_END = D(2020, 1, 29)  # a Wednesday; 28 days after Jan 1
HOLD_END = D(2020, 2, 26)  # 28 days after the calibration end


def test_summary_by_hand(engine):
    lf = from_arrow(_log(), engine)
    out = (
        rfm_summary(
            lf,
            customer_col="cust",
            date_col="day",
            value_col="amount",
            calibration_end=CAL_END,
            holdout_end=HOLD_END,
            time_unit="week",
        )
        .collect("pyarrow")
        .to_native()
        .sort_by("customer_id")
        .to_pylist()
    )
    # Hand calculation: A has occasions on days 0, 7, 21 -> x = 2, t_x = 21/7 = 3 weeks,
    # T = 28/7 = 4 weeks, mean repeat value (20 + 40)/2 = 30; one holdout occasion of 7.
    # B: x = 0, t_x = 0, T = 14/7 = 2 weeks, monetary 0. Holdout lasts 28/7 = 4 weeks.
    assert out == [
        {
            "customer_id": "A",
            "frequency": 2,
            "recency": 3.0,
            "T": 4.0,
            "monetary_value": 30.0,
            "frequency_holdout": 1,
            "duration_holdout": 4.0,
            "monetary_value_holdout": 7.0,
        },
        {
            "customer_id": "B",
            "frequency": 0,
            "recency": 0.0,
            "T": 2.0,
            "monetary_value": 0.0,
            "frequency_holdout": 0,
            "duration_holdout": 4.0,
            "monetary_value_holdout": 0.0,
        },
    ]


def test_summarise_reports_what_it_leaves_out():
    lf = from_arrow(_log())
    s = summarise_transactions(
        lf, customer_col="cust", date_col="day", calibration_end=CAL_END, time_unit="day"
    )
    # Without a holdout everything after Jan 29 is ignored: Feb 5, Mar 30 (A) and Feb 1 (C).
    assert s.table.column_names == ["customer_id", "frequency", "recency", "T"]
    assert s.table.column("T").to_pylist() == [28.0, 14.0]
    assert any("3 record(s) dated after the calibration end" in w for w in s.warnings)
    assert any("1 customer(s) whose first purchase is after" in w for w in s.warnings)
    # Repeat occasions per day: A's days 7 and 21 after its first purchase.
    days = s.repeat_occasions_by_day.column("day").to_pylist()
    assert days == [D(2020, 1, 8).toordinal(), D(2020, 1, 22).toordinal()]


def test_negative_net_days_are_reported():
    t = pa.concat_tables(
        [_log(), pa.table({"cust": ["B"], "day": [D(2020, 1, 15)], "amount": [-20.0]})]
    )
    s = summarise_transactions(
        from_arrow(t),
        customer_col="cust",
        date_col="day",
        value_col="amount",
        calibration_end=CAL_END,
    )
    # B's only day nets to 12 - 20 = -8.
    assert any(
        "1 customer(s) have purchase days with a negative net value" in w and "B" in w
        for w in s.warnings
    )


@pytest.mark.parametrize(
    "dates",
    [
        pa.array([20200101, 20200108, 20200122]),
        pa.array(["20200101", "20200108", "20200122"]),
        pa.array(["2020-01-01", "2020-01-08", "2020-01-22"]),
        pa.array(["2020-01-01T09:30:00", "2020-01-08 23:59:59", "2020-01-22"]),
        pa.array(
            [dt.datetime(2020, 1, 1, 9), dt.datetime(2020, 1, 8, 23), dt.datetime(2020, 1, 22)]
        ),
    ],
    ids=["int-yyyymmdd", "str-yyyymmdd", "iso", "iso-with-time", "timestamp"],
)
def test_date_formats(dates):
    t = pa.table({"customer_id": ["A", "A", "A"], "date": dates})
    out = rfm_summary(t, calibration_end="2020-01-29", time_unit="day").collect("pyarrow")
    # Days 0, 7 and 21 of a customer first seen 28 days before the end.
    assert out.to_native().to_pylist() == [
        {"customer_id": "A", "frequency": 2, "recency": 21.0, "T": 28.0}
    ]


def test_month_unit_and_bad_windows():
    t = pa.table({"customer_id": ["A", "A"], "date": [D(2020, 1, 1), D(2020, 3, 1)]})
    out = rfm_summary(t, calibration_end="2020-12-31", time_unit="month").collect("pyarrow")
    row = out.to_native().to_pylist()[0]
    # 60 days (2020 is a leap year) over a mean Gregorian month of 365.2425/12 days.
    assert row["recency"] == pytest.approx(60 / (365.2425 / 12))
    with pytest.raises(ValueError, match="unknown time unit"):
        rfm_summary(t, calibration_end="2020-12-31", time_unit="fortnight")
    with pytest.raises(ValueError, match="must be after the calibration end"):
        rfm_summary(t, calibration_end="2020-12-31", holdout_end="2020-06-30")
    with pytest.raises(ValueError, match="missing column"):
        rfm_summary(t, customer_col="client", calibration_end="2020-12-31")


def test_cdnow_summary_matches_the_published_one(cdnow_summary, published_summary):
    # Hardie's CDNOW summary (2,357 customers, 2-decimal weeks): ours agrees to rounding.
    table = cdnow_summary.table
    assert table.num_rows == 2357
    order = np.argsort(np.array(table.column("customer_id").to_pylist(), dtype=int))
    ref = published_summary
    assert np.array_equal(table.column("frequency").to_numpy()[order], ref["x"])
    for ours, theirs in [("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")]:
        np.testing.assert_allclose(table.column(ours).to_numpy()[order], ref[theirs], atol=0.0051)
    # Every record is inside the 78 weeks: nothing ignored.
    assert cdnow_summary.warnings == []
