"""The activity drill-down costs a pool as the waterfall does: per allocation cell (pool
period, account, reporting period), rounded once per cell, not per record nor per total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from profitability_ledgers import write_ledger

from openkam.engine.activity_records import activity_page, activity_totals
from openkam.engine.ledger import Ledger
from openkam.engine.profitability import compute_profitability
from openkam.engine.profitability.periods import label_bounds

# Pool "handling" (month-aligned): January 100.00 for 3 lines, February 100.00 for 6 lines.
#   A: two lines in January (1 + 1), one in February.
#     per record: 33.33 + 33.33 + 16.67 = 83.33
#     per cell:   round(100 × 2 / 3) = 66.67 in January, round(100 × 1 / 6) = 16.67 in
#                 February: 83.34 for 2024 (and for 2024-Q1), 66.67 for 2024-01
#     rounding the year's unrounded sum 83.3333 once would give 83.33 too: only the cells
#     are the waterfall's figure.
#   B: one line in January in the same cells as A (its own cell: 33.33).
# Pool "visits" (periods that split January: 1–15 and 16 Jan – 31 Dec):
#   A: 1 + 1 visits on the 5th and 10th at 10.00 / 3, 1 on the 20th and 2 on 3 March at
#      10.00 / 7. Per cell for 2024: round(20 / 3) = 6.67 and round(30 / 7) = 4.29 → 10.96
#      (per record 3.33 + 3.33 + 1.43 + 2.86 = 10.95); for 2024-01: 6.67 + 1.43 = 8.10.
ACTIVITIES = [
    ("2024-01-05", "A", "handling", "1", "H1"),
    ("2024-01-20", "A", "handling", "1", "H2"),
    ("2024-02-10", "A", "handling", "1", "H3"),
    ("2024-01-07", "B", "handling", "1", "H4"),
    ("2024-01-05", "A", "visits", "1", "V1"),
    ("2024-01-10", "A", "visits", "1", "V2"),
    ("2024-01-20", "A", "visits", "1", "V3"),
    ("2024-03-03", "A", "visits", "2", "V4"),
]
POOLS = [
    ("handling", "2024-01-01", "2024-01-31", "100.00", "3", "order line"),
    ("handling", "2024-02-01", "2024-02-29", "100.00", "6", "order line"),
    ("visits", "2024-01-01", "2024-01-15", "10.00", "3", "visit"),
    ("visits", "2024-01-16", "2024-12-31", "10.00", "7", "visit"),
]


@pytest.fixture
def ledger(tmp_path):
    return Ledger(write_ledger(tmp_path, activities=ACTIVITIES, cost_pools=POOLS))


def _totals(ledger, account, pool, period):
    return activity_totals(
        ledger.table("activities"),
        ledger.table("cost_pools"),
        [account],
        pool,
        *label_bounds(period),
    )


def _waterfall(ledger, grain, account, pool, period) -> Decimal:
    result = compute_profitability(ledger, grain)
    return next(
        r["amount"]
        for r in result.cost_by_pool.to_pylist()
        if (r["scope"], r["account_id"], r["period"], r["pool"])
        == ("account", account, period, pool)
    )


@pytest.mark.parametrize(
    ("grain", "account", "pool", "period", "expected"),
    [
        ("year", "A", "handling", "2024", "83.34"),
        ("quarter", "A", "handling", "2024-Q1", "83.34"),
        ("month", "A", "handling", "2024-01", "66.67"),
        ("year", "B", "handling", "2024", "33.33"),
        ("year", "A", "visits", "2024", "10.96"),
        ("quarter", "A", "visits", "2024-Q1", "10.96"),
        ("month", "A", "visits", "2024-01", "8.10"),
    ],
)
def test_total_is_the_waterfalls_cost_rounded_per_cell(
    ledger, grain, account, pool, period, expected
):
    totals = _totals(ledger, account, pool, period)
    assert totals["allocated"] == Decimal(expected)
    assert totals["allocated"] == _waterfall(ledger, grain, account, pool, period)


def test_per_record_rounding_would_be_a_cent_short(ledger):
    args = (ledger.table("activities"), ledger.table("cost_pools"), ["A"], "handling")
    rows = activity_page(*args, *label_bounds("2024"))
    totals = activity_totals(*args, *label_bounds("2024"))
    per_record = sum(Decimal(r["cost"]).quantize(Decimal("0.01")) for r in rows)
    assert per_record == Decimal("83.33")
    assert totals["allocated"] == Decimal("83.34")
    assert totals["cost"] == pytest.approx(100 * 2 / 3 + 100 / 6)  # unrounded
    assert (totals["records"], totals["quantity"], totals["driver_unit"]) == (
        3,
        Decimal("3"),
        "order line",
    )
    # One cell per pool period (a month here), each rounded once: the page lists them.
    assert [(c["pool_period"], c["records"], c["allocated"]) for c in totals["cells"]] == [
        ("2024-01", 2, Decimal("66.67")),
        ("2024-02", 1, Decimal("16.67")),
    ]
    assert totals["cells"][0]["rate"] == Decimal("100.00") / Decimal("3")


def test_each_record_costs_its_periods_rate_times_quantity(ledger):
    rows = activity_page(
        ledger.table("activities"),
        ledger.table("cost_pools"),
        ["A"],
        "visits",
        *label_bounds("2024"),
    )
    assert [(str(r["activity_date"]), r["pool_period"]) for r in rows] == [
        ("2024-03-03", "2024-01-16/2024-12-31"),
        ("2024-01-20", "2024-01-16/2024-12-31"),
        ("2024-01-10", "2024-01-01/2024-01-15"),
        ("2024-01-05", "2024-01-01/2024-01-15"),
    ]
    assert rows[0]["rate"] == Decimal("10.00") / Decimal("7")
    assert float(rows[0]["cost"]) == pytest.approx(20 / 7)  # 2 visits × 10.00 / 7
    assert rows[0]["driver_unit"] == "visit"


def test_pages_newest_first_totals_over_all(ledger):
    args = (ledger.table("activities"), ledger.table("cost_pools"), ["A"], "visits")
    first = activity_page(*args, *label_bounds("2024"), limit=3)
    second = activity_page(*args, *label_bounds("2024"), limit=3, offset=3)
    assert [r["activity_id"] for r in first + second] == ["V4", "V3", "V2", "V1"]
    totals = activity_totals(*args, *label_bounds("2024"))
    assert totals["records"] == 4


def test_nothing_to_cost(ledger):
    totals = _totals(ledger, "Z", "handling", "2024")
    assert (totals["records"], totals["allocated"], totals["cells"]) == (0, Decimal("0"), [])
    assert totals["driver_unit"] == "order line"
    assert _totals(ledger, "A", "no_such_pool", "2024")["records"] == 0


def test_only_whole_periods(ledger):
    with pytest.raises(ValueError, match="whole month, quarter or year"):
        activity_totals(
            ledger.table("activities"),
            ledger.table("cost_pools"),
            ["A"],
            "handling",
            dt.date(2024, 1, 2),
            dt.date(2024, 1, 31),
        )


def test_the_cells_say_what_they_are(ledger):
    assert _totals(ledger, "A", "handling", "2024")["rounded_per"] == "month"
    assert _totals(ledger, "A", "handling", "2024-01")["rounded_per"] == "month"
    # Pool periods that split January: a cell is the part of a pool period in the period.
    visits = _totals(ledger, "A", "visits", "2024-01")
    assert visits["rounded_per"] is None
    assert [(c["cell"], c["pool_period"], c["allocated"]) for c in visits["cells"]] == [
        ("2024-01-01/2024-01-15", "2024-01-01/2024-01-15", Decimal("6.67")),
        ("2024-01-16/2024-01-31", "2024-01-16/2024-12-31", Decimal("1.43")),
    ]


def test_records_no_pool_period_covers_are_counted_not_costed(tmp_path):
    activities = [*ACTIVITIES, ("2024-03-01", "A", "handling", "5", "H9")]
    ledger = Ledger(write_ledger(tmp_path, activities=activities, cost_pools=POOLS))
    totals = _totals(ledger, "A", "handling", "2024")
    assert (totals["records"], totals["uncosted"], totals["allocated"]) == (
        4,
        1,
        Decimal("83.34"),
    )
    rows = activity_page(
        ledger.table("activities"),
        ledger.table("cost_pools"),
        ["A"],
        "handling",
        *label_bounds("2024"),
    )
    assert rows[0]["activity_id"] == "H9" and rows[0]["cost"] is None
