"""Read access to the stored profitability figures, for pages and for other domains
(selection, plans, scorecards, the account list)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from openkam.web.core.models import Computation
from openkam.web.core.runs import current
from openkam.web.profitability.models import AccountPeriodFigures


def figures_by_account(
    period: str | None = None, rolled_up: bool = False, grain: str | None = None
):
    """Stored waterfall rows of the current profitability run, optionally for one period
    (labels: "2024", "2024-Q1", "2024-01") or one grain ("year", "quarter", "month")."""
    run = current(Computation.Kind.PROFITABILITY)
    if run is None:
        return AccountPeriodFigures.objects.none()
    qs = AccountPeriodFigures.objects.filter(computation=run, rolled_up=rolled_up)
    if grain:
        qs = qs.filter(grain=grain)
    return qs.filter(period=period) if period else qs


def latest_year() -> str | None:
    """The last year of the current profitability figures."""
    run = current(Computation.Kind.PROFITABILITY)
    years = run.summary.get("years", []) if run else []
    return years[-1] if years else None


def last_complete_year(today=None) -> str | None:
    """The last year of the current figures that is over: the current calendar year's
    figures are a year to date, so a list that compares accounts takes the year before
    when there is one."""
    import datetime as dt

    run = current(Computation.Kind.PROFITABILITY)
    years = run.summary.get("years", []) if run else []
    today = today or dt.date.today()
    done = [y for y in years if int(y) < today.year]
    return done[-1] if done else (years[-1] if years else None)


def figure_years() -> list[str]:
    """The years of the current profitability figures, oldest first."""
    run = current(Computation.Kind.PROFITABILITY)
    return list(run.summary.get("years", [])) if run else []


def year_figure(field: str, year: str):
    """A subquery expression: ``field`` of the outer account's stored figures for ``year``,
    its subsidiaries included when it has any (the rolled-up row wins over its own row).

    For annotating an ``Account`` queryset, so a list can sort and filter by a money column;
    each row is one lookup on the ``(computation, account_key, grain, period)`` index.
    """
    from django.db.models import OuterRef, Subquery

    run = current(Computation.Kind.PROFITABILITY)
    rows = AccountPeriodFigures.objects.filter(
        computation=run, account_key=OuterRef("account_id"), grain="year", period=year
    ).order_by("-rolled_up")
    return Subquery(rows.values(field)[:1])


def figures_for(account_ids, year: str) -> dict[str, dict]:
    """Net sales, net contribution and margin (% of net sales) of a few accounts (a page of
    a list) for ``year``, subsidiaries included where there are any."""
    ids = list(account_ids)
    out: dict[str, dict] = {
        a: {"net_sales": None, "net_contribution": None, "margin": None} for a in ids
    }
    run = current(Computation.Kind.PROFITABILITY)
    if run is not None:
        rows = AccountPeriodFigures.objects.filter(
            computation=run, account_key__in=ids, grain="year", period=year
        ).order_by("rolled_up")
        for r in rows:  # the rolled-up row comes last and wins
            out[r.account_key].update(
                net_sales=r.net_sales,
                net_contribution=r.net_contribution,
                margin=r.contribution_margin_pct,
            )
    return out


def contribution_history(account_ids, today=None) -> dict[str, dict]:
    """Net contribution per complete year, the current year to date and the same months of
    last year, per account (subsidiaries included where there are any).

    Returns ``{account_id: {"years": [(year, Decimal)], "ytd": Decimal | None,
    "ytd_last_year": Decimal | None, "months": n}}``; the year to date covers the months of
    the current year that have figures, and last year's same months make the comparison
    fair (a year to date against a whole year always looks like a fall).
    """
    import datetime as dt

    today = today or dt.date.today()
    ids = list(account_ids)
    out = {a: {"years": [], "ytd": None, "ytd_last_year": None, "months": 0} for a in ids}
    run = current(Computation.Kind.PROFITABILITY)
    if run is None or not ids:
        return out
    this_year, last_year = str(today.year), str(today.year - 1)
    years: dict[str, dict[str, Decimal]] = {a: {} for a in ids}
    months: dict[str, dict[str, Decimal]] = {a: {} for a in ids}
    rows = (
        AccountPeriodFigures.objects.filter(computation=run, account_key__in=ids)
        .filter(
            models.Q(grain="year")
            | models.Q(grain="month", period__startswith=this_year)
            | models.Q(grain="month", period__startswith=last_year)
        )
        .order_by("rolled_up")
        .values_list("account_key", "grain", "period", "net_contribution")
    )
    for key, grain, period, value in rows:  # rolled-up rows come last and win
        (years if grain == "year" else months)[key][period] = value
    for key in ids:
        out[key]["years"] = sorted((y, v) for y, v in years[key].items() if y < this_year)
        current_months = sorted(p for p in months[key] if p.startswith(this_year))
        if current_months:
            out[key]["months"] = len(current_months)
            out[key]["ytd"] = sum((months[key][p] for p in current_months), Decimal(0))
            same = [last_year + p[4:] for p in current_months]
            if all(p in months[key] for p in same):
                out[key]["ytd_last_year"] = sum((months[key][p] for p in same), Decimal(0))
    return out
