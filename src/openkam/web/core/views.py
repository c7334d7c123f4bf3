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
    context = {
        "person": person,
        "my_accounts": mine,
        "sponsored_accounts": sponsored,
        "key_accounts": Account.objects.with_owner().filter(key_status=Account.KeyStatus.KEY),
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
