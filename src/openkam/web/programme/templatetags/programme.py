"""Template helpers of the programme pages."""

from __future__ import annotations

from django import template

from openkam.web.accounts.models import Account
from openkam.web.programme.models import Partnership

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (statuses and counts keyed by variable names)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("programme/_home.html")
def partnership_alerts():
    """Key accounts without the customer's agreement, for the home page."""
    key = Account.objects.filter(key_status=Account.KeyStatus.KEY)
    agreed = Partnership.objects.filter(account__in=key, status=Partnership.Status.AGREED)
    pending = list(
        key.exclude(pk__in=agreed.values("account_id"))
        .select_related("partnership")
        .order_by("name")[:10]
    )
    return {
        "pending": pending,
        "total": key.count() - agreed.count(),
        "declined": Partnership.Status.DECLINED,
    }
