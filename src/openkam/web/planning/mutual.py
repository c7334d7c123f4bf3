"""The mutual plan: what the customer sees through the shared link, chosen field by field.

The shared page is built from an explicit allow-list, never by filtering the internal plan
document: each section below names the fields it copies, as plain strings, into a context
that holds no model instance (so a template cannot reach ``account.notes`` or a target by
accident). Whatever the KAM ticks, the customer never sees net contribution, margin, cost
to serve, lifetime value, scores, potentials, risks or internal notes.

Another domain adds a customer-facing section with ``register(MutualSection(...))``: a key
(also offered in the sharing form), a title, a function ``rows(plan) -> list[dict]`` returning
only strings, and the column headings in the order of each row's keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from openkam.web.planning.models import CUSTOMER_FACING_METRICS, Action, Objective, Plan


@dataclass(frozen=True)
class MutualSection:
    """A section of the mutual plan: its columns and the rows the customer sees."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: Callable[[Plan], list[dict[str, str]]]
    intro: str = ""


#: The customer analysis fields that describe the customer's own situation and goals; our
#: view of its weaknesses, threats and competitors stays internal.
SHARED_ANALYSIS_FIELDS = {
    "market_position": "Market position",
    "business_strategy": "Business strategy",
    "opportunities": "Opportunities",
}


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if value == value.to_integral() else f"{value:,.2f}"


def _objective_target(obj: Objective) -> str:
    if obj.metric == Objective.Metric.SERVICE_LEVEL:
        return f"{_number(obj.target)} %"
    if obj.metric == Objective.Metric.VOLUME:
        return f"{_number(obj.target)} units"
    return ""  # a milestone is its text


def _analysis_rows(plan: Plan) -> list[dict[str, str]]:
    return [
        {"topic": label, "text": str(getattr(plan, name) or "")}
        for name, label in SHARED_ANALYSIS_FIELDS.items()
        if getattr(plan, name)
    ]


def _objective_rows(plan: Plan) -> list[dict[str, str]]:
    rows = plan.objectives.filter(customer_visible=True, metric__in=CUSTOMER_FACING_METRICS)
    return [
        {
            "year": str(o.year),
            "kind": o.get_metric_display(),
            "target": _objective_target(o),
            "text": o.customer_text,
        }
        for o in rows.order_by("year", "metric", "pk")
    ]


def _value_proposition_rows(plan: Plan) -> list[dict[str, str]]:
    return [
        {"solution": v.solution, "gain": v.customer_gain}
        for v in plan.value_propositions.order_by("pk")
    ]


def _action_rows(plan: Plan) -> list[dict[str, str]]:
    rows = plan.actions.filter(customer_visible=True).select_related("owner")
    return [
        {
            "title": a.title,
            "owner": a.owner.name if a.owner else "",
            "due": a.due.isoformat() if a.due else "",
            "status": Action.Status(a.status).label,
        }
        for a in rows.order_by("due", "pk")
    ]


def _whitespace_rows(plan: Plan) -> list[dict[str, str]]:
    # Where we could do more together; our estimate of the potential is not shown.
    return [
        {"line": c.product_line, "unit": c.business_unit}
        for c in plan.whitespace.order_by("product_line", "business_unit")
    ]


SECTIONS: dict[str, MutualSection] = {}


def register(section: MutualSection) -> None:
    """Add (or replace) a section of the mutual plan."""
    SECTIONS[section.key] = section


register(MutualSection("analysis", "Your business", ("Topic", "Our understanding"), _analysis_rows))
register(
    MutualSection(
        "objectives",
        "Joint objectives",
        ("Year", "Kind", "Target", "Objective"),
        _objective_rows,
    )
)
register(
    MutualSection(
        "value_propositions",
        "What we bring you",
        ("Solution", "Your measurable gain"),
        _value_proposition_rows,
    )
)
register(
    MutualSection("actions", "Joint actions", ("Action", "Owner", "Due", "Status"), _action_rows)
)
register(
    MutualSection(
        "whitespace",
        "Where we could do more together",
        ("Product line", "Your business unit"),
        _whitespace_rows,
    )
)


def mutual_plan(plan: Plan) -> dict:
    """The whole context of the shared page: plain strings only, in the shared sections."""
    shared = [key for key in SECTIONS if key in (plan.shared_sections or [])]
    account = plan.account
    return {
        "account_name": account.name,
        "kam_name": account.kam.name if account.kam else "",
        "sections": [
            {
                "key": key,
                "title": SECTIONS[key].title,
                "columns": SECTIONS[key].columns,
                "rows": [list(row.values()) for row in SECTIONS[key].rows(plan)],
            }
            for key in shared
        ],
    }
