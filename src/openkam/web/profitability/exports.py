"""Downloads of the stored figures: the profitability table as CSV.

Money is written as plain decimals with two places and a dot, no thousand separators, so
spreadsheets and pandas read the numbers as numbers; a ``currency`` column names the ISO
4217 currency of every amount of the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from openkam.web.accounts.models import Account
from openkam.web.core.exports import csv_writer
from openkam.web.profitability.services import MONEY_FIELDS

#: The fixed columns; one column per cost pool follows (pool names, sorted).
PROFITABILITY_COLUMNS = [
    "account_id",
    "account_name",
    "period",
    "currency",
    *MONEY_FIELDS,
    "contribution_margin_pct",
    "cts_pct",
    "previous_net_contribution",
    "change",
    "price_cost_quadrant",
]

CENT = Decimal("0.01")


def profitability_rows(
    rows: QuerySet, quadrants: dict[str, str] | None = None, currency: str | None = None
) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the CSV for ``rows`` (``AccountPeriodFigures``, already
    filtered and sorted as on the page), every row, in that order; ``quadrants`` maps an
    account to its quadrant of the price-cost matrix (empty where it has none); the amounts
    are in ``currency`` (the run's; default the reporting currency)."""
    currency = currency or settings.OPENKAM_REPORTING_CURRENCY
    quadrants = quadrants or {}
    name = Account.objects.filter(account_id=OuterRef("account_key")).values("name")[:1]
    records = list(
        rows.annotate(account_name=Subquery(name)).values(
            "account_key",
            "account_name",
            "period",
            *MONEY_FIELDS,
            "contribution_margin_pct",
            "cost_by_pool",
            "previous_contribution",
            "change",
        )
    )
    pools = sorted({pool for r in records for pool in r["cost_by_pool"] or {}})
    out = []
    for r in records:
        by_pool = r["cost_by_pool"] or {}
        out.append(
            [
                r["account_key"],
                r["account_name"] or "",
                r["period"],
                currency,
                *(_money(r[k]) for k in MONEY_FIELDS),
                _number(r["contribution_margin_pct"]),
                _cts_pct(r["cost_to_serve"], r["net_sales"]),
                _money(r["previous_contribution"]),
                _money(r["change"]),
                quadrants.get(r["account_key"]) or "",
                *(_money(by_pool.get(p)) for p in pools),
            ]
        )
    return PROFITABILITY_COLUMNS + pools, out


#: The columns of the product mix download: its JSON keys, with the product's name.
MIX_COLUMNS = [
    "key",
    "name",
    "product_line",
    "lines",
    "accounts",
    "quantity",
    "currency",
    "gross_sales",
    "discounts",
    "invoiced_sales",
    "cogs",
    "invoice_margin",
    "share_pct",
    "discount_pct",
    "invoice_margin_pct",
]


def mix_rows(mix: dict, currency: str | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a product mix (``mix_to_dict``, rows with their ``name``) as
    the page shows it: money with two decimals in ``currency`` (default the reporting
    currency), ratios with two, empty where undefined."""
    currency = currency or settings.OPENKAM_REPORTING_CURRENCY
    money = {"gross_sales", "discounts", "invoiced_sales", "cogs", "invoice_margin"}
    ratios = {"share_pct", "discount_pct", "invoice_margin_pct"}

    def cell(name: str, value) -> str:
        if name == "currency":
            return currency
        if value is None:
            return ""
        if name in money:
            return _money(value)
        if name in ratios:
            return _number(value)
        return str(value)

    return MIX_COLUMNS, [[cell(c, r.get(c)) for c in MIX_COLUMNS] for r in mix["rows"]]


def write_csv(out, header: list[str], rows: Iterable[list[str]]) -> None:
    """Write a CSV export; texts that start like a formula are neutralised (core.exports)."""
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)


def _money(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cts_pct(cost_to_serve: Decimal, net_sales: Decimal) -> str:
    """Cost to serve as % of net sales, as on the page (empty when net sales are ≤ 0)."""
    if net_sales is None or net_sales <= 0:
        return ""
    return f"{(Decimal(cost_to_serve) * 100 / Decimal(net_sales)).quantize(CENT, ROUND_HALF_UP)}"
