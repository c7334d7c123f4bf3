"""Imports of the organisation's kinds: the people's organisation columns, competencies,
training, sponsor visits and assignments.

Rows arrive validated by the store (types, required values, references to known people,
accounts and contacts). What the store cannot know is checked here: choice values, who
sponsored an account on a visit's day, the programme's rules on assignments. Any problem
raises ``ImportFailed`` naming the file, the row, the column and the reason, and nothing is
written (each import runs in one transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from openkam.store.issues import ImportFailed, ImportIssue
from openkam.web.core import audit
from openkam.web.core.bulk import rows_in
from openkam.web.people.models import (
    Assignment,
    Competency,
    CompetencyAssessment,
    ExecutiveLevel,
    Function,
    Person,
    SponsorVisit,
    TrainingRecord,
)

YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
KINDS = ("competencies", "training", "sponsor-visits", "assignments")


class _Issues:
    """Problems of one import, placed at the file and row each row came from."""

    def __init__(self, kind: str, origins: Sequence[dict] | None):
        self.kind = kind
        self.origins = origins
        self.found: list[ImportIssue] = []

    def add(self, i: int, column: str | None, reason: str, value=None) -> None:
        origin = self.origins[i] if self.origins and i < len(self.origins) else None
        file = origin["file"] if origin else f"{self.kind} import"
        row = origin["row"] if origin else i + 2  # a CSV's first record is row 2
        self.found.append(
            ImportIssue(file, row, column, reason, None if value is None else str(value))
        )

    def raise_any(self) -> None:
        if self.found:
            raise ImportFailed(
                sorted(self.found, key=lambda x: (x.file, x.row or 0)), len(self.found)
            )


def _flag(value, issues: _Issues, i: int, column: str) -> bool:
    text = "" if value is None else str(value).strip().lower()
    if text in YES:
        return True
    if text not in NO:
        issues.add(i, column, "is not yes or no", value)
    return False


def _choice(value, choices, issues: _Issues, i: int, column: str, *, blank: bool = False):
    text = "" if value is None else str(value).strip()
    if text == "" and blank:
        return ""
    if text not in choices:
        issues.add(i, column, f"is not one of {', '.join(c for c in choices if c)}", value)
    return text


def prepare_people(rows: list[dict], origins, columns: set[str] | None, user=None) -> list[dict]:
    """The people rows with the organisation columns checked and converted: functions and
    executive levels among their choices, ``full_time_kam`` as a yes/no flag.

    Only an administrator gives or changes roles, on this path as on the form and the API:
    an import by anyone else (``user``; None is the operator's CLI) is refused, naming each
    row, when it changes a person's role or gives a new person another role than viewer.
    """
    issues = _Issues("people", origins)
    _check_roles(rows, user, issues)
    present = columns if columns is not None else set().union(*(r.keys() for r in rows))
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        if columns is None:
            # Loaded without a column list (the demo): absent columns take their defaults.
            for name, default in (("function", ""), ("executive_level", ""), ("title", "")):
                row.setdefault(name, default)
            row.setdefault("full_time_kam", "no")
            present = present | {"function", "executive_level", "full_time_kam"}
        if "function" in present:
            row["function"] = _choice(
                row.get("function"), Function.values, issues, i, "function", blank=True
            )
        if "executive_level" in present:
            row["executive_level"] = _choice(
                row.get("executive_level"),
                ExecutiveLevel.values,
                issues,
                i,
                "executive_level",
                blank=True,
            )
        if "full_time_kam" in present:
            row["full_time_kam"] = _flag(row.get("full_time_kam"), issues, i, "full_time_kam")
        out.append(row)
    issues.raise_any()
    return out


def _check_roles(rows: list[dict], user, issues: _Issues) -> None:
    from openkam.web.core.permissions import may_grant_roles
    from openkam.web.core.roles import Role

    if user is None or may_grant_roles(user):
        return
    stored = dict(
        rows_in(
            Person.objects.values_list("person_id", "role"),
            "person_id",
            [r["person_id"] for r in rows],
        )
    )
    for i, row in enumerate(rows):
        role = (row.get("role") or "").strip()
        if not role:
            continue
        before = stored.get(row["person_id"])
        if role == (before or Role.VIEWER):
            continue
        if before is None:
            reason = (
                f"only an administrator gives roles: a new person ({row['person_id']}) is "
                f"imported as {Role.VIEWER} by anyone else"
            )
        else:
            reason = (
                f"only an administrator changes roles: {row['person_id']} is {before} "
                f"(leave the role as {before}, or ask an administrator)"
            )
        issues.add(i, "role", reason, role)


def upsert(kind: str, rows: list[dict], *, user, actor: str, columns, origins) -> dict:
    """Load one of the organisation kinds; returns created/updated/unchanged counts."""
    handler = {
        "competencies": _competencies,
        "training": _training,
        "sponsor-visits": _visits,
        "assignments": _assignments,
    }[kind]
    with transaction.atomic():
        return handler(rows, user=user, actor=actor, columns=columns, origins=origins)


def _people_by_id(rows: list[dict], *columns: str) -> dict[str, Person]:
    ids = {r[c] for r in rows for c in columns if r.get(c)}
    return {p.person_id: p for p in rows_in(Person.objects.all(), "person_id", ids)}


def _save_changes(obj, values: dict) -> dict:
    before = audit.snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    changes = audit.diff(before, audit.snapshot(obj))
    if changes:
        obj.full_clean()
        obj.version = F("version") + 1
        obj.save()
        obj.refresh_from_db()
    return changes


def _competencies(rows, *, user, actor, columns, origins) -> dict:
    issues = _Issues("competencies", origins)
    people = _people_by_id(rows, "person_id", "assessed_by_person_id")
    today = dt.date.today()
    for i, row in enumerate(rows):
        _choice(row["competency"], Competency.values, issues, i, "competency")
        if row["assessed_on"] > today:
            issues.add(i, "assessed_on", "is in the future", row["assessed_on"])
    issues.raise_any()
    existing = {
        (a.person_id, a.competency, a.assessed_on): a
        for a in rows_in(CompetencyAssessment.objects.all(), "person", people.values())
    }
    created = updated = 0
    for row in rows:
        person = people[row["person_id"]]
        values = {"level": row["level"]}
        if columns is None or "assessed_by_person_id" in columns:
            values["assessed_by"] = people.get(row.get("assessed_by_person_id") or "")
        if columns is None or "notes" in columns:
            values["notes"] = row.get("notes") or ""
        obj = existing.get((person.pk, row["competency"], row["assessed_on"]))
        if obj is None:
            obj = CompetencyAssessment(
                person=person,
                competency=row["competency"],
                assessed_on=row["assessed_on"],
                **values,
            )
            obj.full_clean()
            obj.save()
            audit.record("create", obj, user=user, actor=actor, changes=audit.snapshot(obj))
            created += 1
        elif changes := _save_changes(obj, values):
            audit.record("update", obj, user=user, actor=actor, changes=changes)
            updated += 1
    return {
        "kind": "competencies",
        "created": created,
        "updated": updated,
        "unchanged": len(rows) - created - updated,
    }


def _training(rows, *, user, actor, columns, origins) -> dict:
    issues = _Issues("training", origins)
    people = _people_by_id(rows, "person_id")
    today = dt.date.today()
    flags = []
    for i, row in enumerate(rows):
        completed = _flag(row.get("completed"), issues, i, "completed")
        kam = _flag(row.get("kam_training"), issues, i, "kam_training")
        if completed and row["date"] > today:
            issues.add(i, "completed", "cannot be yes for a course in the future", "yes")
        flags.append((completed, kam))
    issues.raise_any()
    existing = {
        (t.person_id, t.course, t.date): t
        for t in rows_in(TrainingRecord.objects.all(), "person", people.values())
    }
    created = updated = 0
    for row, (completed, kam) in zip(rows, flags, strict=True):
        person = people[row["person_id"]]
        values = {}
        if columns is None or "completed" in columns:
            values["completed"] = completed
        if columns is None or "kam_training" in columns:
            values["kam_training"] = kam
        obj = existing.get((person.pk, row["course"], row["date"]))
        if obj is None:
            obj = TrainingRecord(person=person, course=row["course"], date=row["date"], **values)
            obj.full_clean()
            obj.save()
            existing[(person.pk, row["course"], row["date"])] = obj
            audit.record("create", obj, user=user, actor=actor, changes=audit.snapshot(obj))
            created += 1
        elif changes := _save_changes(obj, values):
            audit.record("update", obj, user=user, actor=actor, changes=changes)
            updated += 1
    return {
        "kind": "training",
        "created": created,
        "updated": updated,
        "unchanged": len(rows) - created - updated,
    }


def _visits(rows, *, user, actor, columns, origins) -> dict:
    from openkam.web.accounts.models import Account, Contact
    from openkam.web.people.assignments import holder_on

    issues = _Issues("sponsor-visits", origins)
    people = _people_by_id(rows, "sponsor_person_id")
    accounts = {
        a.account_id: a
        for a in rows_in(Account.objects.all(), "account_id", {r["account_id"] for r in rows})
    }
    contact_ids = {
        c.strip() for r in rows for c in (r.get("people_met") or "").split(";") if c.strip()
    }
    contacts = {c.contact_id: c for c in rows_in(Contact.objects.all(), "contact_id", contact_ids)}
    with_history = set(
        rows_in(
            Assignment.objects.filter(role="sponsor").values_list("account_id", flat=True),
            "account",
            accounts.values(),
        )
    )
    today = dt.date.today()
    prepared = []
    for i, row in enumerate(rows):
        account = accounts[row["account_id"]]
        sponsor = people[row["sponsor_person_id"]]
        kind = row.get("kind") or SponsorVisit.Kind.VISIT
        _choice(kind, SponsorVisit.Kind.values, issues, i, "kind")
        if row["date"] > today:
            issues.add(i, "date", "is in the future: log a visit once it happened", row["date"])
        held = (
            holder_on(account, "sponsor", row["date"])
            if account.pk in with_history
            else account.sponsor
        )
        if held is None or held.pk != sponsor.pk:
            issues.add(
                i,
                "sponsor_person_id",
                f"was not the sponsor of {account.account_id} on {row['date']}",
                row["sponsor_person_id"],
            )
        met = []
        for cid in (c.strip() for c in (row.get("people_met") or "").split(";")):
            if not cid:
                continue
            contact = contacts.get(cid)
            if contact is None or contact.account_id != account.pk:
                issues.add(i, "people_met", f"is not a contact of {account.account_id}", cid)
            else:
                met.append(contact)
        prepared.append((account, sponsor, kind, met))
    issues.raise_any()
    existing = {
        (v.account_id, v.sponsor_id, v.date, v.kind): v
        for v in rows_in(SponsorVisit.objects.all(), "account", accounts.values())
    }
    created = updated = 0
    for row, (account, sponsor, kind, met) in zip(rows, prepared, strict=True):
        key = (account.pk, sponsor.pk, row["date"], kind)
        obj = existing.get(key)
        notes = row.get("notes") or ""
        if obj is None:
            obj = SponsorVisit(
                account=account, sponsor=sponsor, date=row["date"], kind=kind, notes=notes
            )
            obj.full_clean()
            obj.save()
            obj.people_met.set(met)
            existing[key] = obj
            audit.record(
                "create",
                obj,
                user=user,
                actor=actor,
                changes={**audit.snapshot(obj), "people_met": [c.name for c in met]},
                account_key=account.account_id,
            )
            created += 1
            continue
        changes = (
            _save_changes(obj, {"notes": notes}) if (columns is None or "notes" in columns) else {}
        )
        if columns is None or "people_met" in columns:
            old = sorted(obj.people_met.values_list("pk", flat=True))
            if old != sorted(c.pk for c in met):
                obj.people_met.set(met)
                changes["people_met"] = [len(old), len(met)]
        if changes:
            audit.record(
                "update",
                obj,
                user=user,
                actor=actor,
                changes=changes,
                account_key=account.account_id,
            )
            updated += 1
    return {
        "kind": "sponsor-visits",
        "created": created,
        "updated": updated,
        "unchanged": len(rows) - created - updated,
    }


def _assignments(rows, *, user, actor, columns, origins) -> dict:
    """Apply the file's assignments in date order as one set: the rules are checked on the
    state after the whole file, and a refused file says which row breaks which rule."""
    from openkam.web.accounts.models import Account
    from openkam.web.people.assignments import RuleViolation, assign_many

    issues = _Issues("assignments", origins)
    people = _people_by_id(rows, "person_id")
    accounts = {
        a.account_id: a
        for a in rows_in(Account.objects.all(), "account_id", {r["account_id"] for r in rows})
    }
    today = dt.date.today()
    open_start = {
        (r.account_id, r.role): r.start
        for r in rows_in(Assignment.objects.filter(end__isnull=True), "account", accounts.values())
    }
    # Rows already in the history (same account, role, person and start) are unchanged: a
    # file imported twice changes nothing the second time.
    recorded = set(
        rows_in(
            Assignment.objects.values_list("account_id", "role", "person__person_id", "start"),
            "account",
            accounts.values(),
        )
    )

    def known(i: int) -> bool:
        r = rows[i]
        return (accounts[r["account_id"]].pk, r["role"], r["person_id"], r["start_date"]) in (
            recorded
        )

    order = sorted(
        (i for i in range(len(rows)) if not known(i)),
        key=lambda i: (rows[i]["start_date"], i),
    )
    if not order:
        return {"kind": "assignments", "created": 0, "updated": 0, "unchanged": len(rows)}
    last: dict[tuple, dt.date] = {}
    for i in order:
        row = rows[i]
        role = _choice(row["role"], ("kam", "sponsor"), issues, i, "role")
        if row["start_date"] > today:
            issues.add(i, "start_date", "is in the future", row["start_date"])
        key = (accounts[row["account_id"]].pk, role)
        start = last.get(key, open_start.get(key))
        if start is not None and row["start_date"] < start:
            issues.add(
                i,
                "start_date",
                f"is before the current {role} of {row['account_id']} started ({start}); "
                "history cannot be rewritten by an import",
                row["start_date"],
            )
        last[key] = row["start_date"]
    issues.raise_any()
    before = Assignment.objects.count()
    changes = [
        {
            "account": accounts[rows[i]["account_id"]],
            rows[i]["role"]: people[rows[i]["person_id"]],
            "effective": rows[i]["start_date"],
            "reason": rows[i].get("reason") or "",
        }
        for i in order
    ]
    try:
        applied = assign_many(changes, user=user, actor=actor, source="import")
    except RuleViolation as exc:
        for v in exc.violations:
            i = _row_of(v, rows, order, accounts)
            issues.add(i, "person_id", f"breaks the rule '{v.title}': {v.message}", v.person_id)
        issues.raise_any()
        raise
    except ValidationError as exc:
        issues.add(order[0], None, " ".join(exc.messages))
        issues.raise_any()
        raise
    created = Assignment.objects.count() - before
    return {
        "kind": "assignments",
        "created": max(created, 0),
        "updated": len(applied),
        "unchanged": len(rows) - len([c for c in changes if c["account"].account_id in applied]),
    }


def _row_of(violation, rows, order, accounts) -> int:
    """The row to blame for a violation: the last one about its account and person, else
    the last giving the person an account, else the last taking an account from them."""
    mine = [i for i in order if rows[i]["person_id"] == violation.person_id]
    if violation.account_id:
        about = [i for i in mine if rows[i]["account_id"] == violation.account_id]
        if about:
            return about[-1]
    if mine:
        return mine[-1]
    person = Person.objects.filter(person_id=violation.person_id).first()
    held = set(
        Assignment.objects.filter(person=person).values_list("account__account_id", flat=True)
    )
    taken = [i for i in order if rows[i]["account_id"] in held]
    return taken[-1] if taken else order[-1]
