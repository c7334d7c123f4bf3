"""The plan's panel on the account page."""

from __future__ import annotations

from openkam.web.planning.alerts import plan_alerts
from openkam.web.planning.models import Plan


def plan_panel(request, account) -> dict:
    plan = Plan.objects.filter(account=account).first()
    if plan is None:
        return {"account": account, "plan": None}
    return {
        "account": account,
        "plan": plan,
        "alerts": plan_alerts(Plan.objects.filter(pk=plan.pk), request=request),
        "signed": plan.versions.exclude(signed_at=None).first(),
    }
