"""Amounts in several currencies, converted to the reporting currency (EUR) line by line.

The ledger below is made by hand; every expected figure was worked out by hand from it
(the working is in the comments). The rule (openkam.engine.money_lines): an invoice line's
gross is quantity × unit price rounded to the cent in its own currency; each foreign
amount is multiplied by the latest rate on or before its document date and rounded to the
cent once, half away from zero.

Rates (EUR per unit): USD 0.90 from 2024-01-01, 0.95 from 2024-02-15; GBP 1.16666667 from
2024-01-01.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from profitability_ledgers import _typed

from openkam.engine.ledger import Ledger
from openkam.engine.money_lines import Conversion, MissingRates
from openkam.engine.profitability import (
    ProfitabilityInputError,
    compute_profitability,
    profitability_report,
)

D = Decimal

INVOICE_COLUMNS = (
    "invoice_id",
    "line_no",
    "invoice_date",
    "account_id",
    "product_id",
    "quantity",
    "unit_list_price",
    "discount_amount",
    "cogs_amount",
    "currency",
)
INVOICES = [
    # USD at 0.90: 3 × 33.3333 = 99.9999 → 100.00 USD → 90.00; discount 10 → 9.00; cogs 50 → 45.00.
    ("U1", 1, "2024-01-10", "A", "P", "3", "33.3333", "10.00", "50.00", "USD"),
    # USD at 0.95 (from 02-15): 10.005 → 10.01 USD → 9.5095 → 9.51; cogs 3.33 → 3.1635 → 3.16.
    ("U2", 1, "2024-02-20", "A", "P", "1", "10.0050", "0", "3.33", "USD"),
    # The day before the new rate, still 0.90: 2 × 5 = 10.00 → 9.00; cogs 0.01 → 0.009 → 0.01.
    ("U3", 1, "2024-02-14", "B", "P", "2", "5.0000", "0", "0.01", "USD"),
    # A return at 0.95: −10.005 → −10.01 USD → −9.5095 → −9.51 (half away from zero);
    # cogs −3.33 → −3.16.
    ("U4", 1, "2024-02-20", "B", "P", "-1", "10.0050", "0", "-3.33", "USD"),
    # GBP at 1.16666667: 100.00 → 116.666667 → 116.67; discount 1.00 → 1.17; cogs 60 → 70.00.
    ("G1", 1, "2024-01-05", "B", "P", "1", "100.0000", "1.00", "60.00", "GBP"),
    # EUR stated: 1 × 0.0050 → 0.01 (the line rounded once, half away from zero).
    ("E1", 1, "2024-01-05", "A", "P", "1", "0.0050", "0", "0", "EUR"),
    # No currency: the reporting currency. 4 × 2.50 = 10.00.
    ("N1", 1, "2024-03-01", "B", "P", "4", "2.5000", "0", "0", None),
]
REBATES = [
    # USD at 0.95: 20.00 → 19.00.
    ("A", "2024-02-16", "R1", "20.00", "volume", "USD"),
    # GBP: 3.00 × 1.16666667 = 3.50000001 → 3.50.
    ("B", "2024-01-31", "R2", "3.00", "volume", "GBP"),
]
ACTIVITIES = [
    ("2024-01-20", "A", "handling", "2", "X1"),
    ("2024-02-20", "B", "handling", "3", "X2"),
]
# 100.00 USD on 2024-01-01 at 0.90 = 90.00 EUR for 7 hours.
POOLS = [("handling", "2024-01-01", "2024-03-31", "100.00", "7", "hour", "USD")]
RATES = [
    ("USD", "2024-01-01", "0.90000000"),
    ("USD", "2024-02-15", "0.95000000"),
    ("GBP", "2024-01-01", "1.16666667"),
]


def _write(root, folder, kind, columns, rows):
    out = root / "ledger" / folder
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(_typed(kind, columns, rows), out / "part-000.parquet")


def fx_ledger(root, invoices=INVOICES, rates=RATES):
    _write(root, "invoices", "invoices", INVOICE_COLUMNS, invoices)
    _write(
        root,
        "rebates",
        "rebates",
        ("account_id", "rebate_date", "rebate_id", "amount", "kind", "currency"),
        REBATES,
    )
    _write(
        root,
        "activities",
        "activities",
        ("activity_date", "account_id", "pool", "quantity", "activity_id"),
        ACTIVITIES,
    )
    _write(
        root,
        "cost_pools",
        "cost-pools",
        ("pool", "period_start", "period_end", "cost", "capacity", "driver_unit", "currency"),
        POOLS,
    )
    if rates:
        _write(root, "fx_rates", "fx-rates", ("currency", "rate_date", "rate"), rates)
    return root


def _rows(report):
    return {(r["account_id"], r["period"]): r for r in report["rows"]}


def test_amounts_converted_line_by_line_to_the_cent(tmp_path, engine):
    report = profitability_report(fx_ledger(tmp_path), "month", engine=engine, currency="EUR")
    rows = _rows(report)
    pick = ("gross_sales", "discounts", "rebates", "cogs", "cost_to_serve")
    got = {key: tuple(row[k] for k in pick) for key, row in rows.items()}
    # Pool: 90.00 EUR × 5 used / 7 = 64.2857 → 64.29 allocated once; shares A 2/7 × 90 =
    # 25.7143, B 3/7 × 90 = 38.5714: floors 25.71 + 38.57 = 64.28, the cent left to the
    # larger remainder (A, .43 of a cent against .14): A 25.72, B 38.57; unused 25.71.
    assert got == {
        # A Jan: 90.00 + 0.01; discount 9.00; cogs 45.00; handling 25.72.
        ("A", "2024-01"): (90.01, 9.00, 0.00, 45.00, 25.72),
        # A Feb: 9.51; rebate 19.00; cogs 3.16.
        ("A", "2024-02"): (9.51, 0.00, 19.00, 3.16, 0.00),
        # B Jan: 116.67; discount 1.17; rebate 3.50; cogs 70.00.
        ("B", "2024-01"): (116.67, 1.17, 3.50, 70.00, 0.00),
        # B Feb: 9.00 − 9.51 = −0.51; cogs 0.01 − 3.16 = −3.15; handling 38.57.
        ("B", "2024-02"): (-0.51, 0.00, 0.00, -3.15, 38.57),
        ("B", "2024-03"): (10.00, 0.00, 0.00, 0.00, 0.00),
    }
    assert report["currency"] == "EUR"
    assert [(p["cost"], p["allocated"], p["unused"]) for p in report["pools"]] == [
        (90.00, 64.29, 25.71)
    ]


def test_quarter_adds_up_the_months(tmp_path):
    months = _rows(profitability_report(fx_ledger(tmp_path), "month", currency="EUR"))
    quarter = _rows(profitability_report(tmp_path, "quarter", currency="EUR"))
    for account in "AB":
        for line in ("gross_sales", "cogs", "cost_to_serve", "net_contribution"):
            assert quarter[(account, "2024-Q1")][line] == pytest.approx(
                sum(r[line] for (a, _), r in months.items() if a == account), abs=1e-9
            )
    # A Q1 by hand: gross 90.01 + 9.51 = 99.52.
    assert quarter[("A", "2024-Q1")]["gross_sales"] == 99.52


def test_cached_recompute_converts_the_same(tmp_path):
    data = fx_ledger(tmp_path)
    plain = compute_profitability(data, "month", currency="EUR")
    cached = compute_profitability(data, "month", currency="EUR", cache=True)
    again = compute_profitability(data, "month", currency="EUR", cache=True)
    assert plain.waterfall.equals(cached.waterfall) and plain.waterfall.equals(again.waterfall)


def test_a_new_rate_changes_the_cached_figures(tmp_path):
    data = fx_ledger(tmp_path)
    before = _rows(profitability_report(data, "month", currency="EUR", cache=True))
    # USD at 1.00 from 2024-01-01 instead: U1 100.00 → A Jan gross 100.01.
    _write(
        data,
        "fx_rates",
        "fx-rates",
        ("currency", "rate_date", "rate"),
        [("USD", "2024-01-01", "1"), ("USD", "2024-02-15", "0.95"), RATES[2]],
    )
    after = _rows(profitability_report(data, "month", currency="EUR", cache=True))
    assert (before[("A", "2024-01")]["gross_sales"], after[("A", "2024-01")]["gross_sales"]) == (
        90.01,
        100.01,
    )


def test_reporting_in_another_currency(tmp_path):
    # Reporting in USD: the USD lines are taken as they are, EUR lines would need a EUR
    # rate, which the ledger does not have: E1 (2024-01-05) is an error.
    with pytest.raises(ProfitabilityInputError) as caught:
        compute_profitability(fx_ledger(tmp_path), "month", currency="USD")
    issue = caught.value.issues[0]
    assert (issue.reason, issue.table, issue.period) == ("no_fx_rate", "invoices", "2024-01-05")
    assert "EUR" in issue.detail


def test_missing_rate_names_currency_and_date(tmp_path):
    invoices = [
        *INVOICES,
        # Before USD's first rate (2024-01-01).
        ("U9", 1, "2023-12-31", "A", "P", "1", "1", "0", "0", "USD"),
        # A currency with no rate at all.
        ("C1", 1, "2024-02-02", "A", "P", "1", "1", "0", "0", "CHF"),
        ("C2", 1, "2024-03-03", "B", "P", "1", "1", "0", "0", "CHF"),
    ]
    with pytest.raises(ProfitabilityInputError) as caught:
        compute_profitability(fx_ledger(tmp_path, invoices), "month", currency="EUR")
    issues = {(i.table, i.period, i.count): i.detail for i in caught.value.issues}
    assert set(issues) == {("invoices", "2024-02-02/2024-03-03", 2), ("invoices", "2023-12-31", 1)}
    assert "CHF" in issues[("invoices", "2024-02-02/2024-03-03", 2)]
    assert "no rate" in issues[("invoices", "2024-02-02/2024-03-03", 2)]
    assert "first rate is dated 2024-01-01" in issues[("invoices", "2023-12-31", 1)]


def test_no_rates_needed_when_everything_is_in_the_reporting_currency(tmp_path):
    invoices = [r[:-1] + ("EUR",) for r in INVOICES]
    data = fx_ledger(tmp_path, invoices, rates=[])
    conversion = Conversion.of(Ledger(data), "EUR")
    # Rebates and pools are still in USD and GBP: those need rates, the invoices do not.
    assert conversion.foreign == frozenset({"rebates", "cost_pools"})
    with pytest.raises(MissingRates, match="USD"):
        conversion.check()


def test_pool_cost_rate_lookup():
    conversion = Conversion(
        ledger=None, currency="EUR", rates={"USD": ([dt.date(2024, 1, 1)], [D("0.9")])}
    )
    assert conversion.rate("USD", dt.date(2024, 6, 1)) == D("0.9")
    assert conversion.rate("EUR", dt.date(2000, 1, 1)) == D(1)
    with pytest.raises(MissingRates, match="USD"):
        conversion.rate("USD", dt.date(2023, 12, 31))
