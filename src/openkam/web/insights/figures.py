"""Read access to the stored results, for pages and for other domains (selection, plans)."""

from __future__ import annotations

from decimal import Decimal

from openkam.web.insights.models import AccountPeriodFigures, AccountValue, Computation
from openkam.web.insights.runs import current


def clv_by_account() -> dict[str, Decimal | None]:
    """Contribution-based CLV per account from the current CLV run ({} when none ran)."""
    run = current(Computation.Kind.CLV)
    if run is None:
        return {}
    return dict(
        AccountValue.objects.filter(computation=run).values_list("account_key", "clv_contribution")
    )


def account_values(account_key: str) -> AccountValue | None:
    run = current(Computation.Kind.CLV)
    if run is None:
        return None
    return AccountValue.objects.filter(computation=run, account_key=account_key).first()


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
