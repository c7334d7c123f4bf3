"""Product mix: what each product line, product or buying unit brings to the margin.

An account's net contribution says whether it pays; its product mix says *where* the margin
comes from and where price leaks away: per product line (or product, or the customer's
buying unit, the invoices' ``business_unit``) the gross sales at list price, the on-invoice
discounts, the invoiced sales, the cost of goods and the **invoice margin** (invoiced sales −
cost of goods, the margin before rebates), with three ratios formed from those sums:

- share of sales = invoiced sales ÷ all invoiced sales of the selection;
- discount rate = discounts ÷ gross sales (the first step of the price waterfall, where
  list price leaks to invoice price: Marn & Rosiello 1992, "Managing price, gaining profit",
  Harvard Business Review 70(5));
- invoice margin % = invoice margin ÷ invoiced sales.

The mix stops before rebates on purpose. Rebates and the cost to serve are recorded per
account, not per product: they are customer-sustaining costs in the cost hierarchy of
Kaplan & Cooper (1998, *Cost & Effect*, ch. 10), and spreading them over products by sales
would only restate the sales mix. So the invoice margin is *not* the waterfall's gross margin
(net sales − cost of goods, after rebates); the account's gross margin and net contribution
are in its waterfall.

Sums are exact (quantity × unit price at 7 decimals) and each figure is rounded half up to
the cent once, as the waterfall does: for one account and period the totals equal its
waterfall's gross sales, discounts, invoiced sales and cost of goods to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.money_lines import with_gross
from openkam.engine.profitability.aggregates import LINE_AMOUNT, within
from openkam.engine.profitability.money import (
    cents_to_decimal,
    divide_half_up,
    ints_to_decimal,
    percent,
    scaled_ints,
    summable,
    to_cents,
)
from openkam.engine.profitability.report import table_to_dicts

#: What the mix can be broken down by.
MIX_DIMENSIONS = ("product_line", "product", "business_unit")
#: The product line of a product that is not in the product list.
UNLISTED = "(not in the product list)"
#: The buying unit of lines that name none.
NO_BUSINESS_UNIT = "(none)"
#: The money columns of each row, in waterfall order.
MIX_MONEY = ("gross_sales", "discounts", "invoiced_sales", "cogs", "invoice_margin")
#: Units of the exact gross-sales sums (quantity × unit price has 7 decimals).
_GROSS_SCALE = 7


@dataclass(frozen=True)
class ProductMix:
    """The mix of a selection of invoice lines.

    ``rows``: one row per product line, product or buying unit, highest invoice margin
    first (ties by key): ``key``, ``product_line`` (of a product; the key itself for a
    product line; null for buying units), ``lines``, ``accounts`` (distinct buyers),
    ``quantity`` (decimal128(18, 3)), the :data:`MIX_MONEY` columns (decimal128(18, 2)) and
    ``share_pct``, ``discount_pct``, ``invoice_margin_pct`` (float64, 2 decimals; null where
    the denominator is ≤ 0). ``totals``: the same money figures, lines, accounts,
    ``discount_pct`` and ``invoice_margin_pct`` over the whole selection, each money figure
    summed exactly and rounded once.
    """

    by: str
    rows: pa.Table
    totals: dict


def product_mix(
    invoices: nw.LazyFrame,
    by: str = "product_line",
    *,
    product_lines: Mapping[str, str] | None = None,
    account_ids: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ProductMix:
    """The product mix of the invoice lines of ``account_ids`` (all accounts: None) dated
    within [start, end] (open ends: None), broken down ``by`` one of :data:`MIX_DIMENSIONS`.

    ``product_lines`` maps product_id → product line (the product list); a product missing
    from it is counted under :data:`UNLISTED`. Runs on the ledger's engine (DuckDB or
    Spark): one group-by per (product or buying unit, account), the rest on that result.
    ``business_unit`` is the customer's buying unit: it compares the units of one account
    (which plants buy which lines), not the units of different customers.
    """
    if by not in MIX_DIMENSIONS:
        raise ValueError(f"unknown mix dimension {by!r}: use {', '.join(MIX_DIMENSIONS)}")
    column = "business_unit" if by == "business_unit" else "product_id"
    lines = within(invoices, "invoice_date", start, end)
    if account_ids is not None:
        lines = lines.filter(nw.col("account_id").is_in(list(account_ids)))
    sums = (
        with_gross(lines)
        .with_columns(_gross=nw.col("gross_amount").cast(LINE_AMOUNT))
        .group_by(column, "account_id")
        .agg(
            gross=nw.col("_gross").sum(),
            discounts=nw.col("discount_amount").sum(),
            cogs=nw.col("cogs_amount").sum(),
            quantity=nw.col("quantity").sum(),
            lines=nw.len(),
        )
        .collect("pyarrow")
        .to_arrow()
    )
    keys = sums[column].to_pylist()
    line_of = product_lines or {}
    if by == "product_line":
        keys = [line_of.get(k, UNLISTED) for k in keys]
    elif by == "business_unit":
        keys = [k if k else NO_BUSINESS_UNIT for k in keys]
    return _mix(by, sums, keys, line_of)


def lines_of_row(by: str, key: str, product_lines: Mapping[str, str] | None = None) -> nw.Expr:
    """The invoice lines behind one row of a mix (``by``, its ``key``): a filter for the
    drill-down from the mix to the lines, whose totals then equal the row's figures."""
    line_of = product_lines or {}
    if by in MIX_DIMENSIONS and not key:
        raise ValueError(f"give the key of the {by.replace('_', ' ')} whose lines to list")
    if by == "product":
        return nw.col("product_id") == key
    if by == "business_unit":
        if key == NO_BUSINESS_UNIT:
            return nw.col("business_unit").is_null() | (nw.col("business_unit") == "")
        return nw.col("business_unit") == key
    if by == "product_line":
        if key == UNLISTED:
            return ~nw.col("product_id").is_in(list(line_of))
        return nw.col("product_id").is_in([p for p, line in line_of.items() if line == key])
    raise ValueError(f"unknown mix dimension {by!r}: use {', '.join(MIX_DIMENSIONS)}")


def _mix(by: str, sums: pa.Table, keys: list[str], line_of: Mapping[str, str]) -> ProductMix:
    names, code = np.unique(np.array(keys, dtype=object), return_inverse=True)
    code, n = code.reshape(-1).astype(np.int64), len(names)
    exact = {
        "gross": summable(scaled_ints(sums["gross"], _GROSS_SCALE)),
        "discounts": summable(to_cents(sums["discounts"])),
        "cogs": summable(to_cents(sums["cogs"])),
        "quantity": summable(scaled_ints(sums["quantity"], 3)),
        "lines": np.asarray(sums["lines"].to_numpy(), dtype=np.int64),
    }
    per_key = {name: _add_up(values, code, n) for name, values in exact.items()}
    money = _money(per_key)
    order = np.array(
        sorted(range(n), key=lambda i: (-int(money["invoice_margin"][i]), str(names[i]))),
        dtype=np.int64,
    )
    money = {name: values[order] for name, values in money.items()}
    key_names = [str(names[i]) for i in order]
    product_line = {
        "product_line": key_names,
        "product": [line_of.get(k, UNLISTED) for k in key_names],
        "business_unit": [None] * n,
    }[by]
    totals = _money({name: np.array([sum(int(v) for v in exact[name])]) for name in exact})
    rows = pa.table(
        {
            "key": pa.array(key_names, pa.string()),
            "product_line": pa.array(product_line, pa.string()),
            "lines": pa.array(per_key["lines"][order], pa.int64()),
            "accounts": pa.array(_distinct_accounts(code, sums["account_id"], n)[order]),
            "quantity": ints_to_decimal(per_key["quantity"][order], pa.decimal128(18, 3)),
            **{name: cents_to_decimal(money[name]) for name in MIX_MONEY},
            "share_pct": percent(money["invoiced_sales"], totals["invoiced_sales"][0]),
            "discount_pct": percent(money["discounts"], money["gross_sales"]),
            "invoice_margin_pct": percent(money["invoice_margin"], money["invoiced_sales"]),
        }
    )
    summary = {name: int(totals[name][0]) / 100 for name in MIX_MONEY}
    summary["lines"] = int(exact["lines"].sum())
    summary["accounts"] = len(pc.unique(sums["account_id"]))
    summary["discount_pct"] = percent(totals["discounts"], totals["gross_sales"])[0].as_py()
    summary["invoice_margin_pct"] = percent(totals["invoice_margin"], totals["invoiced_sales"])[
        0
    ].as_py()
    return ProductMix(by=by, rows=rows, totals=summary)


def _add_up(values: np.ndarray, code: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=values.dtype)
    np.add.at(out, code, values)  # exact in int64 (bincount would go through float64)
    return out


def _money(exact: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The :data:`MIX_MONEY` figures in int64 cents from the exact sums: gross sales
    rounded half up once, then the waterfall's subtractions in whole cents."""
    gross = exact["gross"]
    unit = np.full(len(gross), 10 ** (_GROSS_SCALE - 2), dtype=np.int64)
    gross_sales = divide_half_up(gross, unit).astype(np.int64)
    discounts = np.asarray(exact["discounts"], dtype=np.int64)
    cogs = np.asarray(exact["cogs"], dtype=np.int64)
    invoiced = gross_sales - discounts
    return {
        "gross_sales": gross_sales,
        "discounts": discounts,
        "invoiced_sales": invoiced,
        "cogs": cogs,
        "invoice_margin": invoiced - cogs,
    }


def _distinct_accounts(code: np.ndarray, account_ids: pa.ChunkedArray, n: int) -> np.ndarray:
    """How many distinct accounts bought under each key (several products of one product
    line each bring a row for the same account)."""
    encoded = pc.dictionary_encode(account_ids.combine_chunks())
    account = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    pairs = np.unique(code * max(len(encoded.dictionary), 1) + account)
    return np.bincount(pairs // max(len(encoded.dictionary), 1), minlength=n).astype(np.int64)


def mix_to_dict(mix: ProductMix) -> dict:
    """A :class:`ProductMix` as a JSON-ready dict: ``{"by", "rows": [{"key",
    "product_line", "lines", "accounts", "quantity", "gross_sales", "discounts",
    "invoiced_sales", "cogs", "invoice_margin", "share_pct", "discount_pct",
    "invoice_margin_pct"}...], "totals": {...}}`` (money as numbers rounded to cents)."""
    quantities = [float(q) for q in mix.rows["quantity"].to_pylist()]
    rows = table_to_dicts(mix.rows.drop_columns(["quantity"]))
    for row, quantity in zip(rows, quantities, strict=True):
        row["quantity"] = quantity
    return {"by": mix.by, "rows": rows, "totals": dict(mix.totals)}
