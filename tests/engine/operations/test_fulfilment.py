"""The per-line fulfilment kept beside the ledger gives the same service levels as the join,
however orders and deliveries arrive: separate files, deliveries before their orders,
corrections with ``replace``. Imports run through the real importer (``store.import_ledger``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openkam.engine.ledger import Ledger
from openkam.engine.operations import (
    Fulfilment,
    ledger_open_lines,
    refresh_fulfilment,
    service_levels,
)
from openkam.engine.operations.fulfilment import cache_root
from openkam.store import import_ledger

AS_OF = dt.date(2025, 3, 31)
ORDER_HEADER = "order_id,line_no,order_date,account_id,product_id,quantity,promised_date\n"
DELIVERY_HEADER = "order_id,line_no,delivery_date,quantity\n"


def _csv(tmp_path, name: str, header: str, rows: list[str]):
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


def _import(data_dir, tmp_path, kind: str, name: str, rows: list[str], replace=False):
    header = ORDER_HEADER if kind == "orders" else DELIVERY_HEADER
    import_ledger(kind, [_csv(tmp_path, name, header, rows)], data_dir, replace=replace)


def _both(data_dir, engine="duckdb", period="month", as_of=AS_OF):
    """The report with and without the fulfilment; they must agree."""
    joined = service_levels(data_dir, period, as_of=as_of, engine=engine)
    kept = service_levels(data_dir, period, as_of=as_of, engine=engine, cache=True)
    assert kept == joined
    return {(r["account_id"], r["period"]): r for r in kept["rows"]}


def _open(data_dir, engine="duckdb", as_of=AS_OF, accounts=None):
    """The open lines with and without the fulfilment; they must agree."""
    led = Ledger(data_dir, engine=engine)
    joined = ledger_open_lines(led, as_of, accounts=accounts)
    kept = ledger_open_lines(led, as_of, cache=True, accounts=accounts)
    assert kept.to_pylist() == joined.to_pylist()
    return {(r["order_id"], r["line_no"]): r["open_quantity"] for r in kept.to_pylist()}


def _cache_files(data_dir):
    return sorted(p.name for p in cache_root(Ledger(data_dir)).glob("*.parquet"))


JANUARY = [
    "S1,1,2025-01-02,X,P,10,2025-01-10",
    "S1,2,2025-01-02,X,P,5,2025-01-10",
    "S3,1,2025-01-05,Y,P,8,2025-01-31",
]
FEBRUARY = ["T2,1,2025-01-20,X,P,4,2025-02-03"]


def test_deliveries_before_their_orders_then_orders_in_two_files(tmp_path):
    data_dir = tmp_path / "data"
    # Deliveries arrive first: no order line yet, nothing due.
    _import(data_dir, tmp_path, "deliveries", "d1.csv", ["S1,1,2025-01-09,10", "S1,2,2025-01-09,3"])
    assert service_levels(data_dir, as_of=AS_OF, cache=True)["rows"] == []
    # Then the January orders: S1/1 is OTIF, S1/2 has 3 of 5 (a backorder), S3 nothing yet.
    _import(data_dir, tmp_path, "orders", "o1.csv", JANUARY)
    rows = _both(data_dir)
    x = rows["X", "2025-01"]
    assert (x["order_lines"], x["otif_lines"], x["backorder_lines"]) == (2, 1, 1)
    assert x["backorder_quantity"] == 2
    # The rest of S1/2 late (15 Jan), S3 part on time; then the February order in a file
    # of its own, and its delivery after it.
    _import(data_dir, tmp_path, "deliveries", "d2.csv", ["S1,2,2025-01-15,2", "S3,1,2025-01-31,5"])
    _import(data_dir, tmp_path, "orders", "o2.csv", FEBRUARY)
    _import(data_dir, tmp_path, "deliveries", "d3.csv", ["T2,1,2025-02-04,4"])
    rows = _both(data_dir)
    # By hand (as in test_service): X January 1 of 2 OTIF, fill 13/15 = 86.67 %, lead
    # (7 + 13) / 2 = 10 days; X February: 0 OTIF, lead 15; Y: 5 of 8 on time, 3 owed.
    assert (rows["X", "2025-01"]["otif_pct"], rows["X", "2025-01"]["fill_rate_pct"]) == (
        50.0,
        86.67,
    )
    assert rows["X", "2025-01"]["avg_lead_time_days"] == 10.0
    assert (rows["X", "2025-02"]["otif_lines"], rows["X", "2025-02"]["avg_lead_time_days"]) == (
        0,
        15.0,
    )
    assert (rows["Y", "2025-01"]["fill_rate_pct"], rows["Y", "2025-01"]["backorder_quantity"]) == (
        62.5,
        3,
    )
    # One fulfilment file per order file.
    assert len(_cache_files(data_dir)) == 2
    # Open: S3 owes 3 units; the rest is delivered.
    assert _open(data_dir) == {("S3", 1): Decimal("3")}
    assert _open(data_dir, accounts=["X"]) == {}


def test_a_delivery_of_new_orders_leaves_older_order_files_alone(tmp_path):
    data_dir = tmp_path / "data"
    _import(data_dir, tmp_path, "orders", "o1.csv", JANUARY)
    _import(data_dir, tmp_path, "deliveries", "d1.csv", ["S1,1,2025-01-09,10"])
    _import(data_dir, tmp_path, "orders", "o2.csv", FEBRUARY)
    refresh_fulfilment(data_dir)
    before = _cache_files(data_dir)
    # T2's delivery: its order id ("T2") lies outside the January file's range (S1–S3).
    _import(data_dir, tmp_path, "deliveries", "d2.csv", ["T2,1,2025-02-04,4"])
    refresh_fulfilment(data_dir)
    after = _cache_files(data_dir)
    assert len(set(before) & set(after)) == 1  # the January file's fulfilment is reused
    rows = _both(data_dir)
    assert rows["X", "2025-02"]["order_lines"] == 1


def test_replace_corrects_a_delivery_and_a_promise(tmp_path):
    data_dir = tmp_path / "data"
    _import(data_dir, tmp_path, "orders", "o1.csv", JANUARY)
    _import(data_dir, tmp_path, "deliveries", "d1.csv", ["S1,1,2025-01-09,10", "S1,2,2025-01-09,3"])
    assert _both(data_dir)["X", "2025-01"]["otif_lines"] == 1
    # The delivery of S1/2 was really 5 units: now both lines are OTIF.
    _import(data_dir, tmp_path, "deliveries", "d1-fix.csv", ["S1,2,2025-01-09,5"], replace=True)
    assert _both(data_dir)["X", "2025-01"]["otif_lines"] == 2
    # S1/1 was promised for 5 January, not the 10th: delivered on the 9th it is late.
    fixed = "S1,1,2025-01-02,X,P,10,2025-01-05"
    _import(data_dir, tmp_path, "orders", "o1-fix.csv", [fixed], replace=True)
    x = _both(data_dir)["X", "2025-01"]
    assert (x["otif_lines"], x["otif_pct"]) == (1, 50.0)


def test_an_earlier_as_of_joins_the_ledger_as_of_that_day(tmp_path):
    data_dir = tmp_path / "data"
    _import(data_dir, tmp_path, "orders", "o1.csv", JANUARY)
    _import(data_dir, tmp_path, "deliveries", "d1.csv", ["S1,1,2025-01-09,10", "S1,2,2025-01-15,5"])
    # On 12 January S1/2 had nothing yet: a backorder of 5 (the fulfilment cannot say so;
    # a delivery is dated after that day, so the engine joins instead).
    assert Fulfilment(Ledger(data_dir)).frame(dt.date(2025, 1, 12)) is None
    rows = _both(data_dir, period="quarter", as_of=dt.date(2025, 1, 12))
    assert rows["X", "2025-Q1"]["backorder_quantity"] == 5


@pytest.mark.spark
def test_duckdb_and_spark_agree_on_the_fulfilment(tmp_path, spark):
    data_dir = tmp_path / "data"
    _import(data_dir, tmp_path, "orders", "o1.csv", JANUARY + FEBRUARY)
    _import(
        data_dir,
        tmp_path,
        "deliveries",
        "d1.csv",
        ["S1,1,2025-01-09,10", "S1,2,2025-01-09,3", "S1,2,2025-01-15,2", "T2,1,2025-02-04,4"],
    )
    for period in ("month", "quarter", "year"):
        assert _both(data_dir, "spark", period) == _both(data_dir, "duckdb", period)
    assert _open(data_dir, "spark") == _open(data_dir, "duckdb") == {("S3", 1): Decimal("8")}
