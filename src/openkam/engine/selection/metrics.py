"""Data-derived selection criteria, computed from the ledger.

Over the last ``window`` months up to the review date (default 12), per account:

- ``net_contribution``: Σ net contribution (DESIGN.md §4 waterfall);
- ``contribution_margin_pct``: 100 · net contribution / net sales (None when net sales ≤ 0);
- ``net_sales_growth``: 100 · (NS_window − NS_previous) / NS_previous, NS over the window
  and the window before it (None when the earlier net sales are ≤ 0: growth from nothing
  has no rate);
- ``order_stability``: 1 − CV of monthly net sales, CV = σ/μ with the population standard
  deviation over every month of the window (months without sales count as 0); None when
  μ ≤ 0. Regular order flow is one of the seeds' attractiveness factors;
- ``dso``: days sales outstanding as the invoiced-amount-weighted mean of
  (paid_date − invoice_date) over the window's paid lines (the "average days to pay" form
  of DSO; None without payment dates), the amounts in the reporting currency;
- ``product_breadth``: number of distinct product lines bought (distinct products when
  no product-to-line table is given): breadth of the relationship and cross-sell reach.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

import narwhals as nw
import numpy as np
import pyarrow as pa

from openkam.engine.dates import with_day_numbers
from openkam.engine.money_lines import with_gross

__all__ = ["estimate_criteria", "ledger_metrics", "metrics_from_monthly", "payment_and_breadth"]


def _month_index(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def metrics_from_monthly(rows: Iterable[Mapping], end_month: str, window: int = 12) -> dict:
    """Contribution, margin, growth and stability from monthly waterfall rows.

    Parameters
    ----------
    rows
        ``{"account_id", "period" ("YYYY-MM"), "net_sales", "net_contribution"}`` per
        account and month (the ``"account"`` scope rows of the monthly waterfall).
    end_month
        The last month of the window, "YYYY-MM".
    window
        Months in the window.
    """
    end = _month_index(end_month)
    start = end - window + 1
    sales = defaultdict(lambda: np.zeros(2 * window))
    contribution = defaultdict(float)
    for r in rows:
        m = _month_index(r["period"])
        if not start - window <= m <= end:
            continue
        a = r["account_id"]
        sales[a][m - (start - window)] += float(r["net_sales"])
        if m >= start:
            contribution[a] += float(r["net_contribution"])
    out = {}
    for a, ns in sales.items():
        before, now = ns[:window], ns[window:]
        total, prior = now.sum(), before.sum()
        mean = now.mean()
        out[a] = {
            "net_sales": round(total, 2),
            "net_contribution": round(contribution[a], 2),
            "contribution_margin_pct": 100.0 * contribution[a] / total if total > 0 else None,
            "net_sales_growth": 100.0 * (total - prior) / prior if prior > 0 else None,
            "order_stability": 1.0 - now.std() / mean if mean > 0 else None,
        }
    return out


def payment_and_breadth(
    invoices: nw.LazyFrame,
    date_from: dt.date,
    date_to: dt.date,
    products: nw.LazyFrame | None = None,
) -> dict:
    """DSO and product breadth per account over ``[date_from, date_to]`` (see module doc).

    ``invoices`` should be the lines in the reporting currency
    (:meth:`openkam.engine.money_lines.Conversion.invoices`), so that the amounts weighting
    the days to pay are comparable; lines without ``gross_amount`` are taken as they are.
    ``products`` is a frame ``(product_id, product_line)`` on the same engine and connection.
    """
    lines = (
        with_gross(invoices)
        .filter(
            (nw.col("invoice_date") >= nw.lit(date_from))
            & (nw.col("invoice_date") <= nw.lit(date_to))
        )
        .with_columns(
            amount=(
                nw.col("gross_amount").cast(nw.Float64) - nw.col("discount_amount").cast(nw.Float64)
            )
        )
    )
    paid = (
        with_day_numbers(
            lines.filter(~nw.col("paid_date").is_null() & (nw.col("amount") > 0)),
            _paid="paid_date",
            _invoiced="invoice_date",
        )
        .with_columns(days=(nw.col("_paid") - nw.col("_invoiced")).cast(nw.Float64))
        .group_by("account_id")
        .agg(
            (nw.col("days") * nw.col("amount")).sum().alias("weighted"),
            nw.col("amount").sum().alias("paid_amount"),
        )
        .collect()
        .to_arrow()
        .to_pylist()
    )
    if products is not None:
        lines = lines.join(
            products.select("product_id", "product_line"), on="product_id", how="left"
        ).with_columns(item=nw.col("product_line").fill_null(nw.col("product_id")))
    else:
        lines = lines.with_columns(item=nw.col("product_id"))
    breadth = (
        lines.filter(nw.col("quantity") > 0)
        .group_by("account_id")
        .agg(nw.col("item").n_unique().alias("breadth"))
        .collect()
        .to_arrow()
        .to_pylist()
    )
    out: dict[str, dict] = defaultdict(dict)
    for r in paid:
        if r["paid_amount"]:
            out[r["account_id"]]["dso"] = r["weighted"] / r["paid_amount"]
    for r in breadth:
        out[r["account_id"]]["product_breadth"] = float(r["breadth"])
    return dict(out)


def ledger_metrics(
    ledger,
    *,
    as_of: dt.date | None = None,
    window: int = 12,
    products: pa.Table | None = None,
    engine: str = "duckdb",
    hierarchy: pa.Table | None = None,
    currency: str | None = None,
) -> dict[str, dict]:
    """Every data-derived criterion per account from a ledger (see module doc).

    Parameters
    ----------
    ledger
        A :class:`~openkam.engine.ledger.Ledger` or a data directory.
    as_of
        Review date; the window ends with its month (default: the last invoiced month).
    window
        Months in the window.
    products
        Arrow table ``(product_id, product_line)`` for product-line breadth.
    hierarchy
        Arrow table ``(account_id, parent_account_id)``: a parent is then judged on its
        whole group (its subtree's monthly contribution and sales), since subsidiaries are
        selected with their parent.
    currency
        The reporting currency every amount is converted into (default:
        :func:`openkam.engine.money_lines.reporting_currency`); a foreign amount without
        its rate raises ``ProfitabilityInputError`` naming the currency and dates.

    Returns
    -------
    dict
        ``{account_id: {criterion_key: value or None}}``; ``{}`` for an empty ledger.
    """
    from openkam.engine.ledger import Ledger
    from openkam.engine.money_lines import Conversion
    from openkam.engine.profitability import compute_profitability

    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger, engine=engine)
    invoices = ledger.table("invoices")
    if as_of is None:
        last = invoices.select(nw.col("invoice_date").max()).collect().to_arrow()
        as_of = last.column(0)[0].as_py()
        if as_of is None:
            return {}
    end_key = as_of.year * 12 + as_of.month - 1
    start_key = end_key - 2 * window + 1
    date_from = dt.date(start_key // 12, start_key % 12 + 1, 1)
    result = compute_profitability(
        ledger,
        "month",
        date_from=date_from,
        date_to=as_of,
        hierarchy=hierarchy,
        currency=currency,
    )
    wf = result.waterfall
    all_rows = wf.select(
        ["scope", "account_id", "period", "net_sales", "net_contribution"]
    ).to_pylist()
    # A parent's group figures replace its own; other accounts keep their own rows.
    groups = {r["account_id"] for r in all_rows if r["scope"] == "subtree"}
    rows = [r for r in all_rows if (r["scope"] == "subtree") == (r["account_id"] in groups)]
    out = metrics_from_monthly(rows, f"{as_of.year:04d}-{as_of.month:02d}", window)
    window_from_key = end_key - window + 1
    window_from = dt.date(window_from_key // 12, window_from_key % 12 + 1, 1)
    product_frame = ledger.from_arrow(products) if products is not None else None
    # In the reporting currency, as the profitability figures above (its rates are checked).
    converted = Conversion.of(ledger, currency).invoices()
    extra = payment_and_breadth(converted, window_from, as_of, product_frame)
    for a, values in extra.items():
        out.setdefault(a, {}).update(values)
    for values in out.values():
        values.setdefault("dso", None)
        values.setdefault("product_breadth", None)
    return out


def estimate_criteria(
    net_sales: float | None, potential: float | None = None, total_spend: float | None = None
) -> dict:
    """Criteria derived from people's estimates of one account.

    ``whitespace`` = estimated potential (annual spend the customer could place with us)
    − current annual net sales; ``share_of_wallet`` = 100 · net sales / the customer's
    total annual spend in our categories, capped at 100. None where the estimate is missing.
    """
    ns = float(net_sales or 0.0)
    return {
        "whitespace": float(potential) - ns if potential is not None else None,
        "share_of_wallet": min(100.0, 100.0 * ns / float(total_spend)) if total_spend else None,
    }
