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
from decimal import Decimal

import narwhals as nw
import pyarrow as pa

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

_Q = nw.Decimal(18, 3)
_ZERO = nw.lit(Decimal("0"), dtype=_Q)


def line_status(
    orders: nw.LazyFrame,
    deliveries: nw.LazyFrame,
    as_of: dt.date,
) -> nw.LazyFrame:
    """One row per order line due by ``as_of`` with what was delivered against it.

    Columns: the order line's own plus ``delivered`` (by ``as_of``), ``on_time`` (delivered
    on or before the promised date), ``completed_date`` (the last delivery, when the line is
    delivered in full), and the integer flags ``otif``, ``complete`` and ``backorder``.
    Deliveries after ``as_of`` are ignored, so a past date shows the state of that day.
    """
    as_of_lit = nw.lit(as_of, dtype=nw.Date)
    due = orders.filter(nw.col("promised_date") <= as_of_lit)
    keys = due.select("order_id", "line_no", "promised_date")
    delivered = (
        deliveries.filter(nw.col("delivery_date") <= as_of_lit)
        .join(keys, on=["order_id", "line_no"], how="inner")
        .with_columns(
            _on_time=nw.when(nw.col("delivery_date") <= nw.col("promised_date"))
            .then(nw.col("quantity"))
            .otherwise(_ZERO)
        )
        .group_by("order_id", "line_no")
        .agg(
            delivered=nw.col("quantity").sum(),
            on_time=nw.col("_on_time").sum(),
            last_delivery=nw.col("delivery_date").max(),
        )
    )
    lines = due.join(delivered, on=["order_id", "line_no"], how="left").with_columns(
        delivered=nw.col("delivered").fill_null(_ZERO),
        on_time=nw.col("on_time").fill_null(_ZERO),
    )
    full = nw.col("delivered") >= nw.col("quantity")
    return lines.with_columns(
        otif=nw.when(nw.col("on_time") >= nw.col("quantity")).then(1).otherwise(0),
        complete=nw.when(full).then(1).otherwise(0),
        backorder=nw.when(~full).then(1).otherwise(0),
        filled=nw.when(nw.col("on_time") >= nw.col("quantity"))
        .then(nw.col("quantity"))
        .otherwise(nw.col("on_time")),
        owed=nw.when(full).then(_ZERO).otherwise(nw.col("quantity") - nw.col("delivered")),
        completed_date=nw.when(full).then(nw.col("last_delivery")),
    )


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
    the promised dates (inclusive). Returns an Arrow table sorted by the group keys.
    """
    period = check_period(period)
    by = list(by)
    if accounts is not None:
        orders = orders.filter(nw.col("account_id").is_in(list(accounts)))
    if products is not None:
        orders = orders.filter(nw.col("product_id").is_in(list(products)))
    if date_from is not None:
        orders = orders.filter(nw.col("promised_date") >= nw.lit(date_from, dtype=nw.Date))
    if date_to is not None:
        orders = orders.filter(nw.col("promised_date") <= nw.lit(date_to, dtype=nw.Date))
    lines = with_day_numbers(
        line_status(orders, deliveries, as_of), _ordered="order_date", _done="completed_date"
    ).with_columns(
        period_key=key_expr(nw.col("promised_date"), period),
        _lead=nw.col("_done") - nw.col("_ordered"),
    )
    result = (
        lines.group_by(*by, "period_key")
        .agg(
            order_lines=nw.len(),
            otif_lines=nw.col("otif").sum(),
            ordered_quantity=nw.col("quantity").sum(),
            otif_quantity=nw.when(nw.col("otif") == 1)
            .then(nw.col("quantity"))
            .otherwise(_ZERO)
            .sum(),
            filled_quantity=nw.col("filled").sum(),
            lead_days=nw.col("_lead").sum(),
            lead_lines=nw.col("_lead").count(),
            backorder_lines=nw.col("backorder").sum(),
            backorder_quantity=nw.col("owed").sum(),
        )
        .collect("pyarrow")
        .to_arrow()
    )
    return result.sort_by([(c, "ascending") for c in [*by, "period_key"]])


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


def _number(value):
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


def service_levels(
    ledger: Ledger | str,
    period: Period = "month",
    *,
    as_of: dt.date | None = None,
    accounts: Iterable[str] | None = None,
    engine: str = "duckdb",
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
        table = service_sums(
            ledger.table("orders"),
            ledger.table("deliveries"),
            period=period,
            as_of=as_of,
            accounts=accounts,
        )
        for r in table.to_pylist():
            row = {
                "account_id": r["account_id"],
                "period": label(int(r["period_key"]), period),
                **{k: r[k] for k in SUMS},
            }
            row.update(measures(r))
            rows.append({k: _number(row[k]) for k in ROW_KEYS})
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
