"""``{% home_plan_alerts as alerts %}``: the plan alerts the signed-in person should see."""

from __future__ import annotations

from django import template

from openkam.web.core.roles import person_of, runs_programme
from openkam.web.planning.alerts import plan_alerts, plans_of
from openkam.web.planning.models import Plan

register = template.Library()


@register.simple_tag(takes_context=True)
def home_plan_alerts(context, limit: int = 12) -> list[dict]:
    """A KAM or sponsor sees their accounts' alerts; the champion sees every plan's."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    plans = Plan.objects.all() if runs_programme(user) else plans_of(person_of(user))
    return plan_alerts(plans, request=request)[:limit]
