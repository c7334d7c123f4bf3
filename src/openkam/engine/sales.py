"""Sales facts for one account or a group of accounts, read from the invoice ledger."""

from __future__ import annotations

from collections.abc import Iterable

import narwhals as nw


def _lines(invoices: nw.LazyFrame, account_ids: Iterable[str]) -> nw.LazyFrame:
    ids = list(account_ids)
    return invoices.filter(nw.col("account_id").is_in(ids)).with_columns(
        gross_sales=nw.col("quantity") * nw.col("unit_list_price"),
    )


def sales_by_year(invoices: nw.LazyFrame, account_ids: Iterable[str]) -> list[dict]:
    """Gross sales, on-invoice discounts and invoiced sales per calendar year.

    invoiced sales = Σ quantity × unit_list_price − Σ discount_amount (returns are lines with
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
