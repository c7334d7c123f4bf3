"""Data-derived criteria (expected values computed by hand in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pyarrow as pa
import pytest

from openkam.engine.backends import duckdb_connection, from_arrow
from openkam.engine.schema import KINDS
from openkam.engine.selection import estimate_criteria, metrics_from_monthly, payment_and_breadth


def test_monthly_metrics():
    # 2023: 100 per month (1 200). 2024: 150 per month except June (0) → 1 650; growth
    # = 100·450/1200 = 37.5 %. Contribution 10 in each 2024 month with sales → 110, margin
    # 100·110/1650 = 6.667 %. Stability: μ = 137.5, σ² = 11·150²/12 − 137.5² = 1718.75,
    # CV = 41.4578/137.5 = 0.301511 → 0.698489.
    rows = [
        {"account_id": "A", "period": f"2023-{m:02d}", "net_sales": 100, "net_contribution": 5}
        for m in range(1, 13)
    ]
    rows += [
        {"account_id": "A", "period": f"2024-{m:02d}", "net_sales": 150, "net_contribution": 10}
        for m in range(1, 13)
        if m != 6
    ]
    m = metrics_from_monthly(rows, "2024-12")["A"]
    assert m["net_sales_growth"] == pytest.approx(37.5)
    assert m["net_contribution"] == pytest.approx(110)
    assert m["contribution_margin_pct"] == pytest.approx(100 * 110 / 1650)
    assert m["order_stability"] == pytest.approx(0.698489, abs=1e-6)


def test_estimates():
    # By hand: whitespace 500 − 200 = 300; share of wallet 100·200/800 = 25 %.
    assert estimate_criteria(200, 500, 800) == {"whitespace": 300, "share_of_wallet": 25}
    assert estimate_criteria(200) == {"whitespace": None, "share_of_wallet": None}


def test_payment_and_breadth(engine):
    # By hand: A pays 100 after 30 days and 300 after 10 → DSO (3000 + 3000)/400 = 15;
    # A buys two products of one line (breadth 1); B has no payment dates, and its 2023
    # line is outside the window.
    schema = KINDS["invoices"].arrow_schema
    d = dt.date
    rows = [
        ("I1", 1, d(2024, 1, 1), "A", "P1", D(1), D(100), D(0), D(50), None, d(2024, 1, 31)),
        ("I1", 2, d(2024, 1, 1), "A", "P2", D(1), D(300), D(0), D(50), None, d(2024, 1, 11)),
        ("I2", 1, d(2024, 2, 1), "B", "P1", D(2), D(10), D(0), D(5), None, None),
        ("I3", 1, d(2023, 2, 1), "B", "P3", D(2), D(10), D(0), D(5), None, None),
    ]
    table = pa.Table.from_pylist(
        # Columns after those given (business unit, currency …) are left empty.
        [dict(zip(schema.names, r, strict=False)) for r in rows],
        schema=schema,
    )
    # DuckDB joins only relations of one connection.
    con = duckdb_connection() if engine == "duckdb" else None
    invoices = from_arrow(table, engine, con)
    lines = from_arrow(
        pa.table({"product_id": ["P1", "P2"], "product_line": ["X", "X"]}), engine, con
    )
    out = payment_and_breadth(invoices, d(2024, 1, 1), d(2024, 12, 31), lines)
    assert out["A"] == {"dso": pytest.approx(15.0), "product_breadth": 1.0}
    assert out["B"] == {"product_breadth": 1.0}


def test_a_parent_is_judged_on_its_group(tmp_path):
    import pyarrow.parquet as pq

    from openkam.engine.selection import ledger_metrics

    # By hand, 2024: parent P sells 100 a month at cost 90 (contribution 10), its subsidiary
    # C 50 at 45 (5). P's group: 12 × 15 = 180 contribution on 1 800 net sales (10 %);
    # C alone: 60 on 600; a stand-alone S keeps its own 12 × 10 = 120.
    schema = KINDS["invoices"].arrow_schema
    rows = []
    for month in range(1, 13):
        for account, price, cost in (("P", 100, 90), ("C", 50, 45), ("S", 100, 90)):
            rows.append(
                (
                    f"{account}{month}",
                    1,
                    dt.date(2024, month, 15),
                    account,
                    "X",
                    D(1),
                    D(price),
                    D(0),
                    D(cost),
                    None,
                    None,
                    None,
                )
            )
    folder = tmp_path / "ledger" / "invoices"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(
            [dict(zip(schema.names, r, strict=False)) for r in rows], schema=schema
        ),
        folder / "part-0.parquet",
    )
    tree = pa.table({"account_id": ["P", "C", "S"], "parent_account_id": [None, "P", None]})
    out = ledger_metrics(tmp_path, hierarchy=tree)
    assert out["P"]["net_contribution"] == pytest.approx(180)
    assert out["P"]["contribution_margin_pct"] == pytest.approx(10)
    assert out["C"]["net_contribution"] == pytest.approx(60)
    assert out["S"]["net_contribution"] == pytest.approx(120)
    assert ledger_metrics(tmp_path)["P"]["net_contribution"] == pytest.approx(120)
