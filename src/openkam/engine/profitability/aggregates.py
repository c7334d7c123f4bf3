"""The heavy part: one pass over each ledger table, aggregated per account and period.

Written once on narwhals lazy frames, so it runs unchanged on DuckDB and Spark. Every sum is
a sum of exact decimals (money at 2 decimals, quantity × price at 7), which both engines add
without rounding; the casts below keep the products' precision within 38 digits so that
neither engine has to drop decimals.
"""

from __future__ import annotations

import datetime as dt

import narwhals as nw

from openkam.engine.profitability.periods import Period, day_number, key_expr

#: quantity (18,3) × unit price (18,4) has 7 decimals; 21 integer digits are ample for a line.
LINE_AMOUNT = nw.Decimal(28, 7)
#: Day numbers and day counts (below 10^7 days).
DAYS = nw.Decimal(7, 0)


def _within(frame: nw.LazyFrame, column: str, start: dt.date | None, end: dt.date | None):
    if start is not None:
        frame = frame.filter(nw.col(column) >= nw.lit(start, dtype=nw.Date))
    if end is not None:
        frame = frame.filter(nw.col(column) <= nw.lit(end, dtype=nw.Date))
    return frame


def sales_by_account(
    invoices: nw.LazyFrame,
    period: Period,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
) -> nw.LazyFrame:
    """Invoice lines summed per (account_id, period_key).

    Columns: ``gross`` (Σ quantity × unit_list_price, 7 decimals), ``discounts``, ``cogs``,
    ``lines``, the receivable terms for the credit cost of payment terms (see
    :mod:`openkam.engine.profitability.credit`): ``credit_paid`` = Σ amount × days from
    invoice to payment over paid lines; ``open_amount`` = Σ amount and ``open_amount_day`` =
    Σ amount × invoice day number over unpaid lines that carry a due date (so that the
    days to an as-of date chosen after the pass are ``as_of_day × open_amount −
    open_amount_day``); and ``last_date``, the latest invoice or payment date (the default
    as-of date).
    """
    inv_day = day_number(nw.col("invoice_date"))
    paid_day = day_number(nw.col("paid_date"))
    gross = (nw.col("quantity") * nw.col("unit_list_price")).cast(LINE_AMOUNT)
    amount = nw.col("_gross") - nw.col("discount_amount")
    zero = nw.lit(0, dtype=nw.Decimal(1, 0))
    is_open = nw.col("paid_date").is_null() & ~nw.col("due_date").is_null()
    if as_of is not None:
        # Lines invoiced after the as-of date were not yet outstanding.
        is_open = is_open & (nw.col("invoice_date") <= nw.lit(as_of, dtype=nw.Date))
    lines = _within(invoices, "invoice_date", start, end).with_columns(
        period_key=key_expr(nw.col("invoice_date"), period),
        _gross=gross,
        _days_paid=(paid_day - inv_day).clip(lower_bound=0).cast(DAYS),
        _inv_day=inv_day.cast(DAYS),
        _open=is_open,
    )
    return lines.group_by("account_id", "period_key").agg(
        gross=nw.col("_gross").sum(),
        discounts=nw.col("discount_amount").sum(),
        cogs=nw.col("cogs_amount").sum(),
        credit_paid=nw.when(~nw.col("paid_date").is_null())
        .then(amount * nw.col("_days_paid"))
        .otherwise(zero)
        .sum(),
        open_amount=nw.when(nw.col("_open")).then(amount).otherwise(zero).sum(),
        open_amount_day=nw.when(nw.col("_open"))
        .then(amount * nw.col("_inv_day"))
        .otherwise(zero)
        .sum(),
        last_date=nw.max_horizontal(nw.col("invoice_date"), nw.col("paid_date")).max(),
        lines=nw.len(),
    )


def rebates_by_account(
    rebates: nw.LazyFrame,
    period: Period,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> nw.LazyFrame:
    """Rebates and off-invoice allowances summed per (account_id, period_key)."""
    return (
        _within(rebates, "rebate_date", start, end)
        .with_columns(period_key=key_expr(nw.col("rebate_date"), period))
        .group_by("account_id", "period_key")
        .agg(rebates=nw.col("amount").sum(), records=nw.len())
    )


def activity_cells(
    activities: nw.LazyFrame,
    calendar: nw.LazyFrame,
    period: Period,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> nw.LazyFrame:
    """Driver quantities per (pool, pool_start, account_id, period_key): the allocation cells.

    ``calendar`` maps (pool, date) to the start of the pool period covering that day; an
    activity with no pool period gets a null ``pool_start`` (reported as an input error).
    """
    return (
        _within(activities, "activity_date", start, end)
        .with_columns(period_key=key_expr(nw.col("activity_date"), period))
        .join(calendar, left_on=["pool", "activity_date"], right_on=["pool", "date"], how="left")
        .group_by("pool", "pool_start", "account_id", "period_key")
        .agg(quantity=nw.col("quantity").sum(), records=nw.len())
    )
