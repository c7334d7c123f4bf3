"""Allocation's unit contribution and the selection's DSO read amounts in the reporting
currency (the same converted lines as the profitability figures), not as invoiced.

The ledger below is made by hand and every expected figure worked out by hand in the
comments. Rate: USD 0.90 EUR per USD from 2024-01-01; the reporting currency is EUR.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openkam.engine.ledger import Ledger
from openkam.engine.money_lines import Conversion
from openkam.engine.operations import unit_contribution
from openkam.engine.schema import KINDS
from openkam.engine.selection import ledger_metrics, payment_and_breadth

D = Decimal
d = dt.date

INVOICES = [
    # A: 2 × 50.00 USD = 100.00 USD → 90.00 EUR; discount 10.00 USD → 9.00; cogs 40.00 USD
    # → 36.00. Margin 90.00 − 9.00 − 36.00 = 45.00 EUR over 2 units: 22.50 a unit (as
    # invoiced it would read 100 − 10 − 40 = 50 over 2: 25.00). Paid after 30 days.
    dict(
        invoice_id="U1",
        line_no=1,
        invoice_date=d(2024, 3, 1),
        account_id="A",
        product_id="P",
        quantity=D("2"),
        unit_list_price=D("50.0000"),
        discount_amount=D("10.00"),
        cogs_amount=D("40.00"),
        paid_date=d(2024, 3, 31),
        currency="USD",
    ),
    # A: 1 × 100.00 EUR, no discount, cogs 80.00: margin 20.00 a unit. Paid after 10 days.
    dict(
        invoice_id="E1",
        line_no=1,
        invoice_date=d(2024, 3, 1),
        account_id="A",
        product_id="Q",
        quantity=D("1"),
        unit_list_price=D("100.0000"),
        discount_amount=D("0.00"),
        cogs_amount=D("80.00"),
        paid_date=d(2024, 3, 11),
        currency="EUR",
    ),
    # B: 1 × 30.00 in the reporting currency (no currency stated), cogs 10.00: 20.00 a unit.
    dict(
        invoice_id="N1",
        line_no=1,
        invoice_date=d(2024, 3, 2),
        account_id="B",
        product_id="P",
        quantity=D("1"),
        unit_list_price=D("30.0000"),
        discount_amount=D("0.00"),
        cogs_amount=D("10.00"),
        paid_date=None,
        currency=None,
    ),
]


def _ledger(root, engine) -> Ledger:
    schema = KINDS["invoices"].arrow_schema
    rows = [{name: row.get(name) for name in schema.names} for row in INVOICES]
    folder = root / "ledger" / "invoices"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-000.parquet")
    rates = KINDS["fx-rates"].arrow_schema
    folder = root / "ledger" / "fx_rates"
    folder.mkdir(parents=True)
    rate = {"currency": "USD", "rate_date": d(2024, 1, 1), "rate": D("0.90000000")}
    pq.write_table(
        pa.Table.from_pylist([{n: rate.get(n) for n in rates.names}], schema=rates),
        folder / "part-000.parquet",
    )
    return Ledger(root, engine=engine)


def test_unit_contribution_in_the_reporting_currency(tmp_path, engine):
    invoices = Conversion.of(_ledger(tmp_path, engine), "EUR").invoices()
    got = unit_contribution(invoices, {"A", "B"}, {"P", "Q"})
    # By hand (module doc): A–P 22.50, A–Q 20.00, B–P 20.00; product P over all accounts
    # (45.00 + 20.00) / 3 units = 21.6667; Q 20.00.
    assert got[("A", "P")] == pytest.approx(22.5)
    assert got[("A", "Q")] == pytest.approx(20.0)
    assert got[("B", "P")] == pytest.approx(20.0)
    assert got["P"] == pytest.approx(65 / 3)
    assert got["Q"] == pytest.approx(20.0)


def test_dso_weights_amounts_in_the_reporting_currency(tmp_path, engine):
    invoices = Conversion.of(_ledger(tmp_path, engine), "EUR").invoices()
    out = payment_and_breadth(invoices, d(2024, 1, 1), d(2024, 12, 31))
    # By hand: A paid 90.00 − 9.00 = 81.00 EUR after 30 days and 100.00 EUR after 10:
    # (81 × 30 + 100 × 10) / 181 = 3 430 / 181 = 18.950276 days (as invoiced, 90 USD and
    # 100 EUR would give 3 700 / 190 = 19.47).
    assert out["A"]["dso"] == pytest.approx(3430 / 181)
    assert "dso" not in out["B"]


def test_selection_metrics_in_the_reporting_currency(tmp_path):
    got = ledger_metrics(_ledger(tmp_path, "duckdb"), as_of=d(2024, 3, 31), currency="EUR")
    # By hand: A's net sales 81.00 + 100.00 = 181.00 EUR, cost of goods 36.00 + 80.00:
    # 65.00, less the credit cost of its payment terms at the default 8 % a year,
    # (81.00 × 30 + 100.00 × 10) × 0.08 / 365 = 0.7518 → 0.75: net contribution 64.25.
    assert got["A"]["net_contribution"] == pytest.approx(64.25)
    assert got["A"]["dso"] == pytest.approx(3430 / 181)
    # B: 30.00 − 10.00 = 20.00.
    assert got["B"]["net_contribution"] == pytest.approx(20.0)
