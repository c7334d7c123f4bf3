"""The heavy part: one pass over each ledger table, aggregated per account and period.

Written once on narwhals lazy frames, so it runs unchanged on DuckDB and Spark. Every sum is
a sum of exact decimals (money at 2 decimals, quantity × price at 7), which both engines add
without rounding; the casts below keep the products' precision within 38 digits so that
neither engine has to drop decimals.
"""

from __future__ import annotations

import datetime as dt

import narwhals as nw

from openkam.engine.dates import day_number_of, with_day_numbers
from openkam.engine.profitability.periods import Period, key_expr

#: quantity (18,3) × unit price (18,4) has 7 decimals; 21 integer digits are ample for a line.
LINE_AMOUNT = nw.Decimal(28, 7)
#: Day numbers and day counts (below 10^7 days).
DAYS = nw.Decimal(7, 0)

#: The summed columns of each aggregate below (the other columns are its keys).
SALES_SUMS = ("gross", "discounts", "cogs", "amount_days", "lines")
REBATE_SUMS = ("rebates", "records")
CELL_SUMS = ("quantity", "records")


def within(frame: nw.LazyFrame, column: str, start: dt.date | None, end: dt.date | None):
    """The rows of ``frame`` whose date ``column`` lies in [start, end] (open ends: None)."""
    if start is not None:
        frame = frame.filter(nw.col(column) >= nw.lit(start, dtype=nw.Date))
    if end is not None:
        frame = frame.filter(nw.col(column) <= nw.lit(end, dtype=nw.Date))
    return frame


def _invoice_lines(
    invoices: nw.LazyFrame, period: Period, start: dt.date | None, end: dt.date | None
) -> nw.LazyFrame:
    """Invoice lines in the window with their period key, exact amounts and day numbers.

    ``invoices`` are the lines in the reporting currency, with ``gross_amount``
    (:meth:`openkam.engine.money_lines.Conversion.invoices`). Adds ``period_key``,
    ``_gross`` (the line's gross amount), ``_amount`` (gross −
    discount), ``_inv_day`` and ``_days`` (paid − invoiced, null for an unpaid line). Each
    is a column of its own so that the engine computes it once.
    """
    return (
        with_day_numbers(
            within(invoices, "invoice_date", start, end),
            _inv_day="invoice_date",
            _paid_day="paid_date",
        )
        .with_columns(
            period_key=key_expr(nw.col("invoice_date"), period),
            # In the reporting currency, rounded to the cent per line (money_lines).
            _gross=nw.col("gross_amount").cast(LINE_AMOUNT),
            _days=nw.col("_paid_day") - nw.col("_inv_day"),
        )
        .with_columns(_amount=nw.col("_gross") - nw.col("discount_amount"))
    )


#: An open receivable: not paid yet, but sold on credit (it has a due date).
_OPEN = nw.col("paid_date").is_null() & ~nw.col("due_date").is_null()


def sales_by_account(
    invoices: nw.LazyFrame,
    period: Period,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
) -> nw.LazyFrame:
    """Invoice lines summed per (account_id, period_key).

    Columns: ``gross`` (Σ quantity × unit_list_price, each line rounded to the cent),
    ``discounts``, ``cogs``,
    ``lines``, and ``amount_days`` = Σ amount × days outstanding, from which the credit
    cost of payment terms follows (see :mod:`openkam.engine.profitability.credit`), where
    amount = quantity × unit_list_price − discount_amount and days outstanding are
    max(paid − invoiced, 0) for a paid line, max(as_of − invoiced, 0) for an unpaid line
    with a due date (an open receivable), and 0 for a line with neither date (cash). Without
    an ``as_of`` date, open receivables count 0 days.
    """
    if as_of is not None:
        # Lines invoiced after the as-of date were not outstanding yet.
        is_open = _OPEN & (nw.col("invoice_date") <= nw.lit(as_of, dtype=nw.Date))
        as_of_day = day_number_of(as_of)
    else:
        is_open, as_of_day = nw.lit(False), 0
    # _days is null for unpaid lines, so they fall through to the open-receivable branch;
    # a paid line with no positive days outstanding counts 0 days.
    days = (
        nw.when(nw.col("_days") > 0)
        .then(nw.col("_days"))
        .when(is_open)
        .then(as_of_day - nw.col("_inv_day"))
        .otherwise(0)
    )
    lines = _invoice_lines(invoices, period, start, end).with_columns(_outstanding=days.cast(DAYS))
    return lines.group_by("account_id", "period_key").agg(
        gross=nw.col("_gross").sum(),
        discounts=nw.col("discount_amount").sum(),
        cogs=nw.col("cogs_amount").sum(),
        amount_days=(nw.col("_amount") * nw.col("_outstanding")).sum(),
        lines=nw.len(),
    )


def sales_partials(invoices: nw.LazyFrame, epoch_day: int) -> nw.LazyFrame:
    """Month sums of invoice lines that :func:`sales_by_account` follows from exactly, for
    any window of whole months and any as-of date on or after the last open line.

    Per (account_id, period_key of the month): ``gross``, ``discounts``, ``cogs``, ``lines``
    as in :func:`sales_by_account`; ``paid_amount_days`` = Σ amount × max(paid − invoiced, 0)
    over paid lines; over open receivables ``open_amount`` = Σ amount, ``open_amount_day`` =
    Σ amount × (invoice day − ``epoch_day``) and ``last_open_day``, the latest invoice day
    number. Then Σ amount × days outstanding = paid_amount_days + open_amount × (as_of −
    epoch) − open_amount_day: the as-of date enters only after aggregation.
    """
    lines = _invoice_lines(invoices, "month", None, None).with_columns(
        _paid_days=nw.when(nw.col("_days") > 0).then(nw.col("_days")).otherwise(0).cast(DAYS),
        _open_amount=nw.when(_OPEN).then(nw.col("_amount")),
        _open_day=nw.when(_OPEN).then(nw.col("_inv_day")),
    )
    return lines.group_by("account_id", "period_key").agg(
        gross=nw.col("_gross").sum(),
        discounts=nw.col("discount_amount").sum(),
        cogs=nw.col("cogs_amount").sum(),
        lines=nw.len(),
        paid_amount_days=(nw.col("_amount") * nw.col("_paid_days")).sum(),
        open_amount=nw.col("_open_amount").sum(),
        open_amount_day=(
            nw.col("_open_amount") * (nw.col("_open_day") - epoch_day).cast(DAYS)
        ).sum(),
        last_open_day=nw.col("_open_day").max(),
    )


def rebates_by_account(
    rebates: nw.LazyFrame,
    period: Period,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> nw.LazyFrame:
    """Rebates and off-invoice allowances summed per (account_id, period_key)."""
    return (
        within(rebates, "rebate_date", start, end)
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
    return _sum_cells(
        _dated_activities(activities, period, start, end).join(
            calendar, left_on=["pool", "activity_date"], right_on=["pool", "date"], how="left"
        ),
        "pool",
        "pool_start",
        "account_id",
        "period_key",
    )


def activity_months(
    activities: nw.LazyFrame, start: dt.date | None = None, end: dt.date | None = None
) -> nw.LazyFrame:
    """Driver quantities per (pool, account_id, period_key of the month), pool period unknown.

    When every pool period is made of whole months, :func:`~.abc.cells_of_months` finds the
    pool period of these few rows, which is much cheaper than joining every activity to the
    pool calendar as :func:`activity_cells` does.
    """
    return _sum_cells(
        _dated_activities(activities, "month", start, end), "pool", "account_id", "period_key"
    )


def _dated_activities(
    activities: nw.LazyFrame, period: Period, start: dt.date | None, end: dt.date | None
) -> nw.LazyFrame:
    return within(activities, "activity_date", start, end).with_columns(
        period_key=key_expr(nw.col("activity_date"), period)
    )


def _sum_cells(frame: nw.LazyFrame, *keys: str) -> nw.LazyFrame:
    # The CELL_SUMS of the activities of each group.
    return frame.group_by(*keys).agg(quantity=nw.col("quantity").sum(), records=nw.len())
