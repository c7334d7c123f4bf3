"""A plan gathered for reading: the one-page view, the exports and the mutual plan use it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from openkam.web.planning.actuals import Actuals, attainment, whitespace_grid, whitespace_sales
from openkam.web.planning.models import Plan
from openkam.web.planning.services import SECTIONS

ANALYSIS_LABELS = {
    "market_position": "Market position",
    "competitive_environment": "Competitive environment",
    "business_strategy": "Business strategy",
    "strengths": "Strengths",
    "weaknesses": "Weaknesses",
    "opportunities": "Opportunities",
    "threats": "Threats",
}


def objective_rows(plan: Plan, actuals: Actuals, today: dt.date) -> list[dict]:
    rows = []
    for obj in plan.objectives.all():
        actual = actuals.actual(plan.account.account_id, obj.year, obj.metric)
        rows.append(
            {"objective": obj, **attainment(obj.target, actual, obj.year, today)}
            | {"metric": obj.get_metric_display(), "year": obj.year, "note": obj.note}
        )
    return rows


#: The account P&L waterfall (DESIGN §4): (field, label, a subtotal or a deduction).
PNL_STEPS = (
    ("gross_sales", "Gross sales", "total"),
    ("discounts", "On-invoice discounts", "deduct"),
    ("invoiced_sales", "Invoiced sales", "total"),
    ("rebates", "Rebates and allowances", "deduct"),
    ("net_sales", "Net sales", "total"),
    ("cogs", "Cost of goods sold", "deduct"),
    ("gross_margin", "Gross margin", "total"),
    ("cost_to_serve", "Cost to serve", "deduct"),
    ("net_contribution", "Net contribution", "total"),
)


def account_pnl(account, today: dt.date) -> dict | None:
    """The account's P&L waterfall (its subsidiaries included) for the last complete year and
    the current year to date, from the stored profitability figures; None before any run.

    Returns ``{"years": [label, …], "rows": [{"label", "kind", "values": [Decimal|None …]}]}``
    with deductions as positive amounts (shown with a minus sign).
    """
    from openkam.web.profitability.figures import figures_by_account

    found = {}
    for rolled_up in (False, True):  # a parent's subtree row wins over its own row
        rows = figures_by_account(grain="year", rolled_up=rolled_up).filter(
            account_key=account.account_id, period__in=[str(today.year - 1), str(today.year)]
        )
        found.update({r.period: r for r in rows})
    if not found:
        return None
    periods = sorted(found)
    labels = [p if int(p) < today.year else f"{p} to date" for p in periods]
    rows = [
        {
            "label": label,
            "kind": kind,
            "values": [getattr(found[p], field) for p in periods],
        }
        for field, label, kind in PNL_STEPS
    ]
    return {"years": labels, "rows": rows}


def plan_document(
    plan: Plan, *, request=None, today: dt.date | None = None, shared_only: bool = False
) -> dict:
    """Everything a reader of the plan sees, with actuals filled in.

    ``shared_only`` keeps only the sections the KAM shares with the customer (the mutual
    plan); internal sections (our position, risks, history) are then left out.
    """
    today = today or timezone.localdate()
    account = plan.account
    actuals = Actuals.for_request(request, [account.account_id])
    shared = set(plan.shared_sections or [])

    def show(section: str) -> bool:
        return not shared_only or section in shared

    current, last_invoice = whitespace_sales(account) if show("whitespace") else ({}, None)
    actions = list(plan.actions.select_related("owner"))
    latest = plan.versions.select_related("author").first()
    signed = plan.versions.exclude(signed_at=None).select_related("signed_by").first()
    return {
        "plan": plan,
        "account": account,
        "today": today,
        "shared_only": shared_only,
        "analysis": [(ANALYSIS_LABELS[f], getattr(plan, f)) for f in SECTIONS["analysis"]]
        if show("analysis")
        else None,
        "position": None
        if shared_only
        else {
            "share_of_wallet": plan.share_of_wallet,
            "stage": plan.get_relationship_stage_display(),
            "competitors": plan.competitors,
        },
        "objectives": objective_rows(plan, actuals, today) if show("objectives") else None,
        "actuals_problem": actuals.problem,
        "value_propositions": list(plan.value_propositions.all())
        if show("value_propositions")
        else None,
        "whitespace": whitespace_grid(plan, current) if show("whitespace") else None,
        "whitespace_until": last_invoice,
        "risks": None if shared_only else list(plan.risks.all()),
        # Our margins are never shown to the customer.
        "pnl": None if shared_only else account_pnl(account, today),
        "actions": [
            {"action": a, "overdue": bool(a.is_open and a.due and a.due < today)} for a in actions
        ]
        if show("actions")
        else None,
        "latest_version": None if shared_only else latest,
        "signed_version": None if shared_only else signed,
        "review_overdue": bool(plan.next_review and plan.next_review < today),
        "app_sections": app_sections(account, shared_only=shared_only)
        if show("commitments")
        else [],
    }


def app_sections(account, *, shared_only: bool = False) -> list[dict]:
    """Sections other domain apps add to the plan's exports, each a plain table
    ``{"title", "header", "rows"}`` (operations: the commitments to the account)."""
    from openkam.web.operations.exports import plan_section

    section = plan_section(account, shared_only=shared_only)
    return [section] if section else []
