"""The demo's orders, deliveries and supply, derived from its invoice lines.

Every sales invoice line was an order line delivered on its invoice date: the order was
placed a few days earlier and promised for a date that the delivery met (most of the time),
missed by a few days, or met only in part (a split delivery whose rest came later; a rest due after the ledger's last day is a
backorder). A third
of the key accounts are served worse in the last six months — the story a key account
manager has to answer for. On top, the last two weeks hold open orders promised for the weeks after the ledger's last day,
and ``supply`` holds stock and expected receipts for their products, short for about one
product in seven, so that allocation has something to decide.

The draws are hashes of the invoice line and the seed (DuckDB's ``hash``), so the same
demo gives the same rows, and the generation runs as one DuckDB query at any size.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from openkam.engine.schema import DELIVERIES, ORDERS, SUPPLY
from openkam.engine.synth.writer import RollingWriter, write_table

#: Share of order lines delivered late (days 1–6), and for the slow key accounts lately
#: (about 95 % OTIF against 77 %).
LATE_SHARE, SLOW_LATE_SHARE = 0.03, 0.22
#: Share of lines delivered in two parts (70 % on time, the rest 3–10 days later).
SPLIT_SHARE = 0.02
#: Days of open orders at the end of the ledger.
OPEN_DAYS = 14
#: Share of products short of supply for their open orders.
SCARCE_SHARE = 0.15


def _u(salt: int) -> str:
    # A uniform draw in [0, 1) from the line's identity, the seed and a salt.
    return f"((hash(invoice_id, line_no, $seed, {salt}) % 1000003) / 1000003.0)"


def generate_operations(
    data_dir: Path,
    invoice_files: list[Path],
    *,
    seed: int,
    slow_accounts: list[str],
    run_id: str | None = None,
    rows_per_file: int = 2_000_000,
) -> dict[str, int]:
    """Write ``ledger/{orders,deliveries,supply}`` from the demo's invoice files.

    ``slow_accounts`` are served worse in the last six months. Returns the row counts.
    """
    ledger = Path(data_dir) / "ledger"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    files = [str(f) for f in invoice_files]
    last = con.execute("SELECT max(invoice_date) FROM read_parquet($f)", {"f": files}).fetchall()[
        0
    ][0]
    if last is None:
        return {"orders": 0, "deliveries": 0, "supply": 0}
    con.register("slow_rows", pa.table({"account_id": pa.array(slow_accounts, pa.string())}))
    con.execute("CREATE TEMP TABLE slow AS SELECT * FROM slow_rows")
    # Views cannot hold prepared parameters: the few values are written into the SQL.
    values = {
        "$f": "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]",
        "$seed": str(int(seed)),
        "$slow_from": f"DATE '{last - dt.timedelta(days=182)}'",
        "$last": f"DATE '{last}'",
    }

    def sql(text: str) -> str:
        for name, value in values.items():
            text = text.replace(name, value)
        return text

    con.execute(
        sql(f"""
        CREATE TEMP VIEW planned AS
        SELECT invoice_id, line_no, invoice_date, account_id, product_id, quantity,
               5 + CAST(floor({_u(1)} * 6) AS INTEGER) AS promise_days,
               CASE WHEN {_u(2)} < CASE WHEN s.account_id IS NOT NULL
                                         AND invoice_date >= $slow_from
                                    THEN {SLOW_LATE_SHARE} ELSE {LATE_SHARE} END
                    THEN 1 + CAST(floor({_u(3)} * 6) AS INTEGER)
                    ELSE -CAST(floor({_u(3)} * 3) AS INTEGER) END AS delay,
               {_u(4)} < {SPLIT_SHARE} AND quantity >= 2 AS split,
               3 + CAST(floor({_u(5)} * 8) AS INTEGER) AS rest_after,
               {_u(6)} AS u_open, {_u(7)} AS u_day, CAST(floor({_u(8)} * 3) AS INTEGER) AS early
        FROM read_parquet($f) LEFT JOIN slow s USING (account_id)
        WHERE quantity > 0
        """)
    )
    orders_sql = """
        SELECT 'SO-' || substr(invoice_id, 5) AS order_id, line_no,
               CAST(invoice_date - (promise_days + delay) AS DATE) AS order_date,
               account_id, product_id, quantity,
               CAST(invoice_date - (delay + early) AS DATE) AS requested_date,
               CAST(invoice_date - delay AS DATE) AS promised_date
        FROM planned
        UNION ALL
        SELECT 'SO-O' || substr(invoice_id, 5), line_no,
               CAST($last - CAST(floor(u_day * 14) AS INTEGER) AS DATE),
               account_id, product_id, quantity,
               -- Open orders are promised after the ledger's last day: not late yet.
               CAST($last + 1 + CAST(floor(u_day * 14) AS INTEGER) - early AS DATE),
               CAST($last + 1 + CAST(floor(u_day * 14) AS INTEGER) AS DATE)
        FROM planned
        WHERE invoice_date > $last - 30 AND u_open < 0.5
        ORDER BY order_id, line_no
    """
    deliveries_sql = """
        SELECT 'SO-' || substr(invoice_id, 5) AS order_id, line_no,
               invoice_date AS delivery_date,
               CASE WHEN split THEN CAST(floor(quantity * 0.7) AS DECIMAL(18, 3))
                    ELSE quantity END AS quantity
        FROM planned
        UNION ALL
        SELECT 'SO-' || substr(invoice_id, 5), line_no,
               CAST(invoice_date + rest_after AS DATE),
               CAST(quantity - floor(quantity * 0.7) AS DECIMAL(18, 3))
        -- A rest due after the ledger's last day is still owed: a backorder.
        FROM planned WHERE split AND invoice_date + rest_after <= $last
        ORDER BY order_id, line_no, delivery_date
    """
    counts = {}
    for name, query, kind in (
        ("orders", orders_sql, ORDERS),
        ("deliveries", deliveries_sql, DELIVERIES),
    ):
        writer = RollingWriter(ledger / name, kind.arrow_schema, rows_per_file, run_id=run_id)
        # The relation's own reader streams batches; a DB-API result's copies every row.
        for batch in con.sql(sql(query)).to_arrow_reader(1 << 18):
            writer.write(pa.Table.from_batches([batch]).cast(kind.arrow_schema))
        writer.close()
        counts[name] = writer.rows
    supply = con.sql(
        sql(f"""
        WITH open_demand AS (
            SELECT product_id, sum(quantity) AS demand
            FROM planned WHERE invoice_date > $last - 30 AND u_open < 0.5
            GROUP BY product_id
        ), drawn AS (
            SELECT product_id, demand,
                   (hash(product_id, $seed, 9) % 1000003) / 1000003.0 AS u,
                   7 + CAST(hash(product_id, $seed, 10) % 15 AS INTEGER) AS receipt_in
            FROM open_demand
        ), sized AS (
            SELECT product_id, receipt_in,
                   CASE WHEN u < {SCARCE_SHARE} THEN floor(demand * (0.45 + 2.5 * u))
                        ELSE ceil(demand * (1.1 + 0.5 * u)) END AS total
            FROM drawn
        )
        SELECT product_id, CAST($last AS DATE) AS available_date,
               CAST(floor(total * 0.6) AS DECIMAL(18, 3)) AS quantity
        FROM sized WHERE floor(total * 0.6) > 0
        UNION ALL
        SELECT product_id, CAST($last + receipt_in AS DATE),
               CAST(total - floor(total * 0.6) AS DECIMAL(18, 3))
        FROM sized WHERE total - floor(total * 0.6) > 0
        ORDER BY product_id, available_date
        """)
    ).to_arrow_table()
    write_table(supply.cast(SUPPLY.arrow_schema), ledger / "supply" / "part-00000.parquet", run_id)
    counts["supply"] = supply.num_rows
    con.close()
    return counts
