"""Service levels on hand-made orders and deliveries, on DuckDB and Spark alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openkam.engine.ledger import Ledger
from openkam.engine.operations import open_lines, service_levels
from openkam.engine.schema import KINDS


def D(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


ORDERS = [
    # order, line, ordered, account, qty, promised
    ("S1", 1, "2025-01-02", "X", "10", "2025-01-10"),  # delivered in full on the 9th: OTIF
    ("S1", 2, "2025-01-02", "X", "5", "2025-01-10"),  # 3 on the 9th, 2 on the 15th: not OTIF
    ("S2", 1, "2025-01-20", "X", "4", "2025-02-03"),  # delivered on the 4th, a day late
    ("S3", 1, "2025-01-05", "Y", "8", "2025-01-31"),  # 5 delivered on time, 3 still owed
    ("S4", 1, "2025-03-01", "Y", "6", "2025-04-30"),  # not due by as_of (2025-03-31)
]
DELIVERIES = [
    ("S1", 1, "2025-01-09", "10"),
    ("S1", 2, "2025-01-09", "3"),
    ("S1", 2, "2025-01-15", "2"),
    ("S2", 1, "2025-02-04", "4"),
    ("S3", 1, "2025-01-31", "5"),
    ("S9", 1, "2025-01-31", "5"),  # no such order line: ignored
]


@pytest.fixture
def ledger_dir(tmp_path):
    root = tmp_path / "ledger"
    orders = pa.Table.from_pylist(
        [
            {
                "order_id": o,
                "line_no": n,
                "order_date": D(od),
                "account_id": a,
                "product_id": "P",
                "quantity": Decimal(q),
                "requested_date": None,
                "promised_date": D(p),
            }
            for o, n, od, a, q, p in ORDERS
        ],
        schema=KINDS["orders"].arrow_schema,
    )
    deliveries = pa.Table.from_pylist(
        [
            {"order_id": o, "line_no": n, "delivery_date": D(day), "quantity": Decimal(q)}
            for o, n, day, q in DELIVERIES
        ],
        schema=KINDS["deliveries"].arrow_schema,
    )
    for name, table in (("orders", orders), ("deliveries", deliveries)):
        (root / name).mkdir(parents=True)
        pq.write_table(table, root / name / "part-00000.parquet")
    return tmp_path


def test_otif_fill_rate_lead_time_and_backorders_by_hand(ledger_dir, engine):
    report = service_levels(ledger_dir, "month", as_of=D("2025-03-31"), engine=engine)
    rows = {(r["account_id"], r["period"]): r for r in report["rows"]}
    assert sorted(rows) == [("X", "2025-01"), ("X", "2025-02"), ("Y", "2025-01")]
    x_jan = rows["X", "2025-01"]
    # X, January (promised): S1/1 OTIF, S1/2 not (2 units late). 1 of 2 lines = 50 %.
    # Fill rate: by the promised date 10 + 3 of 15 units = 86.67 %.
    # Lead time: S1/1 2 Jan → 9 Jan = 7 days; S1/2 completed 15 Jan = 13 days; mean 10.
    assert (x_jan["order_lines"], x_jan["otif_lines"]) == (2, 1)
    assert x_jan["otif_pct"] == 50.0
    assert x_jan["fill_rate_pct"] == 86.67
    assert x_jan["avg_lead_time_days"] == 10.0
    assert x_jan["backorder_lines"] == 0
    x_feb = rows["X", "2025-02"]
    # S2 promised 3 Feb, delivered 4 Feb: not OTIF, fill rate 0, lead time 15 days.
    assert (x_feb["otif_lines"], x_feb["fill_rate_pct"], x_feb["avg_lead_time_days"]) == (
        0,
        0.0,
        15.0,
    )
    y_jan = rows["Y", "2025-01"]
    # S3: 5 of 8 on time, 3 owed: a backorder; no lead time until it is complete. S4 is not
    # due by 31 March, so it is not counted at all.
    assert y_jan["otif_pct"] == 0.0 and y_jan["fill_rate_pct"] == 62.5
    assert y_jan["avg_lead_time_days"] is None
    assert (y_jan["backorder_lines"], y_jan["backorder_quantity"]) == (1, 3)


def test_as_of_ignores_later_deliveries(ledger_dir, engine):
    # On 12 January S1/2 had 3 of 5 units: a backorder of 2, no lead time yet.
    report = service_levels(ledger_dir, "quarter", as_of=D("2025-01-12"), engine=engine)
    (row,) = report["rows"]
    assert (row["account_id"], row["period"], row["order_lines"]) == ("X", "2025-Q1", 2)
    assert (row["backorder_lines"], row["backorder_quantity"]) == (1, 2)
    assert row["avg_lead_time_days"] == 7.0


@pytest.mark.spark
def test_duckdb_and_spark_agree(ledger_dir, spark):
    for period in ("month", "quarter", "year"):
        a = service_levels(ledger_dir, period, as_of=D("2025-03-31"), engine="duckdb")
        b = service_levels(ledger_dir, period, as_of=D("2025-03-31"), engine="spark")
        assert a == b


def test_open_lines(ledger_dir, engine):
    led = Ledger(ledger_dir, engine=engine)
    table = open_lines(led.table("orders"), led.table("deliveries"), D("2025-03-31"))
    got = {(r["order_id"], r["line_no"]): r["open_quantity"] for r in table.to_pylist()}
    # S3 owes 3; S4 (ordered 1 March) is open in full; the rest is delivered.
    assert got == {("S3", 1): Decimal("3"), ("S4", 1): Decimal("6")}
