"""What needs attention to keep plans alive: reviews past due, objectives off track,
overdue actions. Shown on the home page, the plans overview and the account page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from openkam.web.core.formats import money_text, number_text
from openkam.web.planning.actuals import Actuals, attainment
from openkam.web.planning.models import Action, Plan


def plan_alerts(plans, *, request=None, today: dt.date | None = None) -> list[dict]:
    """Alerts for ``plans`` (a queryset), most urgent kinds first.

    Each alert is ``{"kind": "review"|"objective"|"action", "plan", "text", "since"}``.
    Actuals for every plan are computed in one engine run.
    """
    today = today or timezone.localdate()
    from django.db.models import Prefetch

    from openkam.web.planning.models import Objective

    # The objectives of every plan in one query (not one per plan).
    due = Objective.objects.filter(year__lte=today.year).exclude(metric="clv")
    plans = list(
        plans.select_related("account").prefetch_related(
            Prefetch("objectives", queryset=due, to_attr="due_objectives")
        )
    )
    alerts = []
    for plan in plans:
        if plan.next_review and plan.next_review < today:
            alerts.append(
                {
                    "kind": "review",
                    "plan": plan,
                    "text": f"plan review was due on {plan.next_review:%Y-%m-%d}",
                    "since": plan.next_review,
                }
            )
    objectives = [o for p in plans for o in p.due_objectives]
    if objectives:
        actuals = Actuals.for_request(request, [p.account.account_id for p in plans])
        for obj in objectives:
            plan = obj.plan
            actual = actuals.actual(plan.account.account_id, obj.year, obj.metric)
            state = attainment(obj.target, actual, obj.year, today)
            if state["status"] == "off track":
                # Amounts with their currency, as every page writes them; units as numbers.
                shown = (lambda v: money_text(v, places=0)) if obj.is_money else number_text
                alerts.append(
                    {
                        "kind": "objective",
                        "plan": plan,
                        "text": f"{obj.get_metric_display()} {obj.year} off track: "
                        f"{shown(actual)} of {shown(obj.target)}",
                        "since": None,
                    }
                )
    overdue = Action.objects.filter(
        plan__in=plans,
        due__lt=today,
        status__in=[Action.Status.OPEN, Action.Status.IN_PROGRESS],
    ).select_related("plan__account", "owner")
    for action in overdue:
        owner = f" ({action.owner})" if action.owner else ""
        alerts.append(
            {
                "kind": "action",
                "plan": action.plan,
                "text": f"action overdue since {action.due:%Y-%m-%d}: {action.title}{owner}",
                "since": action.due,
            }
        )
    return alerts


def plans_of(person) -> object:
    """The plans a person keeps alive: of the accounts they manage or sponsor."""
    from django.db.models import Q

    if person is None:
        return Plan.objects.none()
    return Plan.objects.filter(Q(account__kam=person) | Q(account__sponsor=person)).distinct()
