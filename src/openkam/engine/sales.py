"""Sales facts for one account or a group of accounts, read from the invoice ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import narwhals as nw

from openkam.engine.money_lines import with_gross
from openkam.engine.profitability.aggregates import within
from openkam.engine.profitability.money import cents_to_decimal, to_cents


def _lines(invoices: nw.LazyFrame, account_ids: Iterable[str]) -> nw.LazyFrame:
    ids = list(account_ids)
    return with_gross(invoices.filter(nw.col("account_id").is_in(ids))).with_columns(
        gross_sales=nw.col("gross_amount"),
    )


def sales_by_year(invoices: nw.LazyFrame, account_ids: Iterable[str]) -> list[dict]:
    """Gross sales, on-invoice discounts and invoiced sales per calendar year.

    invoiced sales = Σ gross amount − Σ discount_amount, a line's gross amount being
    quantity × unit_list_price rounded to the cent (returns are lines with
    negative quantity, so they reduce sales). Amounts are exact decimals, rounded to cents.
    """
    out = (
        _lines(invoices, account_ids)
        .with_columns(year=nw.col("invoice_date").dt.year())
        .group_by("year")
        .agg(
            nw.col("gross_sales").sum(),
            nw.col("discount_amount").sum().alias("discounts"),
            nw.len().alias("lines"),
            nw.col("invoice_id").n_unique().alias("invoices"),
        )
        .sort("year")
        .collect()
        .to_arrow()
        .to_pylist()
    )
    for row in out:
        row["gross_sales"] = round(row["gross_sales"], 2)
        row["invoiced_sales"] = round(row["gross_sales"] - row["discounts"], 2)
    return out


def recent_invoice_lines(
    invoices: nw.LazyFrame, account_ids: Iterable[str], limit: int = 20
) -> list[dict]:
    """The latest invoice lines of the accounts, newest first."""
    return (
        _lines(invoices, account_ids)
        .sort(["invoice_date", "invoice_id", "line_no"], descending=True)
        .head(limit)
        .collect()
        .to_arrow()
        .to_pylist()
    )


def invoice_lines_between(
    invoices: nw.LazyFrame,
    account_ids: Iterable[str],
    date_from: dt.date,
    date_to: dt.date,
    *,
    limit: int = 100,
    offset: int = 0,
    where: nw.Expr | None = None,
) -> tuple[list[dict], dict]:
    """The invoice lines behind an account's waterfall for one period: the drill-down.

    Returns ``(lines, totals)``: one page of lines, newest first (each with ``gross_sales``
    = quantity × unit_list_price rounded to the cent, ``invoiced_sales`` = gross − discount
    and ``gross_margin``
    = invoiced − cogs, exact), and the totals over *all* lines of the period (``lines``,
    ``gross_sales``, ``discounts``, ``invoiced_sales``, ``cogs``, ``invoice_margin`` = invoiced − cogs, before rebates), summed exactly and rounded
    to the cent as the profitability engine does, so they equal the waterfall's figures.
    ``where`` narrows the lines further (e.g. to one row of the product mix,
    :func:`openkam.engine.profitability.mix.lines_of_row`).
    """
    ids = list(account_ids)
    lines = within(
        invoices.filter(nw.col("account_id").is_in(ids)), "invoice_date", date_from, date_to
    )
    if where is not None:
        lines = lines.filter(where)
    lines = with_gross(lines).with_columns(gross_sales=nw.col("gross_amount"))
    sums = (
        lines.select(
            nw.len().alias("lines"),
            nw.col("gross_sales").sum(),
            nw.col("discount_amount").sum().alias("discounts"),
            nw.col("cogs_amount").sum().alias("cogs"),
        )
        .collect("pyarrow")
        .to_arrow()
    )
    cents = {name: int(to_cents(sums[name])[0]) for name in ("gross_sales", "discounts", "cogs")}
    cents["invoiced_sales"] = cents["gross_sales"] - cents["discounts"]
    cents["invoice_margin"] = cents["invoiced_sales"] - cents["cogs"]
    totals = {"lines": int(sums["lines"][0].as_py())} | {
        name: cents_to_decimal([value])[0].as_py() for name, value in cents.items()
    }
    page = (
        lines.with_columns(
            invoiced_sales=nw.col("gross_sales") - nw.col("discount_amount"),
        )
        .with_columns(gross_margin=nw.col("invoiced_sales") - nw.col("cogs_amount"))
        .sort(["invoice_date", "invoice_id", "line_no"], descending=True)
        .select(
            "invoice_date",
            "invoice_id",
            "line_no",
            "account_id",
            "product_id",
            "quantity",
            "unit_list_price",
            "gross_sales",
            "discount_amount",
            "invoiced_sales",
            "cogs_amount",
            "gross_margin",
            "due_date",
            "paid_date",
        )
        .collect("pyarrow")
        .to_arrow()
        .slice(offset, limit)
        .to_pylist()
    )
    return page, totals


def rebates_between(
    rebates: nw.LazyFrame, account_ids: Iterable[str], date_from: dt.date, date_to: dt.date
) -> list[dict]:
    """The rebate and allowance records of the accounts in the period, newest first."""
    return (
        within(
            rebates.filter(nw.col("account_id").is_in(list(account_ids))),
            "rebate_date",
            date_from,
            date_to,
        )
        .sort(["rebate_date", "rebate_id"], descending=True)
        .select("rebate_date", "rebate_id", "account_id", "kind", "amount")
        .collect("pyarrow")
        .to_arrow()
        .to_pylist()
    )
