"""Pages that belong to no single domain: the home page and health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.core.roles import person_of


@login_required
def home(request):
    person = person_of(request.user)
    mine = (
        Account.objects.with_owner().filter(kam=person)
        if person is not None
        else Account.objects.none()
    )
    sponsored = (
        Account.objects.with_owner().filter(sponsor=person)
        if person is not None
        else Account.objects.none()
    )
    key_accounts = list(Account.objects.with_owner().filter(key_status=Account.KeyStatus.KEY))
    mine, sponsored = list(mine), list(sponsored)
    year = _attach_figures(key_accounts + mine + sponsored)
    context = {
        "figures_year": year,
        "person": person,
        "my_accounts": mine,
        "sponsored_accounts": sponsored,
        "key_accounts": key_accounts,
        "counts": {
            "accounts": Account.objects.count(),
            "key": Account.objects.filter(key_status=Account.KeyStatus.KEY).count(),
            "kams": Account.objects.exclude(kam=None).values("kam").distinct().count(),
        },
        "by_industry": Account.objects.values("industry")
        .annotate(n=Count("id"))
        .order_by("-n")[:8],
        "recent_events": AuditEvent.objects.select_related("user")[:10],
    }
    return render(request, "core/home.html", context)


def health(request):
    return JsonResponse({"status": "ok"})


def _attach_figures(accounts: list[Account]) -> str | None:
    """Give each account its latest year's net sales and net contribution, and its CLV."""
    from openkam.web.insights.figures import clv_by_account, figures_by_account, latest_year

    year = latest_year()
    if year is None:
        return None
    keys = {a.account_id for a in accounts}
    rows = {
        r.account_key: r
        for r in figures_by_account(grain="year", period=year).filter(account_key__in=keys)
    }
    clv = clv_by_account()
    for a in accounts:
        row = rows.get(a.account_id)
        a.net_sales = row.net_sales if row else None
        a.net_contribution = row.net_contribution if row else None
        a.clv = clv.get(a.account_id)
    return year
