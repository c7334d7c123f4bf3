"""Conservation of pool cost (hypothesis, DuckDB) and DuckDB = Spark on a richer ledger."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profitability_ledgers import HAND_HIERARCHY, rich_ledger, write_ledger

from openkam.engine.profitability import (
    compute_profitability,
    compute_profitability_grains,
    profitability_report,
)
from openkam.engine.profitability.money import to_cents
from openkam.engine.profitability.periods import coarser_keys

MONTH_STARTS = [dt.date(2024, m, 1) for m in range(1, 7)]

pool_periods = st.lists(
    st.tuples(
        st.sampled_from(["orders", "visits", "support"]),
        st.integers(0, 5),  # first month
        st.integers(1, 3),  # months long
        st.decimals("0.01", "99999.99", places=2),  # cost
        st.decimals("0.001", "5000", places=3),  # capacity
    ),
    min_size=1,
    max_size=5,
)


@st.composite
def ledgers(draw):
    pools, taken = [], set()
    for name, first, length, cost, capacity in draw(pool_periods):
        months = range(first, min(first + length, 6))
        if any((name, m) in taken for m in months):
            continue  # overlapping periods are an input error, tested elsewhere
        taken.update((name, m) for m in months)
        start = MONTH_STARTS[months[0]]
        end = (MONTH_STARTS[months[-1]] + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(
            days=1
        )
        pools.append((name, start, end, cost, capacity, "unit"))
    covered = sorted(taken)
    activities = []
    for i, ((name, month), day, account, quantity) in enumerate(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from(covered),
                    st.integers(1, 28),
                    st.sampled_from(["a1", "a2", "a3", "a4"]),
                    st.decimals("0.001", "2000", places=3),
                ),
                max_size=25,
            )
        )
    ):
        activities.append((dt.date(2024, month + 1, day), account, name, quantity, f"x{i}"))
    return pools, activities


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.sampled_from(["month", "quarter", "year"]))
def test_allocated_plus_unused_is_the_pool_cost_to_the_cent(ledger, period):
    pools, activities = ledger
    with tempfile.TemporaryDirectory() as tmp:
        data = write_ledger(Path(tmp), activities=activities, cost_pools=pools)
        result = compute_profitability(data, period)
    table = result.pools
    cost, allocated, unused = (to_cents(table[c]) for c in ("cost", "allocated", "unused"))
    np.testing.assert_array_equal(allocated + unused, cost)
    assert sorted(to_cents(table["cost"]).tolist()) == sorted(
        int(Decimal(p[3]) * 100) for p in pools
    )
    # Every allocated cent is in some account's cost-to-serve, and nowhere else.
    assert int(allocated.sum()) == int(to_cents(result.waterfall["cost_to_serve"]).sum())
    # Over-capacity is flagged exactly where activities exceed capacity.
    over = {(w.pool, w.period) for w in result.warnings}
    exceeded = pc.greater(table["used"], table["capacity"]).to_pylist()
    assert over == {
        (p, lbl)
        for p, lbl, e in zip(
            table["pool"].to_pylist(), table["period"].to_pylist(), exceeded, strict=True
        )
        if e
    }


@pytest.mark.spark
def test_duckdb_and_spark_agree_to_the_cent(tmp_path, spark):
    data = rich_ledger(tmp_path)
    options = dict(hierarchy=HAND_HIERARCHY, date_from="2023-02-10", date_to="2024-11-30")
    on_duckdb = profitability_report(data, "quarter", engine="duckdb", **options)
    on_spark = profitability_report(data, "quarter", engine="spark", **options)
    assert len(on_duckdb["rows"]) > 300
    assert on_duckdb["warnings"]  # the random ledger over-uses some pools
    assert on_spark == on_duckdb


@pytest.mark.parametrize(
    "options",
    [
        {},
        dict(hierarchy=HAND_HIERARCHY, date_from="2023-02-10", date_to="2024-11-30"),
        dict(account_ids=["A", "R007", "R042"], date_from="2023-05-01", as_of="2024-06-30"),
    ],
)
def test_one_pass_for_several_grains_equals_each_grain_alone(tmp_path, options):
    data = rich_ledger(tmp_path)
    together = compute_profitability_grains(data, ("month", "year", "quarter"), **options)
    assert set(together) == {"month", "quarter", "year"}
    for grain, result in together.items():
        alone = compute_profitability(data, grain, **options)
        assert result.waterfall.num_rows > 0
        assert result.waterfall.equals(alone.waterfall), grain
        assert result.cost_by_pool.equals(alone.cost_by_pool), grain
        assert result.pools.equals(alone.pools), grain
        assert result.warnings == alone.warnings, grain
        assert (result.date_from, result.date_to, result.as_of) == (
            alone.date_from,
            alone.date_to,
            alone.as_of,
        )


def test_period_keys_roll_up_to_their_quarter_and_year():
    # May 2024: month key 12·2024 + 4, quarter key 4·2024 + 1 (Q2), year 2024.
    may, december = 12 * 2024 + 4, 12 * 2024 + 11
    months = np.array([may, december])
    assert coarser_keys(months, "month", "quarter").tolist() == [4 * 2024 + 1, 4 * 2024 + 3]
    assert coarser_keys(months, "month", "year").tolist() == [2024, 2024]
    assert coarser_keys(np.array([4 * 2024 + 3]), "quarter", "year").tolist() == [2024]
    with pytest.raises(ValueError, match="cannot split"):
        coarser_keys(months, "year", "month")
