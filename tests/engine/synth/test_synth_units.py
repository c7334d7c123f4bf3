"""Building blocks of the generator, against hand calculations and reference implementations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import narwhals as nw
import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from openkam.engine.backends import scan_parquet
from openkam.engine.schema import MONEY, PRICE
from openkam.engine.synth.columns import dates, decimals, epoch_day, numbered_ids
from openkam.engine.synth.orders import poisson_quantile
from openkam.engine.synth.pools import calibrate_level, whale_peak
from openkam.engine.synth.timeline import Calendar, add_years


def test_numbered_ids_are_zero_padded_and_fixed_width():
    ids = numbered_ids("INV-", np.array([1, 42, 9_999_999_999]), 10)
    assert ids.to_pylist() == ["INV-0000000001", "INV-0000000042", "INV-9999999999"]
    with pytest.raises(ValueError):
        numbered_ids("INV-", np.array([10**10]), 10)


def test_decimals_are_exact_including_negatives():
    assert decimals(np.array([12345, -5, 0]), MONEY).to_pylist() == [
        Decimal("123.45"),
        Decimal("-0.05"),
        Decimal("0.00"),
    ]
    # 1.2345 EUR in units of 1e-4.
    assert decimals(np.array([12345]), PRICE).to_pylist() == [Decimal("1.2345")]


def test_dates_with_nulls():
    day = epoch_day(dt.date(2024, 2, 29))
    col = dates(np.array([day, 0, day + 1]), np.array([True, False, True]))
    assert col.type == pa.date32()
    assert col.to_pylist() == [dt.date(2024, 2, 29), None, dt.date(2024, 3, 1)]


def test_business_days_by_hand():
    cal = Calendar.build(dt.date(2023, 1, 1), 1)
    # January 2023 starts on a Sunday: weekdays 2-6, 9-13, 16-20, 23-27, 30-31 = 22.
    assert cal.bd_hi[0] - cal.bd_lo[0] == 22
    # 2023: 52 weeks and a Sunday = 260 weekdays; 25 December was a Monday, 1 January a Sunday.
    assert len(cal.business_days) == 259
    assert cal.months == 12


def test_a_window_starting_mid_month_has_a_partial_first_month():
    cal = Calendar.build(dt.date(2024, 2, 29), 1)
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert cal.months == 13  # 29 Feb 2024 .. 27 Feb 2025
    assert cal.month_hi[0] - cal.month_lo[0] == 1


def test_poisson_quantile_matches_scipy_below_the_switch_and_is_close_above():
    rng = np.random.default_rng(0)
    u = rng.random(5000)
    small = rng.uniform(0, 30, 5000)
    np.testing.assert_array_equal(poisson_quantile(u, small), stats.poisson.ppf(u, small))
    large = rng.uniform(30, 1e6, 5000)
    assert np.abs(poisson_quantile(u, large) - stats.poisson.ppf(u, large)).max() <= 1


def test_poisson_quantile_never_decreases_with_the_mean():
    # Monotonicity is what makes the line-count bisection well defined.
    u = np.full(400, 0.37)
    means = np.linspace(0, 200, 400)
    assert np.all(np.diff(poisson_quantile(u, means)) >= 0)


def test_whale_peak_and_the_cost_level_by_hand():
    base = np.array([100.0, 50.0, 20.0])
    cts = np.array([0.0, 0.0, 40.0])
    # Level 1: contributions 100, 50, -20 -> peak 150 / 130.
    assert whale_peak(base, cts, 1.0) == pytest.approx(150 / 130)
    # Peak 2 needs 150 / (170 - 40 L) = 2, i.e. L = 2.375 (third account at -75).
    assert calibrate_level(base, cts, peak=2.0) == pytest.approx(2.375)


def test_the_ledger_reads_the_same_on_every_engine(demo, engine, sql):
    frame = scan_parquet(demo.data_dir / "ledger" / "invoices", engine)
    per_account = (
        frame.group_by("account_id")
        .agg(nw.col("discount_amount").sum().alias("discount"))
        .collect(backend="pyarrow")
        .to_native()
    )
    expected = sql.execute(
        "select count(distinct account_id), sum(discount_amount) from invoices"
    ).fetchone()
    assert per_account.num_rows == expected[0]
    total = sum(per_account.column("discount").to_pylist(), Decimal(0))
    assert total == expected[1]
