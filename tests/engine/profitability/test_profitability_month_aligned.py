"""Month-aligned pools: activities are summed per month with no join to the pool calendar,
and each (pool, month) row finds its pool period afterwards (``abc.cells_of_months``).

Each test computes the same ledger on that path and on the calendar join (the path of pool
periods that split a month, forced here by patching ``abc.month_aligned``) and compares
the outputs named in the test.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from profitability_ledgers import HAND_INVOICES, rich_ledger, write_ledger

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import (
    ProfitabilityInputError,
    abc,
    compute_profitability,
    compute_profitability_grains,
)
from openkam.engine.profitability.waterfall import _activity_cells, _collect

_CELL_KEYS = ["pool", "pool_start", "account_id", "period_key"]


@pytest.fixture
def calendar_path(monkeypatch):
    """Switches the recompute to the calendar join, as for pools that split a month."""

    def on_calendar_path():
        monkeypatch.setattr(abc, "month_aligned", lambda pools: False)

    return on_calendar_path


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_cells_equal_the_calendar_join(tmp_path, engine, grain, calendar_path):
    # Compared: the allocation cells (rows, exact values, column types), sorted by their
    # keys. Spark's schema may differ where it does not matter: the precision of the summed
    # quantity (Spark sums decimal(18, 3) to decimal(28, 3), the Arrow roll-up from months
    # to decimal(38, 3); the cents follow from its digits) and not-null flags.
    ledger = Ledger(rich_ledger(tmp_path), engine)
    pools = _collect(ledger.table("cost_pools"))
    assert abc.month_aligned(pools)
    aligned = _sorted_cells(_activity_cells(ledger, pools, grain, None, None))
    calendar_path()
    joined = _sorted_cells(_activity_cells(ledger, pools, grain, None, None))
    assert aligned.num_rows > 100
    assert aligned.equals(joined)


def _sorted_cells(cells: pa.Table) -> pa.Table:
    columns = {name: cells[name] for name in cells.column_names}
    columns["quantity"] = columns["quantity"].cast(pa.decimal128(38, 3))
    return pa.table(columns).sort_by([(k, "ascending") for k in _CELL_KEYS])


def test_results_equal_the_calendar_join(tmp_path, engine, calendar_path):
    # Compared: every result table and the warnings, at each grain, in a window that cuts
    # pool periods (pools are costed over their whole period either way).
    data = rich_ledger(tmp_path)
    options = dict(date_from="2023-02-10", date_to="2024-11-30")
    aligned = compute_profitability_grains(data, engine=engine, **options)
    calendar_path()
    joined = compute_profitability_grains(data, engine=engine, **options)
    for grain, result in aligned.items():
        for table in ("waterfall", "cost_by_pool", "pools"):
            assert getattr(result, table).equals(getattr(joined[grain], table)), (grain, table)
        assert result.warnings == joined[grain].warnings


def _no_pool_cost(excinfo):
    return sorted(
        (i.pool, i.period, i.count) for i in excinfo.value.issues if i.reason == "no_pool_cost"
    )


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        (
            "month",
            [("kitting", "2024-03", 1), ("orders", "2024-02", 2), ("orders", "2024-05", 1)],
        ),
        (
            "quarter",
            [("kitting", "2024-Q1", 1), ("orders", "2024-Q1", 2), ("orders", "2024-Q2", 1)],
        ),
    ],
)
def test_activities_without_a_pool_period(tmp_path, engine, grain, expected, calendar_path):
    # Compared: the no_pool_cost issues (pool, period, count) against hand-counted ones, on
    # both paths. "orders" has a January and a March–April period: February and May are
    # gaps; "kitting" has no cost record at all.
    data = write_ledger(
        tmp_path,
        invoices=HAND_INVOICES,
        activities=[
            ("2024-01-10", "A", "orders", "1", "X1"),
            ("2024-02-03", "A", "orders", "1", "X2"),
            ("2024-02-28", "B", "orders", "2", "X3"),
            ("2024-03-15", "B", "orders", "1", "X4"),
            ("2024-04-30", "A", "orders", "1", "X5"),
            ("2024-05-01", "A", "orders", "1", "X6"),
            ("2024-03-02", "C", "kitting", "1", "X7"),
        ],
        cost_pools=[
            ("orders", "2024-01-01", "2024-01-31", "100.00", "10", "order"),
            ("orders", "2024-03-01", "2024-04-30", "200.00", "20", "order"),
        ],
    )
    with pytest.raises(ProfitabilityInputError) as aligned:
        compute_profitability(data, grain, engine=engine)
    assert _no_pool_cost(aligned) == expected
    calendar_path()
    with pytest.raises(ProfitabilityInputError) as joined:
        compute_profitability(data, grain, engine=engine)
    assert _no_pool_cost(joined) == expected


def test_overlapping_month_periods_are_reported_not_crashed(tmp_path):
    data = write_ledger(
        tmp_path,
        invoices=HAND_INVOICES,
        activities=[("2024-02-10", "A", "orders", "1", "X1")],
        cost_pools=[
            ("orders", "2024-01-01", "2024-03-31", "100.00", "10", "order"),
            ("orders", "2024-02-01", "2024-02-29", "100.00", "10", "order"),
        ],
    )
    with pytest.raises(ProfitabilityInputError) as excinfo:
        compute_profitability(data, "month")
    assert [i.reason for i in excinfo.value.issues] == ["overlapping_pool_periods"]


def test_a_cell_without_a_pool_period_finds_no_pool_row():
    # A pool period starting on 1970-01-01 (day 0) must not catch cells whose pool_start is
    # null (activities no period covers), which a lookup by day number would.
    import datetime as dt

    import pyarrow as pa

    from openkam.engine.profitability.abc import pool_rows

    pools = pa.table(
        {
            "pool": ["delivery", "delivery"],
            "period_start": pa.array([dt.date(1970, 1, 1), dt.date(1970, 2, 1)], pa.date32()),
        }
    )
    cells = pa.table(
        {
            "pool": ["delivery", "delivery", "delivery"],
            "pool_start": pa.array([None, dt.date(1970, 2, 1), dt.date(1970, 1, 1)], pa.date32()),
        }
    )
    assert pool_rows(cells, pools).tolist() == [-1, 1, 0]
