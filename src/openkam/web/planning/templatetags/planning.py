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
    return _interleave(plan_alerts(plans, request=request), limit)


def _interleave(alerts: list[dict], limit: int) -> list[dict]:
    """The first ``limit`` alerts taking each kind in turn, so that a long list of one kind
    (objectives off track) does not hide the others (overdue actions) from the home page."""
    by_kind: dict[str, list[dict]] = {}
    for alert in alerts:
        by_kind.setdefault(alert["kind"], []).append(alert)
    out: list[dict] = []
    queues = list(by_kind.values())
    while len(out) < limit and any(queues):
        for queue in queues:
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out
