"""The one writer of who holds which account: ``Account.kam``, ``Account.sponsor`` and the
``Assignment`` history behind them.

Every path that changes a KAM or a sponsor (the account form, the API, applying a selection
review, imports, the CLI, the demo) calls ``assign`` or ``assign_many``, so the rules of
``people.rules`` hold everywhere, the history is kept with effective dates, and the audit
trail says who changed what and why.

History: an ``Assignment`` row runs from ``start`` (inclusive) to ``end`` (exclusive; null
while it lasts). A change effective on date D closes the open row with ``end = D`` and opens
a new one with ``start = D``. A change effective on the day the open row started replaces
that row (it held for no day at all); a change before it is refused, because the history
would then disagree with itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from openkam.web.core import audit
from openkam.web.core.roles import runs_programme
from openkam.web.people import rules as org_rules
from openkam.web.people.models import Assignment, Person, ProgrammeRules, RuleException


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "Leave this role as it is" (``None`` means "nobody").
UNSET: Any = _Unset()

ROLES = ("kam", "sponsor")
ROLE_LABELS = {"kam": "KAM", "sponsor": "sponsor"}


class RuleViolation(ValidationError):
    """A change refused because it breaks the programme's rules; nothing was written.

    ``violations`` lists each broken rule (``people.rules.Violation``);
    ``exception_allowed`` says whether the same change would go through with a written
    reason from this user.
    """

    def __init__(self, violations: list, *, exception_allowed: bool = False, note: str = ""):
        self.violations = violations
        self.exception_allowed = exception_allowed
        messages = [v.message for v in violations]
        if note:
            messages.append(note)
        super().__init__(messages, code="rule")

    def __str__(self) -> str:
        return " ".join(self.messages)


def may_assign(user) -> bool:
    """Whether ``user`` may change KAMs and sponsors: the champion and admins only (a KAM
    cannot make themselves, or anyone, sponsor or KAM of their own account). ``None`` is a
    system actor (import, CLI, demo) acting for the programme."""
    return user is None or runs_programme(user)


def _as_person(value) -> Person | None | _Unset:
    if value is UNSET or value is None or isinstance(value, Person):
        return value
    person = Person.objects.filter(person_id=str(value)).first()
    if person is None:
        raise ValidationError(f"Unknown person {value!r}.")
    return person


def assign(
    account,
    *,
    kam=UNSET,
    sponsor=UNSET,
    effective: dt.date | None = None,
    reason: str = "",
    exception_reason: str = "",
    user=None,
    actor: str = "",
    source: str = "",
    visit_every_days: int | None = None,
) -> dict:
    """Make ``kam`` and/or ``sponsor`` (a ``Person``, a person id, or ``None`` for nobody)
    hold ``account`` from ``effective`` (default today).

    Returns the account's changes ``{field: [old, new]}`` (names), empty when nothing
    changed. Raises ``RuleViolation`` when the change breaks a rule and no exception is
    allowed, ``PermissionDenied`` when the user may not assign, ``ValidationError`` for an
    impossible date.
    """
    change = {"account": account, "kam": kam, "sponsor": sponsor}
    if visit_every_days is not None:
        change["visit_every_days"] = visit_every_days
    out = assign_many(
        [change],
        effective=effective,
        reason=reason,
        exception_reason=exception_reason,
        user=user,
        actor=actor,
        source=source,
    )
    return out.get(account.account_id, {})


def assign_many(
    changes: list[dict],
    *,
    effective: dt.date | None = None,
    reason: str = "",
    exception_reason: str = "",
    user=None,
    actor: str = "",
    source: str = "",
) -> dict[str, dict]:
    """Apply many changes at once; the rules are checked on the end state as a whole.

    Each change is ``{"account": Account, "kam": ..., "sponsor": ..., "key_status": ...,
    "effective": date, "reason": str}`` (all but ``account`` optional; ``kam``/``sponsor``
    take a ``Person``, a person id, ``None`` or ``UNSET``). Later changes of an account
    follow earlier ones (an import of history gives several). All or nothing: a refused set
    writes nothing. Returns ``{account_id: {field: [old, new]}}`` for the accounts changed.
    """
    from openkam.web.accounts.models import Account

    today = dt.date.today()
    effective = effective or today
    prepared = []
    for c in changes:
        item = {"account": c["account"], "effective": c.get("effective") or effective}
        for role in ROLES:
            value = _as_person(c.get(role, UNSET))
            if value is not UNSET:
                item[role] = value
        if "key_status" in c and c["key_status"] is not UNSET:
            if c["key_status"] not in Account.KeyStatus.values:
                raise ValidationError(f"Unknown key status {c['key_status']!r}.")
            item["key_status"] = c["key_status"]
        item["reason"] = (c.get("reason") or reason)[:500]
        if c.get("visit_every_days") is not None:
            item["visit_every_days"] = c["visit_every_days"]
        prepared.append(item)
    for item in prepared:
        if item["effective"] > today:
            raise ValidationError(
                f"{item['account'].account_id}: the effective date {item['effective']} is in "
                "the future; record a change on or after the day it happens."
            )
    assigner = may_assign(user)
    with transaction.atomic():
        pks = sorted({item["account"].pk for item in prepared})
        current = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=pks)}
        # Keep only what really changes against the stored state (in order).
        state = {pk: (a.kam_id, a.sponsor_id, a.key_status) for pk, a in current.items()}
        open_rows = set(
            Assignment.objects.filter(account_id__in=pks, end__isnull=True).values_list(
                "account_id", "role"
            )
        )
        # Everyone who holds a touched account before or after: their exceptions may retire.
        touched = {a.kam_id for a in current.values()} | {a.sponsor_id for a in current.values()}
        effective_changes = []
        for item in prepared:
            pk = item["account"].pk
            if pk not in current:
                raise ValidationError(f"Unknown account {item['account'].account_id!r}.")
            kam_id, sponsor_id, status = state[pk]
            diff = {}
            for role, holder in (("kam", kam_id), ("sponsor", sponsor_id)):
                if role not in item:
                    continue
                if _pk(item[role]) != holder:
                    diff[role] = item[role]
                elif assigner and holder is not None and (pk, role) not in open_rows:
                    # The holder is unchanged but has no history yet (held since before
                    # the history began): the change starts their history.
                    diff[role] = item[role]
                open_rows.add((pk, role))
            if "key_status" in item and item["key_status"] != status:
                diff["key_status"] = item["key_status"]
            if not diff:
                continue
            state[pk] = (
                _pk(diff["kam"]) if "kam" in diff else kam_id,
                _pk(diff["sponsor"]) if "sponsor" in diff else sponsor_id,
                diff.get("key_status", status),
            )
            effective_changes.append({**item, **diff, "_diff": set(diff)})
            touched |= {_pk(diff.get("kam")), _pk(diff.get("sponsor"))}
        if not effective_changes:
            return {}
        # Checked on what really changes: a KAM saving their account with its KAM and
        # sponsor as they are is not assigning anyone.
        if not assigner and any(r in c["_diff"] for c in effective_changes for r in ROLES):
            raise PermissionDenied(
                "Only the KAM champion or an administrator assigns key account managers and "
                "sponsors."
            )
        rules = ProgrammeRules.current()
        check = [
            {
                "account": current[c["account"].pk],
                **{k: c[k] for k in c["_diff"] if k in ("kam", "sponsor", "key_status")},
            }
            for c in effective_changes
        ]
        _validate_dates(effective_changes)
        violations = org_rules.check_change(check, rules=rules)
        if violations:
            _refuse_or_except(violations, exception_reason, rules, user, actor, current)
        result: dict[str, dict] = {}
        for c in effective_changes:
            account = current[c["account"].pk]
            changes_of = _write(
                account,
                c,
                user=user,
                actor=actor,
                source=source,
                exception_reason=exception_reason if violations else "",
            )
            if changes_of:
                result.setdefault(account.account_id, {}).update(changes_of)
        _retire_exceptions(touched, rules, user, actor)
    return result


def _pk(person) -> int | None:
    return person.pk if person is not None else None


def _refuse_or_except(violations, exception_reason, rules, user, actor, accounts) -> None:
    allowed = rules.allow_exceptions and may_assign(user)
    # A violation an active exception covers already needs no new reason only when it is
    # the same breach: ``check_change`` reports new or worsened ones, which need their own.
    if not (exception_reason.strip() and allowed):
        note = ""
        if exception_reason.strip() and not rules.allow_exceptions:
            note = "The programme's rules allow no exceptions."
        elif exception_reason.strip():
            note = "Only the KAM champion or an administrator may accept an exception."
        elif allowed:
            note = "The champion may accept it as an exception with a written reason."
        raise RuleViolation(violations, exception_allowed=allowed, note=note)
    people = {
        p.person_id: p
        for p in Person.objects.filter(person_id__in={v.person_id for v in violations})
    }
    by_id = {a.account_id: a for a in accounts.values()}
    from openkam.web.accounts.models import Account

    for v in violations:
        account = by_id.get(v.account_id) if v.account_id else None
        if v.account_id and account is None:
            account = Account.objects.filter(account_id=v.account_id).first()
        exc = RuleException.objects.create(
            person=people[v.person_id],
            rule=v.rule,
            account=account,
            reason=exception_reason.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record(
            "create",
            exc,
            user=user,
            actor=actor,
            changes={**audit.snapshot(exc), "violation": v.message},
            account_key=v.account_id or "",
            message=f"Exception to '{v.title}': {v.message} Reason: {exc.reason}",
        )


def _validate_dates(changes: list[dict]) -> None:
    """Refuse a change dated before the start of the assignment it would end."""
    seen: dict[tuple, dt.date] = {}
    for c in changes:
        account = c["account"]
        for role in ROLES:
            if role not in c["_diff"]:
                continue
            key = (account.pk, role)
            start = seen.get(key)
            if start is None:
                open_row = (
                    Assignment.objects.filter(account_id=account.pk, role=role, end__isnull=True)
                    .order_by("-start")
                    .first()
                )
                start = open_row.start if open_row else None
            if start is not None and c["effective"] < start:
                raise ValidationError(
                    f"{account.account_id}: the {ROLE_LABELS[role]} change effective "
                    f"{c['effective']} is before the current {ROLE_LABELS[role]}'s start "
                    f"{start}; a change cannot predate the assignment it ends."
                )
            seen[key] = c["effective"]


def _write(account, c: dict, *, user, actor, source, exception_reason) -> dict:
    """Write one change: the account's fields, the history rows, one audit event."""
    from openkam.web.accounts.models import Account

    before = audit.snapshot(account)
    when = c["effective"]
    parts = []
    for role in ROLES:
        if role not in c["_diff"]:
            continue
        person = c[role]
        open_rows = Assignment.objects.filter(account=account, role=role, end__isnull=True)
        for row in open_rows:
            if row.start >= when:
                # Held for no day: the new holder replaces it (the audit trail keeps it).
                row.delete()
            else:
                row.end = when
                row.save(update_fields=["end"])
        if person is not None:
            Assignment.objects.create(
                account=account,
                role=role,
                person=person,
                start=when,
                reason=c["reason"],
                exception_reason=exception_reason[:500],
                source=source,
                visit_every_days=c.get("visit_every_days") if role == "sponsor" else None,
                recorded_by=user if getattr(user, "is_authenticated", False) else None,
            )
        setattr(account, f"{role}_id", _pk(person))
        setattr(account, role, person)
        old = getattr(Person.objects.filter(pk=before[role]).first(), "name", None)
        parts.append(
            f"{ROLE_LABELS[role]} {old or 'nobody'} → {person.name if person else 'nobody'}"
        )
    if "key_status" in c["_diff"]:
        account.key_status = c["key_status"]
    changes = audit.diff(before, audit.snapshot(account))
    if not changes and not parts:
        return {}
    if changes:
        Account.objects.filter(pk=account.pk).update(
            kam_id=account.kam_id,
            sponsor_id=account.sponsor_id,
            key_status=account.key_status,
            version=F("version") + 1,
            listed_at=timezone.now(),
        )
        account.version = Account.objects.values_list("version", flat=True).get(pk=account.pk)
        changes = audit.labelled(Account, changes)
    else:
        parts = [f"{p.split(' → ')[-1]} recorded in the history" for p in parts]
        # The lists show who held the account when: its history moved.
        Account.objects.filter(pk=account.pk).update(listed_at=timezone.now())
    message = "; ".join(parts) or "key status"
    message += f" from {when.isoformat()}"
    if source:
        message += f" ({source})"
    if c["reason"]:
        message += f": {c['reason']}"
    if exception_reason:
        message += f" [exception: {exception_reason}]"
    audit.record(
        "update" if changes else "event",
        account,
        user=user,
        actor=actor,
        changes=changes,
        account_key=account.account_id,
        message=message,
    )
    return changes


def _retire_exceptions(people: set, rules, user, actor) -> None:
    """Deactivate the exceptions of the people touched whose rule now holds again."""
    people = people - {None}
    active = list(RuleException.objects.filter(active=True, person_id__in=people))
    if not active:
        return
    holdings = org_rules.load_holdings(person_pks=people)
    persons = {p.pk: p for p in Person.objects.filter(pk__in=people)}
    still = {v.key for v in org_rules.evaluate(holdings, persons, rules, only=people)}
    still_capacity = {(r, p) for r, p, _ in still}
    for exc in active:
        person_id = persons[exc.person_id].person_id
        if exc.rule in org_rules.CAPACITY_RULES:
            holds = (exc.rule, person_id) in still_capacity
        elif exc.account_id is None:
            holds = any(r == exc.rule and p == person_id for r, p, _ in still)
        else:
            account_id = getattr(exc.account, "account_id", None)
            holds = (exc.rule, person_id, account_id) in still
        if not holds:
            exc.active = False
            exc.version = F("version") + 1
            exc.save(update_fields=["active", "version", "updated"])
            audit.record(
                "update",
                exc,
                user=user,
                actor=actor,
                changes={"active": [True, False]},
                message="The rule holds again; the exception is closed.",
            )


def history(account):
    """The account's KAM and sponsor history, oldest first."""
    return (
        Assignment.objects.filter(account=account)
        .select_related("person")
        .order_by("role", "start", "id")
    )


def held_accounts(person, role: str, start: dt.date, end: dt.date) -> list[dict]:
    """The accounts ``person`` held as ``role`` at any time in ``[start, end)``, each with
    the part of the window they held it (``start`` inclusive, ``end`` exclusive) and the
    number of whole or part calendar months that covers, for crediting by months held."""
    rows = (
        Assignment.objects.filter(person=person, role=role, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .select_related("account")
        .order_by("start", "id")
    )
    out = []
    for row in rows:
        s = max(row.start, start)
        e = min(row.end or end, end)
        out.append(
            {
                "account": row.account,
                "account_id": row.account.account_id,
                "start": s,
                "end": e,
                "days": (e - s).days,
                "assignment": row,
            }
        )
    return out


def holder_on(account, role: str, day: dt.date):
    """Who held ``role`` of ``account`` on ``day`` (None if nobody)."""
    row = (
        Assignment.objects.filter(account=account, role=role, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gt=day))
        .select_related("person")
        .first()
    )
    return row.person if row else None
