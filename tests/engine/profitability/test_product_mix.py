"""The product mix: gross sales down to gross margin per product line, product or buying
unit, exact to the cent; its totals equal the waterfall's, and the drill-down to the lines
of one row gives that row's figures. Known values are hand computations on the hand ledger
(profitability_ledgers.HAND_INVOICES)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from profitability_ledgers import INVOICE_COLUMNS, _typed, hand_ledger, rich_ledger, write_ledger

from openkam.engine.ledger import Ledger
from openkam.engine.profitability import (
    UNLISTED,
    compute_profitability,
    mix_to_dict,
    product_mix,
)
from openkam.engine.profitability.mix import NO_BUSINESS_UNIT, lines_of_row
from openkam.engine.sales import invoice_lines_between

#: P1 is listed under "Line X"; P2 is not in the product list.
LINES = {"P1": "Line X", "P9": "Line Y"}
JANUARY = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
MONEY = ("gross_sales", "discounts", "invoiced_sales", "cogs", "invoice_margin")


def _rows(mix) -> dict[str, dict]:
    return {r["key"]: r for r in mix_to_dict(mix)["rows"]}


def test_by_product_line_by_hand(tmp_path, engine):
    ledger = Ledger(hand_ledger(tmp_path), engine=engine)
    mix = product_mix(ledger.table("invoices"), "product_line", product_lines=LINES)
    rows = _rows(mix)
    # By hand. Line X = every P1 line: gross 1000 + 500 + 1000 − 200 = 2300.00, discounts
    # 50 + 100 − 20 = 130.00, cogs 600 + 300 + 700 − 140 = 1460.00, bought by A and B.
    assert {k: rows["Line X"][k] for k in (*MONEY, "lines", "accounts", "quantity")} == {
        "gross_sales": 2300.0,
        "discounts": 130.0,
        "invoiced_sales": 2170.0,
        "cogs": 1460.0,
        "invoice_margin": 710.0,
        "lines": 4,
        "accounts": 2,
        "quantity": 31.0,
    }
    # P2 is not listed: 3 × 33.3333 + 2 × 10 − 2 × 10 = 99.9999 → 100.00; cogs 60 + 8 − 8.
    assert {k: rows[UNLISTED][k] for k in (*MONEY, "lines", "accounts")} == {
        "gross_sales": 100.0,
        "discounts": 0.0,
        "invoiced_sales": 100.0,
        "cogs": 60.0,
        "invoice_margin": 40.0,
        "lines": 3,
        "accounts": 2,
    }
    # Ratios: 2170 / 2270 = 95.59 %, 130 / 2300 = 5.65 %, 710 / 2170 = 32.72 %.
    assert (
        rows["Line X"]["share_pct"],
        rows["Line X"]["discount_pct"],
        rows["Line X"]["invoice_margin_pct"],
    ) == (95.59, 5.65, 32.72)
    assert (rows[UNLISTED]["share_pct"], rows[UNLISTED]["invoice_margin_pct"]) == (4.41, 40.0)
    # Highest gross margin first; a listed line nobody bought (Line Y) has no row.
    assert mix.rows["key"].to_pylist() == ["Line X", UNLISTED]
    assert mix.totals == {
        "gross_sales": 2400.0,
        "discounts": 130.0,
        "invoiced_sales": 2270.0,
        "cogs": 1520.0,
        "invoice_margin": 750.0,
        "lines": 7,
        "accounts": 3,
        "discount_pct": 5.42,  # 130 / 2400
        "invoice_margin_pct": 33.04,  # 750 / 2270
    }


def test_one_account_by_product_equals_its_waterfall(tmp_path, engine):
    ledger = Ledger(hand_ledger(tmp_path), engine=engine)
    mix = product_mix(
        ledger.table("invoices"),
        "product",
        product_lines=LINES,
        account_ids=["A"],
        start=JANUARY[0],
        end=JANUARY[1],
    )
    rows = _rows(mix)
    assert rows["P1"]["product_line"] == "Line X" and rows["P2"]["product_line"] == UNLISTED
    # P1: 10 × 100 − 50 = 950 invoiced, cogs 600; P2: 99.9999 → 100.00, cogs 60.
    assert [rows["P1"][k] for k in MONEY] == [1000.0, 50.0, 950.0, 600.0, 350.0]
    assert [rows["P2"][k] for k in MONEY] == [100.0, 0.0, 100.0, 60.0, 40.0]
    assert (rows["P1"]["share_pct"], rows["P2"]["share_pct"]) == (90.48, 9.52)  # of 1050
    waterfall = compute_profitability(ledger, "month").waterfall.to_pylist()
    own = next(
        r
        for r in waterfall
        if (r["scope"], r["account_id"], r["period"]) == ("account", "A", "2024-01")
    )
    assert {k: mix.totals[k] for k in MONEY[:4]} == {k: float(own[k]) for k in MONEY[:4]}


def test_a_zero_sales_account_has_no_ratios(tmp_path):
    ledger = Ledger(hand_ledger(tmp_path))
    mix = product_mix(ledger.table("invoices"), "product", account_ids=["Z"])
    (row,) = mix_to_dict(mix)["rows"]
    # Z bought 2 × P2 and returned both the same day.
    assert (row["key"], row["lines"], row["invoiced_sales"], row["invoice_margin"]) == (
        "P2",
        2,
        0.0,
        0.0,
    )
    assert (row["share_pct"], row["discount_pct"], row["invoice_margin_pct"]) == (None, None, None)
    assert product_mix(ledger.table("invoices"), account_ids=["nobody"]).rows.num_rows == 0


def test_totals_equal_the_waterfall_for_every_account_and_month(tmp_path):
    ledger = Ledger(rich_ledger(tmp_path))
    invoices = ledger.table("invoices")
    waterfall = [
        r
        for r in compute_profitability(ledger, "month").waterfall.to_pylist()
        if r["scope"] == "account"
    ]
    checked = 0
    for r in waterfall:
        if r["period"] not in ("2024-01", "2024-06", "2025-12") or r["gross_sales"] == 0:
            continue
        year, month = map(int, r["period"].split("-"))
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        mix = product_mix(invoices, "product", account_ids=[r["account_id"]], start=first, end=last)
        assert {k: Decimal(str(mix.totals[k])) for k in MONEY[:4]} == {k: r[k] for k in MONEY[:4]}
        checked += 1
    assert checked > 10


def test_rows_are_rounded_once_each(tmp_path):
    # Every row rounds its exact sum once, and so do the totals: the rows may add up to
    # the totals give or take half a cent per row, never more.
    ledger = Ledger(rich_ledger(tmp_path))
    mix = mix_to_dict(product_mix(ledger.table("invoices"), "product"))
    added = sum(Decimal(str(r["gross_sales"])) for r in mix["rows"])
    assert abs(added - Decimal(str(mix["totals"]["gross_sales"]))) <= Decimal("0.005") * len(
        mix["rows"]
    )
    assert sum(r["lines"] for r in mix["rows"]) == mix["totals"]["lines"]


def _with_units(tmp_path):
    rows = [
        ("J1", 1, "2024-05-02", "A", "P1", "1", "100", "10.00", "50.00", None, None, "Plant 1"),
        ("J1", 2, "2024-05-02", "A", "P1", "2", "100", "0", "100.00", None, None, None),
        ("J2", 1, "2024-05-03", "A", "P2", "1", "40", "0", "10.00", None, None, ""),
        ("J3", 1, "2024-05-03", "B", "P2", "1", "40", "0", "10.00", None, None, "Plant 1"),
    ]
    table = _typed("invoices", (*INVOICE_COLUMNS, "business_unit"), rows)
    out = tmp_path / "ledger" / "invoices"
    out.mkdir(parents=True)
    pq.write_table(table, out / "part-000.parquet")
    return Ledger(tmp_path)


def test_by_buying_unit_and_the_lines_of_a_row(tmp_path):
    ledger = _with_units(tmp_path)
    invoices = ledger.table("invoices")
    mix = product_mix(invoices, "business_unit", account_ids=["A"])
    rows = _rows(mix)
    # Plant 1: 100 − 10 = 90 invoiced, cogs 50; no unit (null or blank): 200 + 40, cogs 110.
    assert [rows["Plant 1"][k] for k in MONEY] == [100.0, 10.0, 90.0, 50.0, 40.0]
    assert [rows[NO_BUSINESS_UNIT][k] for k in MONEY] == [240.0, 0.0, 240.0, 110.0, 130.0]
    assert rows["Plant 1"]["product_line"] is None
    may = (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    for by, key in [
        ("business_unit", NO_BUSINESS_UNIT),
        ("business_unit", "Plant 1"),
        ("product_line", "Line X"),
        ("product_line", UNLISTED),
        ("product", "P2"),
    ]:
        one = product_mix(
            invoices, by, product_lines=LINES, account_ids=["A"], start=may[0], end=may[1]
        )
        row = _rows(one)[key]
        _, totals = invoice_lines_between(invoices, ["A"], *may, where=lines_of_row(by, key, LINES))
        assert totals["lines"] == row["lines"], (by, key)
        assert {k: float(totals[k]) for k in MONEY} == {k: row[k] for k in MONEY}, (by, key)


def test_unknown_dimension():
    with pytest.raises(ValueError, match="unknown mix dimension 'colour'"):
        product_mix(None, "colour")
    with pytest.raises(ValueError, match="unknown mix dimension"):
        lines_of_row("colour", "x")


def test_no_ratios_over_sales_that_returns_made_negative(tmp_path):
    # R returned two P1 (−2 × 50 = −100.00, cogs −50.00) and bought one P9 (40.00, cogs
    # 20.00): invoiced −60.00 in all. P1's −50 / −100 would read as a +50 % margin: no ratio
    # over a base ≤ 0, and no share of a negative total.
    rows = [
        ("K1", 1, "2024-05-02", "R", "P1", "-2", "50", "0", "-50.00", None, None),
        ("K2", 1, "2024-05-03", "R", "P9", "1", "40", "0", "20.00", None, None),
    ]
    data = write_ledger(tmp_path, invoices=rows)
    mix = mix_to_dict(product_mix(Ledger(data).table("invoices"), "product", product_lines=LINES))
    by_key = {r["key"]: r for r in mix["rows"]}
    assert (by_key["P1"]["invoice_margin"], by_key["P1"]["invoice_margin_pct"]) == (-50.0, None)
    assert by_key["P9"]["invoice_margin_pct"] == 50.0  # 20 / 40: its own base is positive
    assert mix["totals"]["invoiced_sales"] == -60.0
    assert [r["share_pct"] for r in mix["rows"]] == [None, None]
    assert mix["totals"]["invoice_margin_pct"] is None
