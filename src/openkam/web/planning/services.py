"""Business operations on plans: pages, API and CLI call these, never the ORM.

Every change is checked against the editor's rights, saved with optimistic locking, written to
the audit trail, and followed by a new ``PlanVersion`` snapshot of the whole plan.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from openkam.web.accounts.models import Account
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import Role, person_of, role_of
from openkam.web.planning.models import (
    SHAREABLE_SECTIONS,
    Action,
    Objective,
    Plan,
    PlanVersion,
    Risk,
    ValueProposition,
    WhitespaceCell,
)

#: The plan's text and choice fields, in reading order, by section.
SECTIONS = {
    "analysis": [
        "market_position",
        "competitive_environment",
        "business_strategy",
        "strengths",
        "weaknesses",
        "opportunities",
        "threats",
    ],
    "position": ["share_of_wallet", "relationship_stage", "competitors"],
    "review": ["review_every_months", "next_review"],
}
PLAN_FIELDS = [f for fields in SECTIONS.values() for f in fields]

#: The plan's lists: kind -> (model, fields kept in a snapshot).
PARTS: dict[str, tuple[type, list[str]]] = {
    "objectives": (
        Objective,
        ["year", "metric", "target", "note", "customer_visible", "customer_text"],
    ),
    "value_propositions": (ValueProposition, ["solution", "customer_gain"]),
    "whitespace": (WhitespaceCell, ["product_line", "business_unit", "potential", "note"]),
    "risks": (Risk, ["description", "likelihood", "impact", "mitigation"]),
    "actions": (Action, ["title", "owner", "due", "status", "customer_visible"]),
}


def plan_for(account: Account) -> Plan:
    """The account's plan, created empty on first use (creating writes no version).

    Only write paths call this: reading a plan never creates one (``existing_plan``).
    """
    plan, _ = Plan.objects.get_or_create(account=account)
    return plan


def existing_plan(account: Account) -> Plan | None:
    """The account's plan, or None when nobody has started one (reads create nothing)."""
    return Plan.objects.filter(account=account).select_related("account").first()


def start_plan(account: Account, user) -> Plan:
    """Start the account's plan (empty) for someone who may edit the account."""
    require_edit(user, account)
    with transaction.atomic():
        existing = existing_plan(account)
        if existing is not None:
            return existing
        plan = plan_for(account)
        audit.record(
            "create", plan, user=user, account_key=account.account_id, message="started the plan"
        )
    return plan


def snapshot(plan: Plan) -> dict[str, Any]:
    """The whole plan as JSON-ready values: its fields and each list keyed by row id."""
    data: dict[str, Any] = {"plan": {}}
    values = audit.snapshot(plan)
    for name in PLAN_FIELDS:
        data["plan"][name] = values.get(name)
    for kind, (model, fields) in PARTS.items():
        rows = {}
        for obj in model.objects.filter(plan=plan).order_by("pk"):
            row = audit.snapshot(obj)
            rows[str(obj.pk)] = {f: row.get(f) for f in fields}
        data[kind] = rows
    return data


def record_version(plan: Plan, user=None, note: str = "") -> PlanVersion | None:
    """Write the plan's snapshot as its next version, unless nothing changed since the last."""
    content = snapshot(plan)
    last = plan.versions.order_by("-number").first()
    if last is not None and last.content == content:
        return None
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    author = user if getattr(user, "is_authenticated", False) else None
    return PlanVersion.objects.create(
        plan=plan, number=number, content=content, author=author, note=note[:300]
    )


def compare(older: dict, newer: dict) -> list[dict]:
    """Field-by-field differences between two plan snapshots.

    Returns rows ``{"section", "item", "field", "old", "new", "change"}`` where ``change`` is
    "changed", "added" or "removed"; list rows are matched by their id, so an edited
    objective shows as changed fields rather than one removal and one addition.
    """
    rows = []
    for name in PLAN_FIELDS:
        old, new = older.get("plan", {}).get(name), newer.get("plan", {}).get(name)
        if old != new:
            rows.append(
                {
                    "section": "plan",
                    "item": "",
                    "field": name,
                    "old": old,
                    "new": new,
                    "change": "changed",
                }
            )
    for kind, (_, fields) in PARTS.items():
        before, after = older.get(kind, {}), newer.get(kind, {})
        for key in sorted(set(before) | set(after), key=int):
            a, b = before.get(key), after.get(key)
            label = _label(b or a)
            if a is None or b is None:
                rows.append(
                    {
                        "section": kind,
                        "item": label,
                        "field": "",
                        "old": None if a is None else _summary(a, fields),
                        "new": None if b is None else _summary(b, fields),
                        "change": "added" if a is None else "removed",
                    }
                )
                continue
            for f in fields:
                if a.get(f) != b.get(f):
                    rows.append(
                        {
                            "section": kind,
                            "item": label,
                            "field": f,
                            "old": a.get(f),
                            "new": b.get(f),
                            "change": "changed",
                        }
                    )
    return rows


def _label(row: dict) -> str:
    for f in ("title", "solution", "description"):
        if row.get(f):
            return str(row[f])
    if "metric" in row:
        return f"{row['metric']} {row['year']}"
    if "product_line" in row:
        return f"{row['product_line']} × {row['business_unit']}"
    return ""


def _summary(row: dict, fields: list[str]) -> str:
    return "; ".join(f"{f}: {row.get(f)}" for f in fields if row.get(f) not in (None, ""))


def update_plan(plan: Plan, values: dict, expected_version: int | None, user, note="") -> dict:
    """Edit the plan's sections; raises ``ConcurrentEditError`` on a stale version."""
    require_edit(user, plan)
    with transaction.atomic():
        changes = save_versioned(
            plan, values, expected_version, user=user, account_key=plan.account.account_id
        )
        if changes:
            record_version(plan, user, note)
    return changes


def add_part(plan: Plan, kind: str, values: dict, user):
    """Add a row to one of the plan's lists (objectives, actions …)."""
    require_edit(user, plan)
    model, _ = PARTS[kind]
    with transaction.atomic():
        obj = model(plan=plan, **values)
        obj.full_clean()
        obj.save()
        audit.record(
            "create",
            obj,
            user=user,
            changes=audit.snapshot(obj),
            account_key=plan.account.account_id,
        )
        record_version(plan, user, f"added {model._meta.verbose_name} {obj}")
    return obj


def update_part(obj, values: dict, expected_version: int | None, user) -> dict:
    """Edit a row of a plan's list; raises ``ConcurrentEditError`` on a stale version."""
    require_edit(user, obj)
    with transaction.atomic():
        changes = save_versioned(
            obj, values, expected_version, user=user, account_key=obj.plan.account.account_id
        )
        if changes:
            record_version(obj.plan, user, f"edited {obj._meta.verbose_name} {obj}")
    return changes


def delete_part(obj, user) -> None:
    require_edit(user, obj)
    plan = obj.plan
    with transaction.atomic():
        audit.record(
            "delete",
            obj,
            user=user,
            changes=audit.snapshot(obj),
            account_key=plan.account.account_id,
        )
        label = f"removed {obj._meta.verbose_name} {obj}"
        obj.delete()
        record_version(plan, user, label)


def manages(user, account: Account) -> bool:
    """Whether ``user`` manages the account: its KAM, or on its account team."""
    person = person_of(user)
    if person is None:
        return False
    return account.kam_id == person.pk or account.team_members.filter(person=person).exists()


def may_sign(user, plan: Plan) -> bool:
    """The account's executive sponsor (or an admin) signs its plan off, and never someone
    who manages the account: separation of duties, whatever role they hold."""
    if manages(user, plan.account):
        return False
    if role_of(user) == Role.ADMIN:
        return True
    person = person_of(user)
    return person is not None and plan.account.sponsor_id == person.pk


def sign_off(version: PlanVersion, user) -> PlanVersion:
    """The sponsor marks a version as signed off."""
    if manages(user, version.plan.account):
        raise PermissionDenied(
            "You manage this account, so you may not sign its plan off: its executive "
            "sponsor does (separation of duties)."
        )
    if not may_sign(user, version.plan):
        raise PermissionDenied("Only the account's executive sponsor signs its plan off.")
    with transaction.atomic():
        version.signed_by = person_of(user)
        version.signed_at = timezone.now()
        version.save(update_fields=["signed_by", "signed_at"])
        audit.record(
            "event",
            version.plan,
            user=user,
            account_key=version.plan.account.account_id,
            message=f"signed off version {version.number}",
        )
    return version


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def mark_reviewed(
    plan: Plan, user, expected_version: int | None, today: dt.date | None = None
) -> Plan:
    """Record a plan review and set the next one a cadence from today.

    Raises ``ConcurrentEditError`` when the plan changed since ``expected_version`` was read
    (the reviewer reviewed another plan than the one now stored)."""
    require_edit(user, plan)
    today = today or timezone.localdate()
    values = {
        "last_reviewed": today,
        "next_review": add_months(today, plan.review_every_months),
    }
    with transaction.atomic():
        save_versioned(
            plan, values, expected_version, user=user, account_key=plan.account.account_id
        )
        record_version(plan, user, f"reviewed on {today.isoformat()}")
    return plan


def set_sharing(plan: Plan, sections: list[str], user, expected_version: int | None) -> Plan:
    """Choose which sections the mutual plan shows the customer; raises
    ``ConcurrentEditError`` on a stale ``expected_version``."""
    require_edit(user, plan)
    sections = [s for s in SHAREABLE_SECTIONS if s in sections]
    save_versioned(
        plan,
        {"shared_sections": sections},
        expected_version,
        user=user,
        account_key=plan.account.account_id,
    )
    return plan


def create_share_link(plan: Plan, user) -> str:
    """A new unguessable link token (any earlier link stops working)."""
    require_edit(user, plan)
    # 32 random bytes: 256 bits, far beyond guessing (Python docs, ``secrets``).
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(share_token=token)
        audit.record(
            "event",
            plan,
            user=user,
            account_key=plan.account.account_id,
            message="created a link to the mutual plan",
        )
    plan.refresh_from_db()
    return token


def revoke_share_link(plan: Plan, user) -> None:
    require_edit(user, plan)
    with transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(share_token="")
        audit.record(
            "event",
            plan,
            user=user,
            account_key=plan.account.account_id,
            message="revoked the link to the mutual plan",
        )
    plan.refresh_from_db()
