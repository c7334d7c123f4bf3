"""Coverage gaps of a relationship map, found by rules on plain data (no database).

A supplier that knows one person at a customer, or only junior people, or whose best
contact has just left, is exposed: the "bow-tie" relationship of early-stage KAM instead of
the "diamond" of many functions talking to many functions (McDonald, Millman & Rogers 1997;
Cheverton, *Key Account Management*, ch. on relationship mapping). These rules find those
exposures on a map given as plain records, so they are tested on hand-made maps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = [
    "STRONG",
    "WORKING",
    "RULE_LABELS",
    "Gap",
    "MapContact",
    "MapRelationship",
    "coverage_gaps",
    "high_influence_detractors",
    "lost_relationships",
    "single_threaded",
    "stale_contacts",
    "top_level_uncovered",
]

#: Strength from which a relationship counts as strong (4 = "speaks openly").
STRONG = 4
#: Strength from which a relationship counts as a working one at all (3).
WORKING = 3
#: Influence from which a contact counts as high-influence (1–5 scale).
HIGH_INFLUENCE = 4


@dataclass(frozen=True)
class MapContact:
    contact_id: str
    name: str
    reports_to: str | None = None
    influence: int = 3
    attitude: str = "neutral"
    buying_role: str = "other"
    left_company: bool = False


@dataclass(frozen=True)
class MapRelationship:
    contact_id: str
    person_id: str
    strength: int
    last_contact: dt.date | None = None


#: A short name of each rule, for badges.
RULE_LABELS = {
    "top_level_uncovered": "top level uncovered",
    "single_threaded": "single-threaded",
    "high_influence_detractor": "detractor",
    "left_company": "left",
    "stale": "not touched",
}


@dataclass
class Gap:
    """One gap: the rule that found it, the contacts concerned, and what to tell the KAM."""

    rule: str
    message: str
    contact_ids: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule.replace("_", " "))


def _present(contacts: list[MapContact]) -> list[MapContact]:
    return [c for c in contacts if not c.left_company]


def top_level(contacts: list[MapContact]) -> list[MapContact]:
    """Contacts still at the company whose manager is not on the map (or has left)."""
    present = {c.contact_id for c in _present(contacts)}
    return [c for c in _present(contacts) if c.reports_to not in present]


def top_level_uncovered(
    contacts: list[MapContact], relationships: list[MapRelationship]
) -> Gap | None:
    """No working relationship (strength ≥ 3) with anyone at the top of the organisation."""
    tops = top_level(contacts)
    if not tops:
        return None
    top_ids = {c.contact_id for c in tops}
    if any(r.contact_id in top_ids and r.strength >= WORKING for r in relationships):
        return None
    return Gap(
        "top_level_uncovered",
        "No working relationship at the top level: " + ", ".join(c.name for c in tops),
        sorted(top_ids),
    )


def single_threaded(contacts: list[MapContact], relationships: list[MapRelationship]) -> Gap | None:
    """Every strong relationship (strength ≥ 4) is held by one of our people (or none is).

    Contacts who left are ignored: their relationships no longer protect the account.
    """
    present = {c.contact_id for c in _present(contacts)}
    strong = [r for r in relationships if r.contact_id in present and r.strength >= STRONG]
    holders = {r.person_id for r in strong}
    if len(holders) > 1 or not present:
        return None
    if not holders:
        return Gap("single_threaded", "No strong relationship with anyone at the account.")
    (holder,) = holders
    return Gap(
        "single_threaded",
        f"Single-threaded: {holder} holds every strong relationship.",
        sorted({r.contact_id for r in strong}),
        [holder],
    )


def high_influence_detractors(contacts: list[MapContact]) -> Gap | None:
    """Contacts with influence ≥ 4 whose attitude to us is "detractor"."""
    found = [
        c for c in _present(contacts) if c.influence >= HIGH_INFLUENCE and c.attitude == "detractor"
    ]
    if not found:
        return None
    return Gap(
        "high_influence_detractor",
        "High-influence detractor: " + ", ".join(c.name for c in found),
        [c.contact_id for c in found],
    )


def stale_contacts(
    contacts: list[MapContact],
    relationships: list[MapRelationship],
    today: dt.date,
    days: int = 90,
) -> Gap | None:
    """Contacts at the company nobody of ours has been in touch with for more than ``days``.

    A contact's last touch is the latest ``last_contact`` over all our people; a contact
    without any recorded touch counts as stale too.
    """
    last: dict[str, dt.date] = {}
    for r in relationships:
        if r.last_contact and (r.contact_id not in last or r.last_contact > last[r.contact_id]):
            last[r.contact_id] = r.last_contact
    cutoff = today - dt.timedelta(days=days)
    found = [
        c
        for c in _present(contacts)
        if last.get(c.contact_id) is None or last[c.contact_id] < cutoff
    ]
    if not found:
        return None
    detail = [
        f"{c.name}: "
        + (f"last contact {last[c.contact_id].isoformat()}" if c.contact_id in last else "never")
        for c in found
    ]
    return Gap(
        "stale",
        f"Not touched for more than {days} days: " + ", ".join(c.name for c in found),
        [c.contact_id for c in found],
        detail,
    )


def lost_relationships(
    contacts: list[MapContact], relationships: list[MapRelationship]
) -> Gap | None:
    """Contacts marked as having left, with the relationships we lost with them."""
    gone = [c for c in contacts if c.left_company]
    if not gone:
        return None
    detail = []
    for c in gone:
        lost = [r for r in relationships if r.contact_id == c.contact_id]
        held = ", ".join(f"{r.person_id} (strength {r.strength})" for r in lost) or "none"
        detail.append(f"{c.name}: relationships lost: {held}")
    return Gap(
        "left_company",
        "Left the company: " + ", ".join(c.name for c in gone),
        [c.contact_id for c in gone],
        detail,
    )


def coverage_gaps(
    contacts: list[MapContact],
    relationships: list[MapRelationship],
    today: dt.date,
    stale_days: int = 90,
) -> list[Gap]:
    """Every gap the rules find, in order of severity."""
    found = [
        top_level_uncovered(contacts, relationships),
        single_threaded(contacts, relationships),
        high_influence_detractors(contacts),
        lost_relationships(contacts, relationships),
        stale_contacts(contacts, relationships, today, stale_days),
    ]
    return [g for g in found if g is not None]
