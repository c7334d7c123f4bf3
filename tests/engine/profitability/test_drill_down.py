"""The drill-down behind a waterfall: invoice lines and rebates of one account and period,
whose totals equal the waterfall's figures to the cent; period labels read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from profitability_ledgers import hand_ledger

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import compute_profitability
from openkam.engine.profitability.periods import label, label_bounds, parse_label
from openkam.engine.sales import invoice_lines_between, rebates_between

JANUARY = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))


def test_lines_and_totals_of_a_month(tmp_path):
    ledger = Ledger(hand_ledger(tmp_path))
    lines, totals = invoice_lines_between(ledger.table("invoices"), ["A"], *JANUARY)
    # By hand: I1/1 10 × 100 = 1000.00 (discount 50.00, cogs 600.00) and the cash line
    # I1/2 3 × 33.3333 = 99.9999 (cogs 60.00), rounded per line as the invoice prints it:
    # 100.00; gross 1100.00.
    assert [(r["invoice_id"], r["line_no"]) for r in lines] == [("I1", 2), ("I1", 1)]
    assert lines[0]["gross_sales"] == Decimal("100.00")
    assert lines[1]["invoiced_sales"] == Decimal("950.00")
    assert lines[1]["gross_margin"] == Decimal("350.00")
    assert totals == {
        "lines": 2,
        "gross_sales": Decimal("1100.00"),
        "discounts": Decimal("50.00"),
        "cogs": Decimal("660.00"),
        "invoiced_sales": Decimal("1050.00"),
        "invoice_margin": Decimal("390.00"),  # 1050.00 − 660.00
    }
    # The same as the waterfall of A for 2024-01.
    result = compute_profitability(ledger, "month")
    row = next(
        r
        for r in result.waterfall.to_pylist()
        if (r["scope"], r["account_id"], r["period"]) == ("account", "A", "2024-01")
    )
    assert {k: row[k] for k in ("gross_sales", "discounts", "invoiced_sales", "cogs")} == {
        k: totals[k] for k in ("gross_sales", "discounts", "invoiced_sales", "cogs")
    }


def test_one_page_at_a_time_and_rebates(tmp_path):
    ledger = Ledger(hand_ledger(tmp_path))
    older, totals = invoice_lines_between(
        ledger.table("invoices"), ["A"], *JANUARY, limit=1, offset=1
    )
    assert [(r["invoice_id"], r["line_no"]) for r in older] == [("I1", 1)]
    assert totals["lines"] == 2  # totals cover the whole period, not the page
    rebates = rebates_between(
        ledger.table("rebates"), ["A", "D"], dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    )
    assert [(r["rebate_id"], r["amount"]) for r in rebates] == [
        ("R2", Decimal("25.00")),
        ("R1", Decimal("30.00")),
    ]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # a leap year
        ("2023-12", dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
    ],
)
def test_period_labels_read_back(text, first, last):
    assert label_bounds(text) == (first, last)
    key, period = parse_label(text)
    assert label(key, period) == text


@pytest.mark.parametrize("text", ["", "24", "2024-Q5", "2024-13", "2024-00", "2024/01", "abcd"])
def test_other_labels_are_refused(text):
    with pytest.raises(ValueError, match="not a period"):
        parse_label(text)


def test_activity_records_total_every_record_not_only_the_page(tmp_path):
    from openkam.engine.activity_records import activity_page, activity_totals

    ledger = Ledger(hand_ledger(tmp_path))
    args = (ledger.table("activities"), ledger.table("cost_pools"), ["C"], "order_handling")
    year = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    rows, totals = activity_page(*args, *year, limit=1), activity_totals(*args, *year)
    # C: 3 order lines in January at 1,000 / 100 = 10.00 and 2 in February at 1,000 / 300.
    assert [r["activity_date"] for r in rows] == [dt.date(2024, 2, 10)]
    assert totals["records"] == 2 and totals["quantity"] == Decimal("5.000")
    assert totals["cost"] == pytest.approx(30 + 2 * 1000 / 300)
