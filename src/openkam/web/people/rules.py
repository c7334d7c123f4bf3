"""The organisation rules of the key account programme, checked on every path.

The rules come from ``ProgrammeRules.current()`` (the champion sets them; defaults are the
seeds'): a KAM carries ``kam_min``–``kam_max`` key accounts and works as a KAM full time
(Cheverton; McDonald & Rogers: 2–5 accounts at most); a sponsor is an executive of at least
``sponsor_min_level`` and sponsors ``sponsor_min``–``sponsor_max`` key accounts; nobody is
KAM and sponsor of the same account; only someone with a key account management role or
function can be KAM (a viewer or a finance analyst cannot); an inactive person holds nothing.

Two entry points:

- ``check_change(changes)``: the violations a proposed set of changes would *cause*: new
  ones, or ones it makes worse (a heavier over-load, a lighter under-load). A change that
  only lightens an existing over-load is not refused. Loads are counted after the change,
  so taking an account away from a KAM at the minimum is reported; giving a new KAM their
  first account is not (it is a step towards the minimum, and shows as "under" until the
  second arrives).
- ``current_violations()``: every rule broken now (the home page), each with the reason of
  the active ``RuleException`` that covers it, if any.

Capacity counts key accounts only; the role rules (KAM role, full time, executive level,
KAM ≠ sponsor, active) hold on every account that has a KAM or a sponsor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from openkam.web.core.roles import Role
from openkam.web.people.models import (
    EXECUTIVE_RANK,
    ExecutiveLevel,
    Function,
    Person,
    ProgrammeRules,
    RuleException,
)

#: Rule key -> (short title, meaning). The keys are stored in ``RuleException.rule``.
RULES: dict[str, tuple[str, str]] = {
    "kam_max_accounts": (
        "KAM load: at most",
        "A key account manager carries at most this many key accounts, so each gets the "
        "attention a partnership needs (the seeds: 2–5 accounts at most).",
    ),
    "kam_min_accounts": (
        "KAM load: at least",
        "A key account manager carries at least this many key accounts; fewer leaves a "
        "full-time KAM under-used. Taking an account away below it is refused; a new KAM "
        "building up to it shows as under.",
    ),
    "kam_full_time": (
        "KAM works full time as a KAM",
        "A key account manager does the job full time, not beside a sales territory.",
    ),
    "kam_role": (
        "KAM has a KAM role or function",
        "Only someone whose role is key account manager, or whose function is key account "
        "management, can be the KAM of an account (not a viewer or a finance analyst).",
    ),
    "sponsor_level": (
        "Sponsor is an executive",
        "An executive sponsor has at least the executive level set here (the seeds: C-level).",
    ),
    "sponsor_max_accounts": (
        "Sponsor load: at most",
        "An executive sponsor sponsors at most this many key accounts, so that they can "
        "visit each regularly.",
    ),
    "sponsor_min_accounts": (
        "Sponsor load: at least",
        "An executive sponsor sponsors at least this many key accounts. Taking an account "
        "away below it is refused; a new sponsor shows as under until the first arrives.",
    ),
    "kam_is_sponsor": (
        "KAM and sponsor are two people",
        "Nobody is key account manager and executive sponsor of the same account: the "
        "sponsor opens doors and arbitrates for the account at board level.",
    ),
    "inactive": (
        "Only active people hold accounts",
        "Someone who has left (inactive) cannot be KAM or sponsor of an account.",
    ),
}

#: Rules about a person's load (count of key accounts); the others are about one account.
CAPACITY_RULES = {
    "kam_max_accounts",
    "kam_min_accounts",
    "sponsor_max_accounts",
    "sponsor_min_accounts",
}


#: Minimum-load rules and the role they count.
MIN_RULES = {"kam_min_accounts": "kam", "sponsor_min_accounts": "sponsor"}


@dataclass(frozen=True)
class Violation:
    """One broken rule: who, which rule, the count against the limit, and why it stands."""

    rule: str
    person_id: str
    person_name: str
    account_id: str | None
    count: int | None
    limit: Any
    message: str
    #: The reason of the active ``RuleException`` covering it ("" when none does).
    exception_reason: str = ""

    @property
    def title(self) -> str:
        return RULES[self.rule][0]

    @property
    def key(self) -> tuple:
        return (self.rule, self.person_id, self.account_id)

    @property
    def excepted(self) -> bool:
        return bool(self.exception_reason)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Holding:
    """Who holds one account, and whether it is key."""

    account_id: str
    key: bool
    kam: int | None
    sponsor: int | None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def kam_eligible(person: Person) -> bool:
    """Whether ``person`` has a key account management role or function."""
    return person.role == Role.KAM or person.function == Function.KEY_ACCOUNT_MANAGEMENT


def sponsor_eligible(person: Person, rules: ProgrammeRules) -> bool:
    """Whether ``person`` is an executive of at least the programme's sponsor level."""
    return EXECUTIVE_RANK.get(person.executive_level or "", 0) >= EXECUTIVE_RANK.get(
        rules.sponsor_min_level, 3
    )


def _level_label(value: str) -> str:
    return dict(ExecutiveLevel.choices).get(value, value)


def evaluate(
    holdings: dict[int, Holding],
    people: dict[int, Person],
    rules: ProgrammeRules,
    *,
    only: set[int] | None = None,
    idle_kams: bool = True,
    verb: str = "carries",
) -> list[Violation]:
    """The violations in a state of ``holdings`` (account pk -> Holding).

    ``only`` limits the check to those people (a change touches only its own people).
    ``idle_kams``: people whose role is KAM count as KAMs with 0 key accounts when they
    hold none (a KAM left with nothing is under the minimum, not forgotten).
    """
    kam_of: dict[int, list[Holding]] = defaultdict(list)
    sponsor_of: dict[int, list[Holding]] = defaultdict(list)
    for h in holdings.values():
        if h.kam is not None:
            kam_of[h.kam].append(h)
        if h.sponsor is not None:
            sponsor_of[h.sponsor].append(h)
    out: list[Violation] = []
    considered = set(kam_of) | set(sponsor_of)
    if idle_kams:
        considered |= {
            pk for pk, p in people.items() if p.active and p.role in (Role.KAM, Role.SPONSOR)
        }
    if only is not None:
        considered &= only
    for pk in sorted(considered, key=lambda k: (people[k].name, k)):
        person = people[pk]
        v = _Builder(person, out)
        kam_accounts = sorted(kam_of.get(pk, []), key=lambda h: h.account_id)
        sponsored = sorted(sponsor_of.get(pk, []), key=lambda h: h.account_id)
        for h in kam_accounts:
            if not person.active:
                v.add(
                    "inactive",
                    h.account_id,
                    None,
                    None,
                    f"{person.name} is inactive and cannot be KAM of {h.account_id}.",
                )
            if not kam_eligible(person):
                what = person.get_role_display().lower()
                if person.function:
                    what += f", {person.get_function_display().lower()}"
                v.add(
                    "kam_role",
                    h.account_id,
                    None,
                    None,
                    f"{person.name} ({what}) has no key account management role or function "
                    f"and cannot be KAM of {h.account_id}.",
                )
            elif rules.kam_must_be_full_time and not person.full_time_kam:
                v.add(
                    "kam_full_time",
                    h.account_id,
                    None,
                    None,
                    f"{person.name} is not a full-time KAM; the rule asks the KAM of "
                    f"{h.account_id} to work as a KAM full time.",
                )
        for h in sponsored:
            if not person.active:
                v.add(
                    "inactive",
                    h.account_id,
                    None,
                    None,
                    f"{person.name} is inactive and cannot be sponsor of {h.account_id}.",
                )
            if not sponsor_eligible(person, rules):
                level = _level_label(person.executive_level or "")
                v.add(
                    "sponsor_level",
                    h.account_id,
                    None,
                    rules.sponsor_min_level,
                    f"{person.name} ({level.lower()}) cannot sponsor {h.account_id}: a sponsor "
                    f"is an executive of level {_level_label(rules.sponsor_min_level)} or above.",
                )
            if h.kam == pk:
                v.add(
                    "kam_is_sponsor",
                    h.account_id,
                    None,
                    None,
                    f"{person.name} cannot be both KAM and sponsor of {h.account_id}.",
                )
        n_kam = sum(1 for h in kam_accounts if h.key)
        is_kam = bool(kam_accounts) or (idle_kams and person.active and person.role == Role.KAM)
        span = f"{rules.kam_min_accounts}–{rules.kam_max_accounts}"
        if is_kam and n_kam > rules.kam_max_accounts:
            v.add(
                "kam_max_accounts",
                None,
                n_kam,
                rules.kam_max_accounts,
                f"{person.name} {verb} {_plural(n_kam, 'key account')} as KAM; the rule is "
                f"at most {rules.kam_max_accounts} (KAM {span}).",
            )
        # The minimum is about people who may be KAMs: someone who may not (no KAM role or
        # function, not full time, inactive) handing their accounts over is the fix.
        valid_kam = (
            person.active
            and kam_eligible(person)
            and (person.full_time_kam or not rules.kam_must_be_full_time)
        )
        if is_kam and valid_kam and n_kam < rules.kam_min_accounts:
            v.add(
                "kam_min_accounts",
                None,
                n_kam,
                rules.kam_min_accounts,
                f"{person.name} {verb} {_plural(n_kam, 'key account')} as KAM; the rule is "
                f"at least {rules.kam_min_accounts} (KAM {span}).",
            )
        n_sp = sum(1 for h in sponsored if h.key)
        is_sponsor = bool(sponsored) or (
            idle_kams and person.active and person.role == Role.SPONSOR
        )
        span = f"{rules.sponsor_min_accounts}–{rules.sponsor_max_accounts}"
        if is_sponsor and n_sp > rules.sponsor_max_accounts:
            v.add(
                "sponsor_max_accounts",
                None,
                n_sp,
                rules.sponsor_max_accounts,
                f"{person.name} {'sponsors' if verb == 'carries' else 'would sponsor'} "
                f"{_plural(n_sp, 'key account')}; the rule is at most "
                f"{rules.sponsor_max_accounts} (sponsor {span}).",
            )
        valid_sponsor = person.active and sponsor_eligible(person, rules)
        if is_sponsor and valid_sponsor and n_sp < rules.sponsor_min_accounts:
            v.add(
                "sponsor_min_accounts",
                None,
                n_sp,
                rules.sponsor_min_accounts,
                f"{person.name} {'sponsors' if verb == 'carries' else 'would sponsor'} "
                f"{_plural(n_sp, 'key account')}; the rule is at least "
                f"{rules.sponsor_min_accounts} (sponsor {span}).",
            )
    return out


class _Builder:
    def __init__(self, person: Person, out: list[Violation]):
        self.person = person
        self.out = out

    def add(self, rule, account_id, count, limit, message) -> None:
        self.out.append(
            Violation(
                rule=rule,
                person_id=self.person.person_id,
                person_name=self.person.name,
                account_id=account_id,
                count=count,
                limit=limit,
                message=message,
            )
        )


def load_holdings(person_pks: set[int] | None = None, account_pks: set[int] | None = None):
    """The current holdings: every account with a KAM or sponsor, or only those held by
    ``person_pks`` plus the accounts ``account_pks``."""
    from django.db.models import Q

    from openkam.web.accounts.models import Account

    qs = Account.objects.filter(Q(kam__isnull=False) | Q(sponsor__isnull=False))
    if person_pks is not None or account_pks is not None:
        cond = Q(pk__in=account_pks or [])
        if person_pks:
            cond |= Q(kam_id__in=person_pks) | Q(sponsor_id__in=person_pks)
        qs = Account.objects.filter(cond)
    return {
        pk: Holding(aid, status == "key", kam, sponsor)
        for pk, aid, status, kam, sponsor in qs.values_list(
            "pk", "account_id", "key_status", "kam_id", "sponsor_id"
        )
    }


def _worse(before: Violation, after: Violation) -> bool:
    if after.count is None or before.count is None:
        return False
    if after.rule.endswith("_max_accounts"):
        return after.count > before.count
    return after.count < before.count


def covering_exceptions(violations: list[Violation]) -> list[Violation]:
    """``violations`` with the reason of the active exception covering each filled in.

    A capacity exception covers its person and rule whatever the account it was recorded
    on; an account rule's exception covers that account (or every account if it names none).
    """
    if not violations:
        return violations
    person_ids = {v.person_id for v in violations}
    found: dict[tuple, str] = {}
    for exc in (
        RuleException.objects.filter(active=True, person__person_id__in=person_ids)
        .select_related("person", "account")
        .order_by("created", "id")
    ):
        account = exc.account.account_id if exc.account_id else None
        found[(exc.rule, exc.person.person_id, account)] = exc.reason
    out = []
    for v in violations:
        reason = found.get((v.rule, v.person_id, None), "")
        if v.rule in CAPACITY_RULES:
            reason = reason or next(
                (r for (rule, pid, _), r in found.items() if rule == v.rule and pid == v.person_id),
                "",
            )
        else:
            reason = found.get((v.rule, v.person_id, v.account_id), "") or reason
        out.append(_with_reason(v, reason))
    return out


def _with_reason(v: Violation, reason: str) -> Violation:
    from dataclasses import replace

    return replace(v, exception_reason=reason)


def check_change(
    changes: list[dict],
    *,
    rules: ProgrammeRules | None = None,
) -> list[Violation]:
    """The violations that ``changes`` would cause (new ones, or existing ones made worse).

    Each change is ``{"account": Account, "kam": Person|None, "sponsor": Person|None,
    "key_status": str}``, any key but ``account`` optional (absent: unchanged). Changes are
    applied in order, so the last change of an account wins; the rules hold on the end state,
    not on each intermediate step. Each violation carries the reason of an exception that
    already covers it (the caller decides whether that is enough).
    """
    rules = rules or ProgrammeRules.current()
    touched_accounts = {c["account"].pk for c in changes}
    before_all = load_holdings(account_pks=touched_accounts)
    people_pks: set[int] = set()
    for h in before_all.values():
        people_pks |= {h.kam, h.sponsor}
    for c in changes:
        for role in ("kam", "sponsor"):
            if c.get(role) is not None:
                people_pks.add(c[role].pk)
    people_pks.discard(None)
    before = load_holdings(person_pks=people_pks, account_pks=touched_accounts)
    after = {pk: Holding(h.account_id, h.key, h.kam, h.sponsor) for pk, h in before.items()}
    for c in changes:
        h = after[c["account"].pk]
        if "kam" in c:
            h.kam = c["kam"].pk if c["kam"] is not None else None
        if "sponsor" in c:
            h.sponsor = c["sponsor"].pk if c["sponsor"] is not None else None
        if "key_status" in c:
            h.key = c["key_status"] == "key"
    if all(
        (before[pk].kam, before[pk].sponsor, before[pk].key)
        == (after[pk].kam, after[pk].sponsor, after[pk].key)
        for pk in touched_accounts
    ):
        return []
    people = {p.pk: p for p in Person.objects.filter(pk__in=people_pks)}
    old = {v.key: v for v in evaluate(before, people, rules, only=people_pks)}
    new = evaluate(after, people, rules, only=people_pks, verb="would carry")

    def load(state, person_id: str, role: str) -> int:
        pk = next(k for k, p in people.items() if p.person_id == person_id)
        return sum(1 for h in state.values() if h.key and getattr(h, role) == pk)

    caused = []
    for v in new:
        if v.rule in MIN_RULES:
            # Under the minimum counts only when the change takes an account away: a new
            # KAM's first account is a step towards the minimum, not a breach.
            role = MIN_RULES[v.rule]
            if v.count < load(before, v.person_id, role):
                caused.append(v)
        elif v.key not in old or _worse(old[v.key], v):
            caused.append(v)
    return covering_exceptions(caused)


def current_violations(rules: ProgrammeRules | None = None) -> list[Violation]:
    """Every rule broken now, each with the reason of the exception covering it, if any."""
    rules = rules or ProgrammeRules.current()
    holdings = load_holdings()
    held = {h.kam for h in holdings.values()} | {h.sponsor for h in holdings.values()}
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=held - {None})
        | Person.objects.filter(active=True, role__in=[Role.KAM, Role.SPONSOR])
    }
    return covering_exceptions(evaluate(holdings, people, rules))


def load_of(person: Person, rules: ProgrammeRules | None = None) -> dict:
    """A person's key-account load as KAM and as sponsor against the rules, for pages."""
    from openkam.web.accounts.models import Account

    rules = rules or ProgrammeRules.current()
    key = Account.objects.filter(key_status="key")
    n_kam = key.filter(kam=person).count()
    n_sp = key.filter(sponsor=person).count()
    kam = load_status(n_kam, rules.kam_min_accounts, rules.kam_max_accounts)
    sponsor = load_status(n_sp, rules.sponsor_min_accounts, rules.sponsor_max_accounts)
    kam["text"] = load_text("KAM", kam)
    sponsor["text"] = load_text("Sponsor", sponsor)
    # Someone who holds nothing in a role and is not a KAM or sponsor by role has no load.
    if not n_kam and not (person.active and person.role == Role.KAM):
        kam["status"] = ""
    if not n_sp and not (person.active and person.role == Role.SPONSOR):
        sponsor["status"] = ""
    return {"kam": kam, "sponsor": sponsor}


def load_text(kind: str, load: dict) -> str:
    """ "KAM 6 of 2–5, over": a load against its rule, as people read it."""
    status = {"over": ", over", "under": ", under"}.get(load["status"], "")
    return f"{kind} {load['count']} of {load['min']}–{load['max']}{status}"


def load_status(count: int, low: int, high: int) -> dict:
    """``{"count", "min", "max", "status"}``: status is "over", "under" or "ok"."""
    status = "over" if count > high else "under" if count < low else "ok"
    return {"count": count, "min": low, "max": high, "status": status}


def rules_summary(rules: ProgrammeRules | None = None) -> list[dict]:
    """Each rule with its title, meaning and current setting, for pages, API and CLI."""
    rules = rules or ProgrammeRules.current()
    level = _level_label(rules.sponsor_min_level)
    values = {
        "kam_max_accounts": rules.kam_max_accounts,
        "kam_min_accounts": rules.kam_min_accounts,
        "kam_full_time": "required" if rules.kam_must_be_full_time else "not required",
        "kam_role": "always",
        "sponsor_level": f"{level} or above",
        "sponsor_max_accounts": rules.sponsor_max_accounts,
        "sponsor_min_accounts": rules.sponsor_min_accounts,
        "kam_is_sponsor": "always",
        "inactive": "always",
    }
    return [
        {"key": key, "title": title, "meaning": meaning, "value": values[key]}
        for key, (title, meaning) in RULES.items()
    ]


def eligible_kams(rules: ProgrammeRules | None = None):
    """The active people who may be KAM under the rules (a KAM role or function, and full
    time when the rules ask it): the candidates a selection review may assign."""
    from django.db.models import Q

    rules = rules or ProgrammeRules.current()
    people = Person.objects.filter(active=True).filter(
        Q(role=Role.KAM) | Q(function=Function.KEY_ACCOUNT_MANAGEMENT)
    )
    if rules.kam_must_be_full_time:
        people = people.filter(full_time_kam=True)
    return people


def eligible_sponsors(rules: ProgrammeRules | None = None):
    """The active people who may sponsor a key account under the rules (executives of at
    least the sponsor level)."""
    rules = rules or ProgrammeRules.current()
    floor = EXECUTIVE_RANK.get(rules.sponsor_min_level, 3)
    levels = [level for level, rank in EXECUTIVE_RANK.items() if rank >= floor and level]
    return Person.objects.filter(active=True, executive_level__in=levels)
