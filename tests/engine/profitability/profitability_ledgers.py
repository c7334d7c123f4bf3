"""Small ledgers written to disk in the schema.py layout, for the profitability tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.schema import KINDS, LEDGER_TABLES

D = Decimal
d = dt.date.fromisoformat

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
    "due_date",
    "paid_date",
)
REBATE_COLUMNS = ("account_id", "rebate_date", "rebate_id", "amount", "kind")
ACTIVITY_COLUMNS = ("activity_date", "account_id", "pool", "quantity", "activity_id")
POOL_COLUMNS = ("pool", "period_start", "period_end", "cost", "capacity", "driver_unit")


def _typed(kind_name: str, columns: tuple[str, ...], rows: list[tuple]) -> pa.Table:
    schema = KINDS[kind_name].arrow_schema
    data = {}
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        field = schema.field(name)
        if pa.types.is_date32(field.type):
            values = [d(v) if isinstance(v, str) else v for v in values]
        if pa.types.is_decimal(field.type):
            values = [D(str(v)) if v is not None else None for v in values]
        data[name] = pa.array(values, field.type)
    return pa.table(data)


def write_ledger(
    root: Path,
    invoices: list[tuple] = (),
    rebates: list[tuple] = (),
    activities: list[tuple] = (),
    cost_pools: list[tuple] = (),
    files_per_table: int = 1,
) -> Path:
    """Write the rows (tuples in the *_COLUMNS order) under ``root/ledger``; empty tables
    get no folder at all. Tables may be split over several files (the ledger is their union).
    """
    tables = {
        "invoices": ("invoices", INVOICE_COLUMNS, invoices),
        "rebates": ("rebates", REBATE_COLUMNS, rebates),
        "activities": ("activities", ACTIVITY_COLUMNS, activities),
        "cost-pools": ("cost_pools", POOL_COLUMNS, cost_pools),
    }
    for kind, (folder, columns, rows) in tables.items():
        assert LEDGER_TABLES[kind] == folder
        rows = list(rows)
        if not rows:
            continue
        table = _typed(kind, columns, rows)
        out = root / "ledger" / folder
        out.mkdir(parents=True, exist_ok=True)
        step = max(1, -(-len(rows) // files_per_table))
        for part, offset in enumerate(range(0, len(rows), step)):
            pq.write_table(table.slice(offset, step), out / f"part-{part:03d}.parquet")
    (root / "ledger").mkdir(parents=True, exist_ok=True)
    return root


# The hand-computed ledger of test_profitability_waterfall.py: January–March 2024.
HAND_INVOICES = [
    # A: a discounted credit sale paid after 40 days, and a cash line with a sub-cent total.
    ("I1", 1, "2024-01-10", "A", "P1", "10", "100", "50.00", "600.00", "2024-02-09", "2024-02-19"),
    ("I1", 2, "2024-01-10", "A", "P2", "3", "33.3333", "0", "60.00", None, None),
    # A: an open receivable (due, not paid).
    ("I2", 1, "2024-02-05", "A", "P1", "5", "100", "0", "300.00", "2024-03-06", None),
    # B: a sale and a return of part of it, both paid after 30 days.
    ("I3", 1, "2024-01-15", "B", "P1", "20", "50", "100.00", "700.00", "2024-02-14", "2024-02-14"),
    ("I4", 1, "2024-01-25", "B", "P1", "-4", "50", "-20.00", "-140.00", "2024-02-24", "2024-02-24"),
    # Z: a sale fully returned the same day: a zero-sales account.
    ("I5", 1, "2024-01-20", "Z", "P2", "2", "10", "0", "8.00", None, None),
    ("I5", 2, "2024-01-20", "Z", "P2", "-2", "10", "0", "-8.00", None, None),
]
HAND_REBATES = [
    ("A", "2024-01-31", "R1", "30.00", "volume"),
    # D: a rebate with no invoice at all.
    ("D", "2024-02-28", "R2", "25.00", "marketing"),
]
HAND_ACTIVITIES = [
    ("2024-01-10", "A", "order_handling", "2", "X1"),
    ("2024-01-15", "B", "order_handling", "1", "X2"),
    ("2024-01-25", "B", "order_handling", "1", "X3"),
    # C: activities but no sales.
    ("2024-01-12", "C", "order_handling", "3", "X4"),
    ("2024-02-05", "A", "order_handling", "1", "X5"),
    ("2024-02-10", "C", "order_handling", "2", "X6"),
    ("2024-01-20", "A", "visits", "1", "X7"),
    ("2024-02-15", "C", "visits", "2", "X8"),
    ("2024-03-05", "B", "visits", "1", "X9"),
]
HAND_POOLS = [
    ("order_handling", "2024-01-01", "2024-01-31", "1000.00", "100", "order line"),
    ("order_handling", "2024-02-01", "2024-02-29", "1000.00", "300", "order line"),
    ("visits", "2024-01-01", "2024-03-31", "900.00", "7", "visit"),
]
#: P is the parent of A and B; G is the parent of P and D.
HAND_HIERARCHY = pa.table(
    {
        "account_id": ["A", "B", "P", "D", "G", "C", "Z"],
        "parent_account_id": ["P", "P", "G", "G", None, None, ""],
    }
)


def hand_ledger(root: Path, files_per_table: int = 1) -> Path:
    return write_ledger(
        root, HAND_INVOICES, HAND_REBATES, HAND_ACTIVITIES, HAND_POOLS, files_per_table
    )


def rich_ledger(root: Path) -> Path:
    """The hand ledger plus a few thousand seeded random records over two years."""
    rng = np.random.default_rng(20240601)
    accounts = [f"R{i:03d}" for i in range(60)] + ["A", "B", "C", "D", "Z"]
    n = 3000
    days = rng.integers(0, 730, n)
    invoices = list(HAND_INVOICES)
    for i in range(n):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=int(days[i]))
        qty = Decimal(int(rng.integers(-3, 40))) / 4 or Decimal(1)
        price = Decimal(int(rng.integers(100, 200000))) / 10000
        gross = qty * price
        discount = (gross * Decimal(int(rng.integers(0, 15))) / 100).quantize(Decimal("0.01"))
        cogs = (gross * Decimal("0.6")).quantize(Decimal("0.01"))
        terms = rng.integers(0, 3)
        due = day + dt.timedelta(days=30) if terms else None
        paid = day + dt.timedelta(days=int(rng.integers(0, 90))) if terms == 1 else None
        account = accounts[int(rng.integers(0, len(accounts)))]
        invoices.append((f"N{i}", 1, day, account, "P9", qty, price, discount, cogs, due, paid))
    rebates = list(HAND_REBATES) + [
        (
            accounts[int(rng.integers(0, 60))],
            dt.date(2023, 1, 1) + dt.timedelta(days=int(x)),
            f"RR{j}",
            Decimal(int(rng.integers(100, 500000))) / 100,
            "volume",
        )
        for j, x in enumerate(rng.integers(0, 730, 200))
    ]
    pools = [p for p in HAND_POOLS if p[0] != "visits"]
    for m in range(24):
        start = dt.date(2023 + m // 12, m % 12 + 1, 1)
        end = (start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        if start.year == 2024 and start.month <= 2:
            continue
        pools.append(("order_handling", start, end, Decimal("2500.00"), Decimal("150"), "line"))
    for q in range(8):
        start = dt.date(2023 + q // 4, 3 * (q % 4) + 1, 1)
        end = (start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
        pools.append(
            (
                "visits",
                start,
                end,
                Decimal("900.00") if q == 4 else Decimal("12345.67"),
                Decimal("7") if q == 4 else Decimal("41.5"),
                "visit",
            )
        )
    activities = list(HAND_ACTIVITIES) + [
        (
            dt.date(2023, 1, 1) + dt.timedelta(days=int(x)),
            accounts[int(a)],
            "visits" if v else "order_handling",
            Decimal(int(qq)) / 8,
            f"Y{k}",
        )
        for k, (x, a, v, qq) in enumerate(
            zip(
                rng.integers(0, 730, 1500),
                rng.integers(0, len(accounts), 1500),
                rng.integers(0, 2, 1500),
                rng.integers(1, 24, 1500),
                strict=True,
            )
        )
    ]
    return write_ledger(root, invoices, rebates, activities, pools, files_per_table=3)
