"""The organisation's domain services: people, competencies and targets, training, sponsor
visits and their cadence, the champion, the programme's rules. Pages, API, CLI and imports
call these; they check permissions, save and write the audit trail.

Who holds which account is changed only by ``people.assignments``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit, require_role_change
from openkam.web.core.roles import Role, person_of, runs_programme
from openkam.web.people import rules as org_rules
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    Competency,
    CompetencyAssessment,
    CompetencyTarget,
    Person,
    ProgrammeRules,
    SponsorVisit,
    TrainingRecord,
)


def require_programme(user) -> None:
    """Raise ``PermissionDenied`` unless ``user`` is the champion or an admin."""
    if user is not None and not runs_programme(user):
        raise PermissionDenied("Only the KAM champion or an administrator may do this.")


def _today() -> dt.date:
    return timezone.localdate()


# --- people and their load ---------------------------------------------------------


def people_with_load(
    *,
    role: str = "",
    function: str = "",
    q: str = "",
    load: str = "",
    rules: ProgrammeRules | None = None,
    queryset=None,
) -> list[dict]:
    """Each person with their key-account load as KAM and as sponsor against the rules.

    ``load`` = "over", "under" or "broken" keeps only people with such a load (or any
    broken rule). Rows: ``{"person", "kam_load", "sponsor_load", "is_kam", "is_sponsor",
    "violations"}``; loads as ``rules.load_status`` plus ``text``.
    """
    rules = rules or ProgrammeRules.current()
    people = (queryset if queryset is not None else Person.objects.all()).annotate(
        n_key_kam=Count("kam_accounts", filter=Q(kam_accounts__key_status="key"), distinct=True),
        n_kam_any=Count("kam_accounts", distinct=True),
        n_key_sponsor=Count(
            "sponsored_accounts", filter=Q(sponsored_accounts__key_status="key"), distinct=True
        ),
        n_sponsor_any=Count("sponsored_accounts", distinct=True),
    )
    if role:
        people = people.filter(role=role)
    if function:
        people = people.filter(function=function)
    if q:
        people = people.filter(Q(name__icontains=q) | Q(person_id__icontains=q))
    by_person: dict[str, list] = {}
    for v in org_rules.current_violations(rules):
        by_person.setdefault(v.person_id, []).append(v)
    rows = []
    for p in people.select_related("reports_to").order_by("name", "pk"):
        kam_load = org_rules.load_status(
            p.n_key_kam, rules.kam_min_accounts, rules.kam_max_accounts
        )
        sponsor_load = org_rules.load_status(
            p.n_key_sponsor, rules.sponsor_min_accounts, rules.sponsor_max_accounts
        )
        is_kam = bool(p.n_kam_any) or (p.active and p.role == Role.KAM)
        is_sponsor = bool(p.n_sponsor_any) or (p.active and p.role == Role.SPONSOR)
        kam_load["text"] = org_rules.load_text("KAM", kam_load)
        sponsor_load["text"] = org_rules.load_text("Sponsor", sponsor_load)
        if not is_kam:
            kam_load["status"] = ""
        if not is_sponsor:
            sponsor_load["status"] = ""
        row = {
            "person": p,
            "kam_load": kam_load,
            "sponsor_load": sponsor_load,
            "is_kam": is_kam,
            "is_sponsor": is_sponsor,
            "violations": by_person.get(p.person_id, []),
        }
        if load in ("over", "under") and load not in (
            kam_load["status"],
            sponsor_load["status"],
        ):
            continue
        if load == "broken" and not row["violations"]:
            continue
        rows.append(row)
    return rows


def person_row_json(row: dict) -> dict:
    """A ``people_with_load`` row as JSON."""
    p = row["person"]
    return {
        "person_id": p.person_id,
        "name": p.name,
        "role": p.role,
        "function": p.function,
        "executive_level": p.executive_level,
        "full_time_kam": p.full_time_kam,
        "title": p.title,
        "active": p.active,
        "reports_to": p.reports_to.person_id if p.reports_to_id else None,
        "kam_load": row["kam_load"] if row["is_kam"] else None,
        "sponsor_load": row["sponsor_load"] if row["is_sponsor"] else None,
        "violations": [v.as_dict() for v in row["violations"]],
    }


def update_person(person: Person, values: dict, expected_version: int | None, user) -> dict:
    """Edit a person (champion or admin). Returns the changes."""
    require_edit(user, person)
    require_role_change(user, person.role, values.get("role"))
    if values.get("reports_to") is not None:
        _check_reports_to(person, values["reports_to"])
    return save_versioned(person, values, expected_version, user=user)


def create_person(values: dict, user) -> Person:
    """Add a person (champion or admin)."""
    require_programme(user)
    require_role_change(user, None, values.get("role"))
    with transaction.atomic():
        person = Person(**values)
        person.full_clean()
        person.save()
        audit.record("create", person, user=user, changes=audit.snapshot(person))
    return person


def delete_person(person: Person, user) -> None:
    """Remove a person who never held an account nor logged a visit; anyone with history
    is made inactive instead (the history keeps who held what)."""
    require_programme(user)
    if person.assignments.exists() or person.visits.exists():
        raise ValidationError(
            f"{person.name} has held accounts or logged sponsor visits: mark them inactive "
            "instead, so the history keeps who held what."
        )
    with transaction.atomic():
        audit.record("delete", person, user=user, changes=audit.snapshot(person))
        person.delete()


def _check_reports_to(person: Person, boss: Person) -> None:
    node = boss
    while node is not None:
        if node.pk == person.pk:
            raise ValidationError({"reports_to": f"{person} cannot report to {boss}: a loop."})
        node = node.reports_to


# --- competencies and training ------------------------------------------------------


def competency_targets() -> dict[str, int]:
    """The champion's target level per competency (absent: no target set)."""
    return dict(CompetencyTarget.objects.values_list("competency", "level"))


def competency_profile(person: Person) -> list[dict]:
    """Per competency of the seeds: the latest assessment, the champion's target and the
    gap (target − level; positive: short of the target)."""
    targets = competency_targets()
    latest: dict[str, CompetencyAssessment] = {}
    for a in person.assessments.select_related("assessed_by").order_by("-assessed_on", "-id"):
        latest.setdefault(a.competency, a)
    rows = []
    for value, label in Competency.choices:
        a = latest.get(value)
        target = targets.get(value)
        gap = target - a.level if (a is not None and target is not None) else None
        rows.append(
            {
                "competency": value,
                "label": label,
                "level": a.level if a else None,
                "assessed_by": a.assessed_by if a else None,
                "assessed_on": a.assessed_on if a else None,
                "target": target,
                "gap": gap,
                "short": gap is not None and gap > 0,
            }
        )
    return rows


def add_assessment(person: Person, values: dict, user) -> CompetencyAssessment:
    """Record one competency assessment (the champion or an admin)."""
    require_programme(user)
    if values.get("assessed_on") and values["assessed_on"] > _today():
        raise ValidationError({"assessed_on": "An assessment cannot be dated in the future."})
    with transaction.atomic():
        obj = CompetencyAssessment(person=person, **values)
        if obj.assessed_by_id is None and user is not None:
            obj.assessed_by = person_of(user)
        obj.full_clean()
        obj.save()
        audit.record("create", obj, user=user, changes=audit.snapshot(obj))
    return obj


def set_target(competency: str, level: int, user) -> CompetencyTarget:
    """Set the champion's target level of one competency for KAMs."""
    require_programme(user)
    with transaction.atomic():
        obj = CompetencyTarget.objects.filter(competency=competency).first()
        if obj is None:
            obj = CompetencyTarget(competency=competency, level=level)
            obj.full_clean()
            obj.save()
            audit.record("create", obj, user=user, changes=audit.snapshot(obj))
        else:
            save_versioned(obj, {"level": level}, None, user=user)
            obj.refresh_from_db()
    return obj


def add_training(person: Person, values: dict, user) -> TrainingRecord:
    """Record a course someone took or is booked on (the champion or an admin)."""
    require_programme(user)
    if values.get("completed") and values.get("date") and values["date"] > _today():
        raise ValidationError({"completed": "A course dated in the future is not completed."})
    with transaction.atomic():
        obj = TrainingRecord(person=person, **values)
        obj.full_clean()
        obj.save()
        audit.record("create", obj, user=user, changes=audit.snapshot(obj))
    return obj


def delete_training(record: TrainingRecord, user) -> None:
    require_programme(user)
    with transaction.atomic():
        audit.record("delete", record, user=user, changes=audit.snapshot(record))
        record.delete()


# --- sponsor visits -----------------------------------------------------------------


def may_log_visit(user, sponsor: Person) -> bool:
    """The champion and admins log anyone's visits; a sponsor logs their own."""
    if user is None or runs_programme(user):
        return True
    person = person_of(user)
    return person is not None and person.pk == sponsor.pk


def log_visit(values: dict, user, *, people_met=()) -> SponsorVisit:
    """Add a sponsor's contact with an account (visit, call, quarterly review)."""
    sponsor = values["sponsor"]
    account = values["account"]
    if not may_log_visit(user, sponsor):
        raise PermissionDenied("Only the sponsor, the KAM champion or an admin logs this visit.")
    if values.get("date") and values["date"] > _today():
        raise ValidationError({"date": "A visit is logged once it happened (not in the future)."})
    day = values.get("date") or _today()
    from openkam.web.people.assignments import holder_on

    held = holder_on(account, "sponsor", day)
    if held is None and not Assignment.objects.filter(account=account, role="sponsor").exists():
        held = account.sponsor  # an account whose history predates the record
    if held is None or held.pk != sponsor.pk:
        raise ValidationError(
            {
                "sponsor": f"{sponsor.name} was not the sponsor of {account.account_id} on "
                f"{day}: a sponsor visit is logged by the account's sponsor."
            }
        )
    met = list(people_met)
    wrong = [c.contact_id for c in met if c.account_id != account.pk]
    if wrong:
        raise ValidationError(
            {"people_met": f"Not contacts of {account.account_id}: {', '.join(wrong)}."}
        )
    with transaction.atomic():
        visit = SponsorVisit(**values)
        visit.full_clean()
        visit.save()
        if met:
            visit.people_met.set(met)
        audit.record(
            "create",
            visit,
            user=user,
            changes={**audit.snapshot(visit), "people_met": [c.name for c in met]},
            account_key=account.account_id,
        )
    return visit


def delete_visit(visit: SponsorVisit, user) -> None:
    require_edit(user, visit)
    with transaction.atomic():
        audit.record(
            "delete",
            visit,
            user=user,
            changes=audit.snapshot(visit),
            account_key=visit.account.account_id,
        )
        visit.delete()


def set_visit_cadence(account, days: int | None, user) -> None:
    """Set how often the current sponsor of ``account`` visits it (None: the programme's)."""
    require_programme(user)
    if days is not None and days < 1:
        raise ValidationError({"visit_every_days": "A cadence is at least one day."})
    with transaction.atomic():
        row = Assignment.objects.filter(account=account, role="sponsor", end__isnull=True).first()
        if row is None:
            raise ValidationError(f"{account.account_id} has no sponsor to set a cadence for.")
        old = row.visit_every_days
        if old == days:
            return
        Assignment.objects.filter(pk=row.pk).update(visit_every_days=days)
        # The lists of sponsors' visits due show it.
        type(account).objects.filter(pk=account.pk).update(listed_at=timezone.now())
        audit.record(
            "update",
            account,
            user=user,
            changes={"visit_every_days": [old, days]},
            account_key=account.account_id,
            message=f"Sponsor visit cadence of {row.person}: "
            f"{'every ' + str(days) + ' days' if days else 'the programme default'}",
        )


def visit_status(accounts=None, *, sponsor: Person | None = None, today=None) -> list[dict]:
    """For each account with a sponsor (key accounts by default): the sponsor, their
    cadence, their last contact with it, when the next is due and whether it is overdue.

    The clock starts at the sponsor's last logged contact with the account, or at the start
    of their sponsorship when there is none yet. ``accounts`` is a query, or accounts
    already read with their sponsor (an account page's: not read again).
    """
    from openkam.web.accounts.models import Account

    today = today or _today()
    rules = ProgrammeRules.current()
    if isinstance(accounts, list):
        accounts = sorted(
            (a for a in accounts if a.sponsor_id and (sponsor is None or a.sponsor == sponsor)),
            key=lambda a: a.name,
        )
    else:
        if accounts is None:
            accounts = Account.objects.filter(key_status="key")
        accounts = accounts.filter(sponsor__isnull=False)
        if sponsor is not None:
            accounts = accounts.filter(sponsor=sponsor)
        accounts = list(accounts.select_related("sponsor", "kam").order_by("name"))
    pks = [a.pk for a in accounts]
    open_rows = {
        (r.account_id, r.person_id): r
        for r in Assignment.objects.filter(account_id__in=pks, role="sponsor", end__isnull=True)
    }
    last = {
        (r["account"], r["sponsor"]): r["last"]
        for r in SponsorVisit.objects.filter(account_id__in=pks)
        .values("account", "sponsor")
        .annotate(last=Max("date"))
    }
    out = []
    for a in accounts:
        row = open_rows.get((a.pk, a.sponsor_id))
        every = (row.visit_every_days if row else None) or rules.visit_every_days
        last_visit = last.get((a.pk, a.sponsor_id))
        since = last_visit or (row.start if row else None)
        due = since + dt.timedelta(days=every) if since else today
        out.append(
            {
                "account": a,
                "sponsor": a.sponsor,
                "every_days": every,
                "cadence_set": bool(row and row.visit_every_days),
                "last_visit": last_visit,
                "due": due,
                "overdue": due < today,
                "days_overdue": (today - due).days if due < today else 0,
            }
        )
    out.sort(key=lambda r: r["due"])
    return out


def overdue_visits(*, sponsor: Person | None = None, today=None) -> list[dict]:
    """The key accounts whose sponsor's next contact is past due, most overdue first."""
    rows = [r for r in visit_status(sponsor=sponsor, today=today) if r["overdue"]]
    rows.sort(key=lambda r: -r["days_overdue"])
    return rows


# --- the champion -------------------------------------------------------------------


def appoint_champion(
    person: Person,
    since: dt.date,
    *,
    reports_to: Person | None = None,
    notes: str = "",
    user=None,
) -> ChampionAppointment:
    """Appoint the KAM champion from ``since`` (the previous appointment ends that day), or
    change to whom the current champion reports."""
    require_programme(user)
    if reports_to is not None and reports_to.pk == person.pk:
        raise ValidationError({"reports_to": "The champion cannot report to themselves."})
    with transaction.atomic():
        current = ChampionAppointment.current()
        if current is not None and current.person_id == person.pk:
            save_versioned(
                current,
                {"reports_to": reports_to, "notes": notes, "since": since},
                None,
                user=user,
            )
            current.refresh_from_db()
            return current
        if current is not None:
            if since <= current.since:
                raise ValidationError(
                    {"since": f"The new champion starts after the current one ({current.since})."}
                )
            save_versioned(current, {"until": since}, None, user=user)
        appointment = ChampionAppointment(
            person=person, since=since, reports_to=reports_to, notes=notes
        )
        appointment.full_clean()
        appointment.save()
        audit.record("create", appointment, user=user, changes=audit.snapshot(appointment))
    return appointment


# --- the programme's rules ----------------------------------------------------------


RULE_FIELDS = (
    "kam_min_accounts",
    "kam_max_accounts",
    "kam_must_be_full_time",
    "sponsor_min_accounts",
    "sponsor_max_accounts",
    "sponsor_min_level",
    "allow_exceptions",
    "visit_every_days",
)


def update_rules(values: dict[str, Any], expected_version: int | None, user) -> dict:
    """Change the programme's rules (the champion or an admin); versioned and audited.

    A stricter rule does not move anyone: what it breaks is listed as broken now."""
    require_programme(user)
    rules = ProgrammeRules.current_for_update()
    values = {k: v for k, v in values.items() if k in RULE_FIELDS}
    merged = {f: values.get(f, getattr(rules, f)) for f in RULE_FIELDS}
    errors = {}
    if merged["kam_min_accounts"] > merged["kam_max_accounts"]:
        errors["kam_min_accounts"] = "The KAM minimum is above the maximum."
    if merged["sponsor_min_accounts"] > merged["sponsor_max_accounts"]:
        errors["sponsor_min_accounts"] = "The sponsor minimum is above the maximum."
    if merged["kam_max_accounts"] < 1 or merged["sponsor_max_accounts"] < 1:
        errors["kam_max_accounts"] = "A maximum of 0 would leave every key account without."
    if errors:
        raise ValidationError(errors)
    return save_versioned(rules, values, expected_version, user=user)


# --- home pages ---------------------------------------------------------------------


def plans_awaiting_sign_off(person: Person) -> list:
    """The plans of accounts ``person`` sponsors whose latest version is not signed off."""
    from openkam.web.planning.models import Plan, PlanVersion

    out = []
    for plan in Plan.objects.filter(account__sponsor=person).select_related("account"):
        latest = PlanVersion.objects.filter(plan=plan).order_by("-number").first()
        if latest is not None and latest.signed_at is None:
            out.append({"plan": plan, "version": latest})
    return out


def home_panel(user) -> dict | None:
    """What the home page shows of the organisation for ``user``: the rules broken now
    (all for the champion and admins, their own for others), overdue sponsor visits (all
    for the champion, their own for a sponsor), and a sponsor's own desk."""
    if user is None or not user.is_authenticated:
        return None
    person = person_of(user)
    programme = runs_programme(user)
    violations = org_rules.current_violations()
    if not programme:
        violations = [
            v for v in violations if person is not None and v.person_id == person.person_id
        ]
    overdue = (
        overdue_visits()
        if programme
        else overdue_visits(sponsor=person)
        if person is not None
        else []
    )
    sponsor_desk = None
    if person is not None and person.sponsored_accounts.exists():
        status = visit_status(sponsor=person)
        sponsor_desk = {
            "visits": status,
            "next_due": status[0] if status else None,
            "plans": plans_awaiting_sign_off(person),
        }
    champion = ChampionAppointment.current()
    return {
        "violations": violations,
        "open_violations": [v for v in violations if not v.excepted],
        "excepted": [v for v in violations if v.excepted],
        "overdue": overdue,
        "sponsor_desk": sponsor_desk,
        "programme": programme,
        "champion": champion,
    }
