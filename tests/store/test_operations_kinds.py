"""The import kinds orders, deliveries and supply: validated cell by cell, all or nothing,
idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from store_helpers import snapshot, write

from openkam.store import ImportFailed, import_ledger, ledger_counts

ORDERS = (
    "order_id,line_no,order_date,account_id,product_id,quantity,requested_date,promised_date\n"
    "SO-1,1,2025-01-02,ACME,P1,10,2025-01-09,2025-01-10\n"
    "SO-1,2,2025-01-02,ACME,P2,5,,2025-01-10\n"
    "SO-2,1,2025-01-05,BETA,P1,8,2025-01-12,2025-01-12\n"
)


def test_orders_import_and_reimport_changes_nothing(tmp_path, data_dir, known):
    path = write(tmp_path / "orders.csv", ORDERS)
    first = import_ledger("orders", [path], data_dir, known=known)
    assert (first.rows_read, first.rows_added) == (3, 3)
    before = snapshot(data_dir)
    again = import_ledger("orders", [path], data_dir, known=known)
    assert (again.rows_added, again.rows_unchanged) == (0, 3)
    assert snapshot(data_dir) == before
    assert ledger_counts(data_dir)["orders"] == 3


def test_bad_orders_load_nothing_and_say_where(tmp_path, data_dir, known):
    path = write(
        tmp_path / "orders.csv",
        ORDERS
        + "SO-3,1,2025-01-05,NOPE,P1,8,,2025-01-12\n"  # unknown account (row 5)
        + "SO-4,1,2025-01-05,BETA,P1,0,,2025-01-12\n"  # zero quantity (row 6)
        + "SO-5,1,2025-01-05,BETA,P1,3,,2025-01-01\n"  # promised before ordered (row 7)
        + "SO-1,1,2025-01-02,ACME,P1,10,,2025-01-10\n",  # duplicate key of row 2 (row 8)
    )
    with pytest.raises(ImportFailed) as caught:
        import_ledger("orders", [path], data_dir, known=known)
    where = {(i.row, i.column) for i in caught.value.issues}
    assert (5, "account_id") in where
    assert (6, "quantity") in where
    assert (7, "promised_date") in where
    assert (8, "order_id, line_no") in where
    assert ledger_counts(data_dir).get("orders", 0) == 0


def test_deliveries_and_supply(tmp_path, data_dir, known):
    deliveries = write(
        tmp_path / "deliveries.csv",
        "order_id,line_no,delivery_date,quantity\nSO-1,1,2025-01-09,10\nSO-1,2,2025-01-09,3\n"
        "SO-1,2,2025-01-15,2\n",
    )
    result = import_ledger("deliveries", [deliveries], data_dir, known=known)
    assert result.rows_added == 3
    supply = write(
        tmp_path / "supply.csv",
        "product_id,available_date,quantity\nP1,2025-01-31,100\nP1,2025-02-14,50.5\n",
    )
    assert import_ledger("supply", [supply], data_dir, known=known).rows_added == 2
    again = import_ledger("supply", [supply], data_dir, known=known)
    assert again.rows_unchanged == 2
    bad = write(
        tmp_path / "supply-bad.csv",
        "product_id,available_date,quantity\nP9,2025-01-31,100\nP1,2025-13-01,-5\n",
    )
    with pytest.raises(ImportFailed) as caught:
        import_ledger("supply", [bad], data_dir, known=known)
    where = {(i.row, i.column) for i in caught.value.issues}
    assert {(2, "product_id"), (3, "available_date"), (3, "quantity")} <= where
    assert ledger_counts(data_dir)["supply"] == 2


def test_a_corrected_delivery_needs_replace(tmp_path, data_dir, known):
    first = write(
        tmp_path / "d1.csv", "order_id,line_no,delivery_date,quantity\nSO-1,1,2025-01-09,10\n"
    )
    import_ledger("deliveries", [first], data_dir, known=known)
    fixed = write(
        tmp_path / "d2.csv", "order_id,line_no,delivery_date,quantity\nSO-1,1,2025-01-09,9\n"
    )
    with pytest.raises(ImportFailed):
        import_ledger("deliveries", [fixed], data_dir, known=known)
    result = import_ledger("deliveries", [fixed], data_dir, known=known, replace=True)
    assert result.rows_replaced == 1
    from openkam.engine.ledger import Ledger

    rows = Ledger(data_dir).table("deliveries").collect("pyarrow").to_arrow().to_pylist()
    assert [r["quantity"] for r in rows] == [Decimal("9.000")]
