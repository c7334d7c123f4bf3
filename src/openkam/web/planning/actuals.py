"""Actual figures beside a plan's targets, read from the ledger and stored results.

Nobody types a number twice: net sales and net contribution come from the profitability
engine on the ledger (for the account and its subsidiaries), CLV from the current stored
CLV run, current whitespace sales from the invoice lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import narwhals as nw
from django.core.cache import cache

from openkam.web.accounts.models import Account, Product
from openkam.web.core.ledger import ledger, money_table
from openkam.web.profitability.services import hierarchy, settings_params

NOT_COMPUTED = "not computed"


def yearly_figures(account_ids: Iterable[str]) -> tuple[dict, str | None]:
    """Net sales and net contribution per account (its subtree rolled up) and year.

    Net sales = invoiced sales − rebates; net contribution = net sales − COGS − cost-to-serve
    (the waterfall of ``openkam.engine.profitability``, DESIGN §4).

    Returns
    -------
    ({account_id: {year: {"net_sales": Decimal, "net_contribution": Decimal}}}, problem)
        ``problem`` says why there are no figures (no ledger, inputs the engine refused).
    """
    ids = sorted(set(account_ids))
    source = ledger()
    if not ids or source is None:
        return {}, "no ledger loaded"
    # The cost of capital the champion set, as the Profitability page's figures use it.
    rate = settings_params()["cost_of_capital"]
    # Pages that show plans' actuals (the home page among them) ask on every request, and the
    # answer changes only with the ledger, the rate or the accounts' subsidiaries (the only
    # part of the hierarchy their figures depend on: a few indexed queries, where the whole
    # hierarchy is a read of every account, 100,000 of them in a large portfolio).
    key = (
        "plan-actuals:"
        + hashlib.sha256(
            repr((source.fingerprint(), rate, ids, _subsidiaries(ids))).encode()
        ).hexdigest()
    )
    found = cache.get(key)
    if found is None:
        found = _stored_figures(source, ids, rate) or _yearly_figures(
            source, ids, hierarchy(), rate
        )
        cache.set(key, found, timeout=3600)
    return found


def _stored_figures(source, ids: list[str], rate) -> tuple[dict, None] | None:
    """The same figures from the current profitability run, when it was computed from this
    very ledger with this rate in the reporting currency over all dates (None otherwise).

    A page showing a plan would otherwise run the engine over the ledger for its account
    (about a second): the run stored each account's yearly figures, its subsidiaries
    rolled up, with the rolled-up row first — exactly what the engine would answer.
    """
    from django.conf import settings as django_settings

    from openkam.web.core.models import Computation
    from openkam.web.core.runs import current
    from openkam.web.profitability.models import AccountPeriodFigures

    run = current(Computation.Kind.PROFITABILITY)
    if (
        run is None
        or run.summary.get("ledger_fingerprint") != source.fingerprint()
        or str(run.params.get("cost_of_capital")) != str(rate)
        or run.params.get("from")
        or run.params.get("to")
        or run.currency != django_settings.OPENKAM_REPORTING_CURRENCY
    ):
        return None
    out: dict = defaultdict(dict)
    rows = (
        AccountPeriodFigures.objects.filter(computation=run, account_key__in=ids, grain="year")
        .order_by("rolled_up")  # the rolled-up row comes last and wins
        .values_list("account_key", "period", "net_sales", "net_contribution")
    )
    for account, period, net_sales, net_contribution in rows:
        out[account][int(period)] = {"net_sales": net_sales, "net_contribution": net_contribution}
    return dict(out), None


def _subsidiaries(ids: list[str]) -> list[tuple[str, str]]:
    """``(account, parent)`` of every account below ``ids``, level by level."""
    edges: list[tuple[str, str]] = []
    frontier = list(Account.objects.filter(account_id__in=ids).values_list("pk", flat=True))
    seen = set(frontier)
    while frontier:
        children = [
            row
            for row in Account.objects.filter(parent_id__in=frontier)
            .order_by("account_id")
            .values_list("pk", "account_id", "parent__account_id")
            if row[0] not in seen
        ]
        seen.update(pk for pk, _, _ in children)
        edges.extend((account, parent) for _, account, parent in children)
        frontier = [pk for pk, _, _ in children]
    return edges


def _yearly_figures(source, ids: list[str], tree, rate: str) -> tuple[dict, str | None]:
    from openkam.engine.profitability import ProfitabilityInputError, profitability_report

    try:
        # The month sums kept per ledger file make this a read of the new files only (the
        # same cents as a full read; openkam.engine.profitability.incremental).
        report = profitability_report(
            source, "year", account_ids=ids, hierarchy=tree, cost_of_capital=rate, cache=True
        )
    except ProfitabilityInputError as exc:
        return {}, f"the profitability engine refused the ledger: {exc}"
    out: dict = defaultdict(dict)
    # A parent's "subtree" row includes its subsidiaries and wins over its own "account" row.
    for row in sorted(report["rows"], key=lambda r: r["scope"] == "subtree"):
        out[row["account_id"]][int(row["period"])] = {
            "net_sales": Decimal(str(row["net_sales"])),
            "net_contribution": Decimal(str(row["net_contribution"])),
        }
    return dict(out), None


def clv_of(account_id: str) -> Decimal | None:
    """Contribution-based CLV from the current stored CLV run, or None."""
    try:
        from openkam.web.lifetime_value.figures import account_values
    except ImportError:  # pragma: no cover - lifetime_value not installed
        return None
    value = account_values(account_id)
    return getattr(value, "clv_contribution", None) if value is not None else None


class Actuals:
    """Actual figures for the plans shown in one request, computed once.

    Build one per request (``for_request``) so that a page listing many plans runs the
    profitability engine once, not once per plan.
    """

    def __init__(self, account_ids: Iterable[str]):
        self.figures, self.problem = yearly_figures(account_ids)

    @classmethod
    def for_request(cls, request, account_ids: Iterable[str]) -> Actuals:
        ids = tuple(sorted(set(account_ids)))
        cache = getattr(request, "_plan_actuals", None) if request is not None else None
        if cache is None:
            cache = {}
            if request is not None:
                request._plan_actuals = cache
        if ids not in cache:
            cache[ids] = cls(ids)
        return cache[ids]

    def actual(self, account_id: str, year: int, metric: str) -> Decimal | None:
        if metric == "clv":
            return clv_of(account_id)
        return self.figures.get(account_id, {}).get(year, {}).get(metric)


def attainment(target, actual, year: int, today: dt.date) -> dict:
    """Target against actual, and whether it is on track.

    Within the current year the target is prorated by the share of the year elapsed
    (target × day-of-year / days-in-year): a linear path, the usual sales-quota convention.
    An objective is *off track* below 90 % of where that path stands; a past year is off
    track below its target. Future years are not judged.
    """
    out = {"target": target, "actual": actual, "pct": None, "status": "open"}
    if actual is None:
        out["status"] = "no actual"
        return out
    if target and target > 0:
        # A share of a loss (a negative target) reads backwards: -1,729 % of a -3,000 target
        # is a profit. Such objectives are judged by their status, with no percentage.
        out["pct"] = float(actual) / float(target) * 100
    if year > today.year:
        return out
    if year < today.year:
        expected = Decimal(target)
        out["status"] = "met" if actual >= expected else "off track"
        return out
    days = 366 if today.year % 4 == 0 and (today.year % 100 or today.year % 400 == 0) else 365
    expected = Decimal(target) * Decimal(today.timetuple().tm_yday) / Decimal(days)
    # 10 % slack below the path; for a loss target the slack is a 10 % larger loss.
    floor = expected - abs(expected) * Decimal("0.1")
    out["status"] = "on track" if actual >= floor else "off track"
    return out


def whitespace_sales(account: Account, months: int = 12) -> tuple[dict, dt.date | None]:
    """Invoiced sales by (product line, business unit) over the last ``months``.

    invoiced sales = Σ quantity × unit_list_price − Σ discount_amount over the account's
    subtree, in the window ending at its latest invoice date (so an old demo ledger still
    shows its sales). Lines without a business unit count under "(unassigned)".
    """
    invoices = money_table("invoices")  # in the reporting currency, lines to the cent
    if invoices is None:
        return {}, None
    lines = invoices.filter(nw.col("account_id").is_in(account.subtree_ids()))
    last = lines.select(nw.col("invoice_date").max()).collect().item()
    if last is None:
        return {}, None
    from openkam.web.planning.services import add_months

    start = add_months(last, -months) + dt.timedelta(days=1)
    grouped = (
        lines.filter(nw.col("invoice_date") >= start)
        .with_columns(sales=nw.col("gross_amount") - nw.col("discount_amount"))
        .group_by("product_id", "business_unit")
        .agg(nw.col("sales").sum())
        .collect()
        .to_arrow()
        .to_pylist()
    )
    # Products are reference data in the database: map them after the (small) aggregate.
    line_of = dict(Product.objects.values_list("product_id", "product_line"))
    out: dict = defaultdict(Decimal)
    for row in grouped:
        unit = row["business_unit"] or "(unassigned)"
        out[line_of.get(row["product_id"], "(unknown product)"), unit] += Decimal(row["sales"])
    return {k: round(v, 2) for k, v in out.items()}, last


def whitespace_grid(plan, current: dict) -> dict:
    """Product lines × business units with current sales, entered potential and the gap.

    gap = max(potential − current sales, 0): the sales still to win in the cell.
    """
    cells = {(c.product_line, c.business_unit): c for c in plan.whitespace.all()}
    lines = sorted({k[0] for k in current} | {k[0] for k in cells})
    units = sorted({k[1] for k in current} | {k[1] for k in cells})
    rows = []
    for line in lines:
        row = []
        for unit in units:
            cur = current.get((line, unit), Decimal(0))
            cell = cells.get((line, unit))
            potential = cell.potential if cell else None
            gap = max(potential - cur, Decimal(0)) if potential is not None else None
            row.append({"current": cur, "potential": potential, "gap": gap, "cell": cell})
        rows.append({"line": line, "cells": row})
    return {"units": units, "rows": rows}
