"""Business operations on relationship maps; pages and API call these, never the ORM."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openkam.web.accounts import services as account_services
from openkam.web.accounts.models import Account, Contact
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit
from openkam.web.relationships import coverage
from openkam.web.relationships.layout import (
    GAP_Y,
    INDENT,
    NODE_H,
    NODE_W,
    canvas_size,
    tree_layout,
)
from openkam.web.relationships.models import ContactProfile, DottedLine, Relationship

ATTITUDE_COLOURS = {
    "advocate": "#12b76a",
    "supporter": "#7ad3a8",
    "neutral": "#98a2b3",
    "skeptic": "#f79009",
    "detractor": "#f04438",
}


def stale_days() -> int:
    """Days without contact after which a contact counts as not touched (setting)."""
    return int(getattr(settings, "OPENKAM_STALE_CONTACT_DAYS", 90))


def profile_of(contact: Contact) -> ContactProfile:
    """The contact's map profile; the defaults, unsaved, when nobody has set it yet (reading
    never creates rows: ``profile_to_write`` does, for an edit)."""
    found = ContactProfile.objects.filter(contact=contact).first()
    return found if found is not None else ContactProfile(contact=contact)


def profile_to_write(contact: Contact, user) -> ContactProfile:
    """The contact's profile for an edit, created with the defaults if the user may edit."""
    require_edit(user, contact)
    profile, _ = ContactProfile.objects.get_or_create(contact=contact)
    return profile


def _key(contact: Contact) -> str:
    return contact.account.account_id


def create_contact(account: Account, values: dict, profile: dict, user) -> Contact:
    """Add a contact to the map: the contact (accounts app) and its profile, together."""
    require_edit(user, account)
    with transaction.atomic():
        contact = account_services.create_contact(account, values, user)
        p = ContactProfile(contact=contact, **profile)
        p.full_clean()
        p.save()
        audit.record(
            "create", p, user=user, changes=audit.snapshot(p), account_key=account.account_id
        )
    return contact


def update_profile(profile: ContactProfile, values: dict, expected_version, user) -> dict:
    require_edit(user, profile)
    if profile.pk is None:  # the defaults, read but never saved: saved now, by this edit
        saved = profile_to_write(profile.contact, user)
        profile.pk, profile.id = saved.pk, saved.pk
    return save_versioned(
        profile, values, expected_version, user=user, account_key=_key(profile.contact)
    )


def add_relationship(contact: Contact, values: dict, user) -> Relationship:
    require_edit(user, contact)
    with transaction.atomic():
        rel = Relationship(contact=contact, **values)
        rel.full_clean()
        rel.save()
        audit.record(
            "create", rel, user=user, changes=audit.snapshot(rel), account_key=_key(contact)
        )
    return rel


def update_relationship(rel: Relationship, values: dict, expected_version, user) -> dict:
    require_edit(user, rel)
    return save_versioned(rel, values, expected_version, user=user, account_key=_key(rel.contact))


def delete_relationship(rel: Relationship, user) -> None:
    require_edit(user, rel)
    with transaction.atomic():
        audit.record(
            "delete", rel, user=user, changes=audit.snapshot(rel), account_key=_key(rel.contact)
        )
        rel.delete()


def add_dotted_line(contact: Contact, to_contact: Contact, note: str, user) -> DottedLine:
    require_edit(user, contact)
    with transaction.atomic():
        line = DottedLine(contact=contact, to_contact=to_contact, note=note)
        line.full_clean()
        line.save()
        audit.record(
            "create", line, user=user, changes=audit.snapshot(line), account_key=_key(contact)
        )
    return line


def delete_dotted_line(line: DottedLine, user) -> None:
    require_edit(user, line)
    with transaction.atomic():
        audit.record(
            "delete",
            line,
            user=user,
            changes=audit.snapshot(line),
            account_key=_key(line.contact),
        )
        line.delete()


def map_records(account: Account):
    """The account's map as the plain records ``coverage`` works on."""
    contacts = list(Contact.objects.filter(account=account).select_related("profile", "reports_to"))
    records = []
    for c in contacts:
        p = getattr(c, "profile", None)
        records.append(
            coverage.MapContact(
                c.contact_id,
                c.name,
                c.reports_to.contact_id if c.reports_to else None,
                p.influence if p else 3,
                p.attitude if p else "neutral",
                p.buying_role if p else "other",
                p.left_company if p else False,
            )
        )
    rels = list(
        Relationship.objects.filter(contact__account=account).select_related("person", "contact")
    )
    map_rels = [
        coverage.MapRelationship(r.contact.contact_id, r.person.name, r.strength, r.last_contact)
        for r in rels
    ]
    return contacts, records, rels, map_rels


def relationship_map(
    account: Account, today: dt.date | None = None, days: int | None = None
) -> dict:
    """Everything the map page draws: positioned nodes, solid and dotted lines, the gaps."""
    today = today or timezone.localdate()
    days = days or stale_days()
    contacts, records, rels, map_rels = map_records(account)
    gaps = coverage.coverage_gaps(records, map_rels, today, days)
    flagged: dict[str, list[str]] = {}
    for gap in gaps:
        for cid in gap.contact_ids:
            flagged.setdefault(cid, []).append(gap.rule)
    by_id = {c.contact_id: c for c in contacts}
    record_of = {r.contact_id: r for r in records}
    placed = tree_layout(
        {c.contact_id: (c.reports_to.contact_id if c.reports_to else None) for c in contacts},
        order=[c.contact_id for c in sorted(contacts, key=lambda c: c.name)],
    )
    rels_of: dict[str, list[Relationship]] = {}
    for r in rels:
        rels_of.setdefault(r.contact.contact_id, []).append(r)
    nodes = []
    for cid, pos in placed.items():
        rec = record_of[cid]
        best = max((r.strength for r in rels_of.get(cid, [])), default=0)
        nodes.append(
            {
                "contact": by_id[cid],
                "id": cid,
                "x": pos.x,
                "y": pos.y,
                "stacked": pos.stacked,
                "cx": pos.x + NODE_W / 2,
                "w": NODE_W,
                "h": NODE_H,
                "colour": ATTITUDE_COLOURS.get(rec.attitude, "#98a2b3"),
                "influence": rec.influence,
                # Influence shows as the border weight: 1 px for 1 … 5 px for 5.
                "stroke": rec.influence,
                "attitude": rec.attitude,
                "left": rec.left_company,
                "best": best,
                "gaps": flagged.get(cid, []),
                "title": (by_id[cid].title or "")[:26],
                "name": by_id[cid].name[:22],
            }
        )
    pos = {n["id"]: n for n in nodes}
    lines = []
    for c in contacts:
        if c.reports_to and c.reports_to.contact_id in pos:
            parent, child = pos[c.reports_to.contact_id], pos[c.contact_id]
            lines.append(_edge(parent, child, dotted=False))
    dotted = list(
        DottedLine.objects.filter(contact__account=account).select_related("contact", "to_contact")
    )
    for d in dotted:
        if d.contact.contact_id in pos and d.to_contact.contact_id in pos:
            lines.append(
                _edge(pos[d.to_contact.contact_id], pos[d.contact.contact_id], dotted=True)
            )
    width, height = canvas_size(placed)
    return {
        "nodes": nodes,
        "outline": _outline(contacts, pos),
        "lines": lines,
        "width": width,
        "height": height,
        "gaps": gaps,
        "days": days,
        "dotted": dotted,
        "relationships": rels,
    }


def _edge(upper: dict, lower: dict, dotted: bool) -> dict:
    if lower.get("stacked") and not dotted:
        # Down from the manager to a bus, along it to the stack's trunk, down the trunk and
        # into the report's left edge.
        x, y = upper["cx"], upper["y"] + NODE_H
        trunk = lower["x"] - INDENT + 10
        bus = y + GAP_Y / 2
        d = f"M{x},{y} V{bus} H{trunk} V{lower['y'] + NODE_H / 2} H{lower['x']}"
        return {"d": d, "dotted": False}
    x1, y1 = upper["cx"], upper["y"] + NODE_H
    x2, y2 = lower["cx"], lower["y"]
    mid = (y1 + y2) / 2
    return {"d": f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}", "dotted": dotted}


def _outline(contacts, nodes: dict[str, dict]) -> list[dict]:
    """The map as an indented list (who reports to whom, depth first, by name): every person
    readable on a phone, where the drawn chart would be too small to read."""
    children: dict[str | None, list] = {}
    ids = {c.contact_id for c in contacts}
    for c in sorted(contacts, key=lambda c: c.name):
        parent = c.reports_to.contact_id if c.reports_to else None
        children.setdefault(parent if parent in ids else None, []).append(c.contact_id)
    out: list[dict] = []
    seen: set[str] = set()

    def walk(cid: str, depth: int) -> None:
        if cid in seen:
            return
        seen.add(cid)
        out.append({"node": nodes[cid], "depth": min(depth, 6)})
        for kid in children.get(cid, []):
            walk(kid, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    for c in sorted(contacts, key=lambda c: c.name):  # only reachable through a cycle
        walk(c.contact_id, 0)
    return out
