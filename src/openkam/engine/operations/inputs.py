"""What allocation reads from the ledger: open order lines, supply, unit contribution.

The open lines and the unit contributions are narwhals queries (DuckDB or Spark); the
allocation itself runs in NumPy on their (much smaller) result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.ledger import Ledger
from openkam.engine.money_lines import with_gross
from openkam.engine.profitability.money import ints_to_decimal

_Q = nw.Decimal(18, 3)

#: Columns of :func:`open_lines`.
OPEN_LINE_COLUMNS = (
    "order_id",
    "line_no",
    "account_id",
    "product_id",
    "order_date",
    "promised_date",
    "open_quantity",
)


def open_lines(orders: nw.LazyFrame, deliveries: nw.LazyFrame, as_of: dt.date) -> pa.Table:
    """Order lines placed by ``as_of`` and not delivered in full by then, with their
    ``open_quantity`` (ordered − delivered), sorted by order date, order id and line."""
    as_of_lit = nw.lit(as_of, dtype=nw.Date)
    placed = orders.filter(nw.col("order_date") <= as_of_lit)
    delivered = (
        deliveries.filter(nw.col("delivery_date") <= as_of_lit)
        .group_by("order_id", "line_no")
        .agg(delivered=nw.col("quantity").sum())
    )
    table = (
        placed.join(delivered, on=["order_id", "line_no"], how="left")
        .with_columns(
            open_quantity=(
                nw.col("quantity") - nw.col("delivered").fill_null(nw.lit(Decimal(0), dtype=_Q))
            ).cast(_Q)
        )
        .filter(nw.col("open_quantity") > 0)
        .select(*OPEN_LINE_COLUMNS)
        .collect("pyarrow")
        .to_arrow()
    )
    return table.sort_by(
        [("order_date", "ascending"), ("order_id", "ascending"), ("line_no", "ascending")]
    )


def ledger_open_lines(
    ledger: Ledger,
    as_of: dt.date,
    *,
    cache: bool = False,
    accounts: Iterable[str] | None = None,
) -> pa.Table:
    """:func:`open_lines` of a ledger (narrowed to ``accounts``). With ``cache``, from the
    per-line fulfilment kept beside the ledger when it can answer (no delivery after
    ``as_of``; see :mod:`~openkam.engine.operations.fulfilment`): one scan instead of the
    join. The same table either way."""
    frame = None
    if cache:
        from openkam.engine.operations.fulfilment import Fulfilment

        frame = Fulfilment(ledger).frame(as_of)
    if frame is None:
        orders = ledger.table("orders")
        if accounts is not None:
            orders = orders.filter(nw.col("account_id").is_in(list(accounts)))
        return open_lines(orders, ledger.table("deliveries"), as_of)
    if accounts is not None:
        frame = frame.filter(nw.col("account_id").is_in(list(accounts)))
    table = (
        frame.filter(nw.col("order_date") <= nw.lit(as_of, dtype=nw.Date))
        .filter(nw.col("delivered") < nw.col("q"))
        .select(*OPEN_LINE_COLUMNS[:-1], _open=nw.col("q") - nw.col("delivered"))
        .collect("pyarrow")
        .to_arrow()
    )
    milli = table["_open"].to_numpy(zero_copy_only=False)
    table = table.drop_columns(["_open"]).append_column(
        "open_quantity", ints_to_decimal(milli, pa.decimal128(18, 3))
    )
    return table.sort_by(
        [("order_date", "ascending"), ("order_id", "ascending"), ("line_no", "ascending")]
    )


def supply_table(ledger: Ledger) -> pa.Table:
    """The ``supply`` ledger table, in memory (it is one row per product and date)."""
    return ledger.table("supply").collect("pyarrow").to_arrow()


def unit_contribution(
    invoices: nw.LazyFrame,
    accounts: Iterable[str],
    products: Iterable[str],
    *,
    since: dt.date | None = None,
) -> dict[tuple[str, str] | str, float]:
    """Contribution per unit before cost-to-serve (net price − COGS) from the invoice lines:
    per (account_id, product_id) the account paid for it, and per product_id over all
    accounts as the fallback. Only sales (quantity > 0) count; ``since`` narrows the dates.

    ``invoices`` should be the lines in the reporting currency
    (:meth:`openkam.engine.money_lines.Conversion.invoices`, which gives each line its
    converted ``gross_amount``); lines without ``gross_amount`` are taken as they are, in
    one currency."""
    lines = with_gross(invoices).filter(nw.col("quantity") > 0)
    lines = lines.filter(nw.col("product_id").is_in(list(products)))
    if since is not None:
        lines = lines.filter(nw.col("invoice_date") >= nw.lit(since, dtype=nw.Date))
    lines = lines.with_columns(
        _margin=(nw.col("gross_amount") - nw.col("discount_amount") - nw.col("cogs_amount")).cast(
            nw.Decimal(28, 7)
        )
    )
    by_pair = (
        lines.filter(nw.col("account_id").is_in(list(accounts)))
        .group_by("account_id", "product_id")
        .agg(margin=nw.col("_margin").sum(), units=nw.col("quantity").sum())
        .collect("pyarrow")
        .to_arrow()
        .to_pylist()
    )
    by_product = (
        lines.group_by("product_id")
        .agg(margin=nw.col("_margin").sum(), units=nw.col("quantity").sum())
        .collect("pyarrow")
        .to_arrow()
        .to_pylist()
    )
    out: dict = {}
    for r in by_product:
        if r["units"]:
            out[r["product_id"]] = float(r["margin"]) / float(r["units"])
    for r in by_pair:
        if r["units"]:
            out[(r["account_id"], r["product_id"])] = float(r["margin"]) / float(r["units"])
    return out


def line_values(lines: pa.Table, per_unit: dict) -> np.ndarray:
    """The unit contribution of each line: its account's for the product, else the product's
    average, else 0."""
    accounts = lines["account_id"].to_pylist()
    products = lines["product_id"].to_pylist()
    return np.array(
        [
            per_unit.get((a, p), per_unit.get(p, 0.0))
            for a, p in zip(accounts, products, strict=True)
        ],
        dtype=float,
    )


def whole_units(quantity: pa.ChunkedArray) -> np.ndarray:
    """Quantities as whole units (rounded down)."""
    return np.floor(pc.cast(quantity, pa.float64()).to_numpy(zero_copy_only=False)).astype(np.int64)
