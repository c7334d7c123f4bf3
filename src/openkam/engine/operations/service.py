"""Service levels from the order and delivery ledger: OTIF, fill rate, lead time, backorders.

Written once on narwhals lazy frames, so the same query runs on DuckDB and on Spark. Per
account and period of the *promised* date, over the order lines due by ``as_of`` (promised on
or before it: a line promised for next week cannot have failed yet):

- ``order_lines``: lines due;
- ``otif_lines``: lines on time in full — their whole quantity delivered on or before the
  promised date (DESIGN §4; the line-level OTIF of the SCOR model, "perfect order
  fulfilment" without the documentation and condition parts: APICS/ASCM, *SCOR Digital
  Standard*, RL.2.1–2.2);
- ``otif_pct`` = 100 × otif_lines / order_lines;
- ``fill_rate_pct`` = 100 × Σ min(quantity delivered by the promised date, quantity ordered)
  / Σ quantity ordered: the unit fill rate against the promise (Silver, Pyke & Thomas,
  *Inventory and Production Management in Supply Chains*, 4th ed. 2017, §7.3 "fill rate");
- ``avg_lead_time_days``: mean days from the order date to the delivery that completed the
  line, over lines delivered in full by ``as_of`` (lines still short have no lead time yet);
- ``backorder_lines`` / ``backorder_quantity``: lines past their promised date and not yet
  delivered in full by ``as_of``, and the quantity still owed on them.

Quantities are exact decimals; every sum is exact on both engines, and the ratios are made
afterwards in Python from those sums, so DuckDB and Spark give identical rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.dates import with_day_numbers
from openkam.engine.ledger import Ledger
from openkam.engine.profitability.periods import Period, check_period, key_expr, label

#: The per-row keys of :func:`service_levels`, in order (the CLI's JSON contract first).
ROW_KEYS = (
    "account_id",
    "period",
    "order_lines",
    "otif_lines",
    "otif_pct",
    "fill_rate_pct",
    "avg_lead_time_days",
    "ordered_quantity",
    "otif_quantity",
    "filled_quantity",
    "backorder_lines",
    "backorder_quantity",
)

#: Sums per group from which every measure is derived (see :func:`measures`).
SUMS = (
    "order_lines",
    "otif_lines",
    "ordered_quantity",
    "otif_quantity",
    "filled_quantity",
    "lead_days",
    "lead_lines",
    "backorder_lines",
    "backorder_quantity",
)

#: Quantities are summed as integer thousandths of a unit (the ledger's 3 decimals): exact,
#: and integer sums are much cheaper than decimal ones on both engines.
MILLI = 1000


def _milli(column: str) -> nw.Expr:
    return (nw.col(column) * MILLI).cast(nw.Int64)


def line_status(
    orders: nw.LazyFrame,
    deliveries: nw.LazyFrame,
    as_of: dt.date,
    keep: Iterable[str] = ("account_id", "product_id", "promised_date"),
) -> nw.LazyFrame:
    """One row per order line due by ``as_of`` with what was delivered against it.

    Columns: ``order_id``, ``line_no``, the order columns in ``keep``, ``_ordered`` (the
    order date's day number), ``q`` (quantity ordered), ``delivered`` (by ``as_of``),
    ``on_time`` (delivered on or before the promised date), ``last_day`` (day number of
    the last delivery), quantities in thousandths of a unit (Int64); then the flags
    ``otif`` and ``full`` (1/0), ``filled`` (on time, at most the quantity), ``owed`` and
    ``_lead`` (days from order to the delivery that completed the line; null while short).
    Deliveries after ``as_of`` are ignored, so a past date shows the state of that day.

    One join of the due lines with their deliveries and one group-by per line: the query
    reads each table once.
    """
    return with_flags(per_line(orders, deliveries, as_of, keep))


def per_line(
    orders: nw.LazyFrame,
    deliveries: nw.LazyFrame,
    as_of: dt.date | None,
    keep: Iterable[str],
) -> nw.LazyFrame:
    """The order lines (due by ``as_of``; all of them when None) with the sums of their
    deliveries (by ``as_of``; all when None): the columns of :func:`line_status` before
    its flags."""
    keep = [c for c in dict.fromkeys(keep) if c not in ("order_id", "line_no")]
    if as_of is not None:
        as_of_lit = nw.lit(as_of, dtype=nw.Date)
        orders = orders.filter(nw.col("promised_date") <= as_of_lit)
        deliveries = deliveries.filter(nw.col("delivery_date") <= as_of_lit)
    due = with_day_numbers(orders, _ordered="order_date").select(
        "order_id",
        "line_no",
        *keep,
        "_ordered",
        _promised=nw.col("promised_date"),
        q=_milli("quantity"),
    )
    shipped = with_day_numbers(deliveries, _day="delivery_date").select(
        "order_id", "line_no", "_day", "delivery_date", dq=_milli("quantity")
    )
    return (
        due.join(shipped, on=["order_id", "line_no"], how="left")
        .with_columns(
            _on_time=nw.when(nw.col("delivery_date") <= nw.col("_promised"))
            .then(nw.col("dq"))
            .otherwise(0)
        )
        .group_by("order_id", "line_no", *keep, "_ordered", "q")
        .agg(
            delivered=nw.col("dq").sum(),
            on_time=nw.col("_on_time").sum(),
            last_day=nw.col("_day").max(),
        )
        .with_columns(
            delivered=nw.col("delivered").fill_null(0),
            on_time=nw.col("on_time").fill_null(0),
        )
    )


def with_flags(lines: nw.LazyFrame) -> nw.LazyFrame:
    """:func:`per_line`'s rows with the flags of :func:`line_status` (``otif``, ``full``,
    ``filled``, ``owed``, ``_lead``), from ``q``, ``delivered``, ``on_time``, ``last_day``
    and ``_ordered``."""
    full = nw.col("delivered") >= nw.col("q")
    in_time = nw.col("on_time") >= nw.col("q")
    return lines.with_columns(
        otif=nw.when(in_time).then(1).otherwise(0),
        full=nw.when(full).then(1).otherwise(0),
        filled=nw.when(in_time).then(nw.col("q")).otherwise(nw.col("on_time")),
        owed=nw.when(full).then(0).otherwise(nw.col("q") - nw.col("delivered")),
        _lead=nw.when(full).then(nw.col("last_day") - nw.col("_ordered")),
    )


def _narrow(
    lines: nw.LazyFrame,
    accounts: Iterable[str] | None,
    products: Iterable[str] | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> nw.LazyFrame:
    if accounts is not None:
        lines = lines.filter(nw.col("account_id").is_in(list(accounts)))
    if products is not None:
        lines = lines.filter(nw.col("product_id").is_in(list(products)))
    if date_from is not None:
        lines = lines.filter(nw.col("promised_date") >= nw.lit(date_from, dtype=nw.Date))
    if date_to is not None:
        lines = lines.filter(nw.col("promised_date") <= nw.lit(date_to, dtype=nw.Date))
    return lines


def service_sums(
    orders: nw.LazyFrame,
    deliveries: nw.LazyFrame,
    *,
    period: Period = "month",
    as_of: dt.date,
    by: Iterable[str] = ("account_id",),
    accounts: Iterable[str] | None = None,
    products: Iterable[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pa.Table:
    """The :data:`SUMS` per ``by`` columns and ``period_key`` (of the promised date).

    ``accounts`` / ``products`` narrow the order lines; ``date_from`` / ``date_to`` narrow
    the promised dates (inclusive). Quantities are float64 units (summed exactly in
    thousandths first), counts int64. Returns an Arrow table sorted by the group keys.

    This reads the orders and joins their deliveries; :func:`ledger_service_sums` answers
    from the per-line fulfilment kept beside the ledger when it can (a single scan).
    """
    period = check_period(period)
    by = list(by)
    orders = _narrow(orders, accounts, products, date_from, date_to)
    orders = orders.with_columns(period_key=key_expr(nw.col("promised_date"), period))
    return _sum_lines(line_status(orders, deliveries, as_of, keep=[*by, "period_key"]), by)


def fulfilment_sums(
    fulfilment: nw.LazyFrame,
    *,
    period: Period = "month",
    as_of: dt.date,
    by: Iterable[str] = ("account_id",),
    accounts: Iterable[str] | None = None,
    products: Iterable[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pa.Table:
    """What :func:`service_sums` gives, from per-line fulfilment rows (see
    :mod:`~openkam.engine.operations.fulfilment`: every order line with all its deliveries
    and its flags). Exact only when no delivery is dated after ``as_of`` (then the flags of
    a line due by ``as_of`` do not depend on it); the caller checks that."""
    period = check_period(period)
    by = list(by)
    lines = _narrow(fulfilment, accounts, products, date_from, date_to).filter(
        nw.col("promised_date") <= nw.lit(as_of, dtype=nw.Date)
    )
    lines = lines.with_columns(period_key=key_expr(nw.col("promised_date"), period))
    return _sum_lines(lines, by)


def _sum_lines(lines: nw.LazyFrame, by: list[str]) -> pa.Table:
    result = (
        lines.group_by(*by, "period_key")
        .agg(
            order_lines=nw.len(),
            otif_lines=nw.col("otif").sum(),
            ordered_quantity=nw.col("q").sum(),
            otif_quantity=(nw.col("q") * nw.col("otif")).sum(),
            filled_quantity=nw.col("filled").sum(),
            lead_days=nw.col("_lead").sum(),
            lead_lines=nw.col("_lead").count(),
            backorder_lines=(1 - nw.col("full")).sum(),
            backorder_quantity=nw.col("owed").sum(),
        )
        .collect("pyarrow")
        .to_arrow()
    )
    columns = {}
    for name in result.column_names:
        col = pc.fill_null(result[name], 0) if name in SUMS else result[name]
        if name in _QUANTITIES:
            col = pc.divide(pc.cast(col, pa.float64()), float(MILLI))
        elif name in SUMS or name == "period_key":
            col = pc.cast(col, pa.int64())
        columns[name] = col
    table = pa.table(columns)
    return table.sort_by([(c, "ascending") for c in [*by, "period_key"]])


def ledger_service_sums(ledger: Ledger, *, as_of: dt.date, cache: bool = False, **kwargs):
    """:func:`service_sums` over a ledger's orders and deliveries (``kwargs`` as there).

    With ``cache``, from the per-line fulfilment kept under ``<data_dir>/cache/`` (made for
    the order files that lack it, see :mod:`~openkam.engine.operations.fulfilment`) when it
    can answer, i.e. when no delivery is dated after ``as_of``; else, and without
    ``cache``, by joining the ledger's deliveries to its order lines. Both give the same
    table.
    """
    if cache:
        from openkam.engine.operations.fulfilment import Fulfilment

        frame = Fulfilment(ledger).frame(as_of)
        if frame is not None:
            return fulfilment_sums(frame, as_of=as_of, **kwargs)
    return service_sums(ledger.table("orders"), ledger.table("deliveries"), as_of=as_of, **kwargs)


_QUANTITIES = ("ordered_quantity", "otif_quantity", "filled_quantity", "backorder_quantity")


def _pct(part, whole) -> float | None:
    return None if not whole else round(100.0 * float(part) / float(whole), 2)


def measures(sums: dict) -> dict:
    """The service measures of one group's :data:`SUMS` (a dict): ``otif_pct``,
    ``fill_rate_pct`` and ``avg_lead_time_days`` (None where the base is empty), rounded to
    2 decimals once, here."""
    lead_lines = int(sums.get("lead_lines") or 0)
    return {
        "otif_pct": _pct(sums["otif_lines"], sums["order_lines"]),
        "fill_rate_pct": _pct(sums["filled_quantity"], sums["ordered_quantity"]),
        "avg_lead_time_days": (
            round(float(sums["lead_days"]) / lead_lines, 2) if lead_lines else None
        ),
    }


def _ratio(part: np.ndarray, whole: np.ndarray, scale: float) -> list:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.round(scale * part / whole, 2)
    return [
        None if w == 0 else float(v) for v, w in zip(value.tolist(), whole.tolist(), strict=True)
    ]


def _numbers(values: list[float]) -> list:
    # Whole quantities print as integers ("592", not "592.0").
    return [int(v) if v.is_integer() else round(v, 3) for v in values]


def rows_of(table: pa.Table, period: Period) -> list[dict]:
    """The JSON rows (:data:`ROW_KEYS`) of a :func:`service_sums` table, computed column by
    column (a 10M-line ledger has hundreds of thousands of account × month rows)."""
    if table.num_rows == 0:
        return []
    col = {name: table[name].to_numpy() for name in SUMS}
    keys = table["period_key"].to_pylist()
    labels = {k: label(k, period) for k in set(keys)}
    data = {
        "account_id": table["account_id"].to_pylist(),
        "period": [labels[k] for k in keys],
        "order_lines": col["order_lines"].tolist(),
        "otif_lines": col["otif_lines"].tolist(),
        "otif_pct": _ratio(col["otif_lines"], col["order_lines"], 100.0),
        "fill_rate_pct": _ratio(col["filled_quantity"], col["ordered_quantity"], 100.0),
        "avg_lead_time_days": _ratio(col["lead_days"], col["lead_lines"], 1.0),
        "ordered_quantity": _numbers(col["ordered_quantity"].tolist()),
        "otif_quantity": _numbers(col["otif_quantity"].tolist()),
        "filled_quantity": _numbers(col["filled_quantity"].tolist()),
        "backorder_lines": col["backorder_lines"].tolist(),
        "backorder_quantity": _numbers(col["backorder_quantity"].tolist()),
    }
    return [
        dict(zip(ROW_KEYS, values, strict=True))
        for values in zip(*(data[k] for k in ROW_KEYS), strict=True)
    ]


def service_levels(
    ledger: Ledger | str,
    period: Period = "month",
    *,
    as_of: dt.date | None = None,
    accounts: Iterable[str] | None = None,
    engine: str = "duckdb",
    cache: bool = False,
) -> dict:
    """OTIF, fill rate, lead time and backorders per account and period of the promised date.

    Parameters
    ----------
    ledger
        A :class:`~openkam.engine.ledger.Ledger` or a data directory.
    period
        "month", "quarter" or "year".
    as_of
        Lines promised after it are not due yet and deliveries after it are ignored.
        Default: the ledger's last order or delivery date (see :func:`ledger_today`).
    accounts
        Only these accounts (default: all).
    engine
        "duckdb" or "spark" when ``ledger`` is a directory.
    cache
        Answer from the per-line fulfilment kept beside the ledger (a single scan; made
        for the order files that lack it) where it can: see :func:`ledger_service_sums`.
        The result is the same either way.

    Returns
    -------
    dict
        ``{"as_of", "period", "rows": [{key: value for key in ROW_KEYS}, ...]}``, rows sorted
        by account and period; quantities are numbers (whole ones as integers).
    """
    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger, engine=engine)
    as_of = as_of or ledger_today(ledger)
    rows = []
    if as_of is not None:
        table = ledger_service_sums(
            ledger, period=period, as_of=as_of, accounts=accounts, cache=cache
        )
        rows = rows_of(table, period)
    return {"as_of": as_of.isoformat() if as_of else None, "period": period, "rows": rows}


def ledger_today(ledger: Ledger) -> dt.date | None:
    """The ledger's own "today": the latest order or delivery date in it (from the Parquet
    statistics, no data read). A ledger is imported up to a day; measuring "as of" that day
    rather than the calendar's keeps an old extract (or the demo) meaningful."""
    dates = [
        ledger.column_max("orders", "order_date"),
        ledger.column_max("deliveries", "delivery_date"),
    ]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None
