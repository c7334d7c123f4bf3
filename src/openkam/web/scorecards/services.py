"""Scorecards of key account managers and sponsors: figures credited by the months held,
lifetime value built, plan attainment, coverage, sponsor visits, the composite score; who
may see whose scorecard; recording a period's scores; the programme dashboard.

The crediting arithmetic is in :mod:`openkam.engine.scorecards`; this module reads its
inputs from the database (the current profitability run's month figures, the assignment
history, CLV snapshots, plans, relationship maps, sponsor visits) and writes the audit
trail when scores are recorded or weights change.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, IntegerField, Q
from django.db.models.functions import Cast, Round

from openkam.engine import scorecards as engine
from openkam.web.accounts.models import Account
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.roles import person_of, runs_programme
from openkam.web.people.models import Assignment, Person, ProgrammeRules, SponsorVisit
from openkam.web.scorecards.models import (
    ClvSnapshot,
    ClvSnapshotValue,
    Scorecard,
    ScorecardWeights,
)

ROLES = ("kam", "sponsor")
REVENUE_WARNING = (
    "A key account manager should not be judged on top-line results: this weighting puts "
    "{share} % of the score on revenue (more than {limit} %). Judge KAMs on margin, net "
    "contribution and the lifetime value they build."
)
#: Buying roles that make a contact a decision maker, beside influence ≥ 4 of 5.
DECISION_ROLES = ("economic_buyer", "technical_buyer")
DECISION_INFLUENCE = 4
#: Strength from which a relationship covers a contact (3 = a working relationship).
COVERED_STRENGTH = 3


#: Results read once per computation of a period's scorecards (the same run, assignments and
#: month rows are asked for by each role, the prior period and the objectives).
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("scorecards_memo", default=None)


def _memoized(key, read):
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


class NoFigures(ValueError):
    """There are no profitability figures to credit (nothing computed yet)."""


def currency() -> str:
    return getattr(settings, "OPENKAM_REPORTING_CURRENCY", None) or "EUR"


def _cents(value) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


# --- who sees what -------------------------------------------------------------------------


def sees_all(user) -> bool:
    """The champion, admins and executives (a person with an executive level) see every
    scorecard and the programme dashboard."""
    if runs_programme(user):
        return True
    person = person_of(user)
    return person is not None and bool(person.executive_level)


def visible_person_ids(user, period: engine.ScorePeriod | None = None) -> set[int] | None:
    """Ids of the people whose scorecards ``user`` may see; None means everyone.

    A key account manager sees their own; a sponsor their own and those of the KAMs of the
    accounts they sponsor (now, or at any time in ``period``); other people nothing.
    """
    if sees_all(user):
        return None
    person = person_of(user)
    if person is None:
        return set()
    ids = {person.pk}
    sponsored = set(Account.objects.filter(sponsor=person).values_list("pk", flat=True))
    held = Assignment.objects.filter(person=person, role=Assignment.Role.SPONSOR)
    if period is not None:
        held = held.filter(start__lt=period.end).filter(
            Q(end__isnull=True) | Q(end__gt=period.start)
        )
    sponsored |= set(held.values_list("account_id", flat=True))
    if sponsored:
        ids |= set(
            Account.objects.filter(pk__in=sponsored, kam__isnull=False).values_list(
                "kam_id", flat=True
            )
        )
        kams = Assignment.objects.filter(account_id__in=sponsored, role=Assignment.Role.KAM)
        if period is not None:
            kams = kams.filter(start__lt=period.end).filter(
                Q(end__isnull=True) | Q(end__gt=period.start)
            )
        ids |= set(kams.values_list("person_id", flat=True))
    return ids


def may_see(user, person: Person, period: engine.ScorePeriod | None = None) -> bool:
    visible = visible_person_ids(user, period)
    return visible is None or person.pk in visible


# --- periods and figures -------------------------------------------------------------------


def _profitability_run():
    from openkam.web.core.models import Computation
    from openkam.web.core.runs import current

    run = _memoized(("run",), lambda: current(Computation.Kind.PROFITABILITY))
    if run is None:
        raise NoFigures("no profitability figures yet: recompute profitability first")
    return run


def last_month() -> tuple[int, int] | None:
    """(year, month) of the last month with figures in the current profitability run."""
    from openkam.web.profitability.models import AccountPeriodFigures

    label = (
        AccountPeriodFigures.objects.filter(computation=_profitability_run(), grain="month")
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return (int(label[:4]), int(label[5:7])) if label else None


def resolve_period(label: str | None) -> engine.ScorePeriod:
    """The period a label names (default: the last complete year). Raises ValueError on
    a label that names no period and NoFigures when nothing was computed."""
    last = last_month()
    if not label:
        if last is None:
            raise NoFigures("no monthly figures yet: recompute profitability first")
        # The last complete year, what annual reviews judge (the current year to date is
        # one choice away); a ledger shorter than a year gives its year to date.
        complete = [p for p in available_periods() if len(p) == 4]
        label = complete[0] if complete else f"{last[0]}-YTD"
    return engine.parse_period(label, last_month=last)


def available_periods() -> list[str]:
    """Years and quarters with figures, newest first, and the current year to date."""
    from openkam.web.profitability.models import AccountPeriodFigures

    try:
        run = _profitability_run()
    except NoFigures:
        return []
    months = sorted(
        set(
            AccountPeriodFigures.objects.filter(computation=run, grain="month").values_list(
                "period", flat=True
            )
        )
    )
    years = sorted({m[:4] for m in months}, reverse=True)
    out = []
    for y in years:
        have = [m for m in months if m.startswith(y)]
        if len(have) < 12 and y == years[0]:
            out.append(f"{y}-YTD")
        else:
            out.append(y)
        quarters = sorted({(int(m[5:7]) - 1) // 3 + 1 for m in have}, reverse=True)
        out += [f"{y}-Q{q}" for q in quarters]
    return out


def _figure_rows(accounts: set[str], grain: str, periods: list[str]) -> dict:
    """``{(account, period): {money: cents}}`` from the current run; an account's rolled-up
    row (with its subsidiaries, as its page and plan show it) wins over its own row."""
    from openkam.web.profitability.models import AccountPeriodFigures

    memo = _memo.get()
    loaded = memo.get(("months",)) if memo is not None and grain == "month" else None
    if loaded is not None and accounts <= loaded[0] and set(periods) <= loaded[1]:
        wanted = set(periods)
        return {k: v for k, v in loaded[2].items() if k[0] in accounts and k[1] in wanted}

    # Cents computed in the database (ROUND(x × 100) as an integer) rather than each value
    # made a Decimal in Python: a tenth of the time on a year of 400 accounts.
    def cents(name):
        return Cast(Round(F(name) * 100), IntegerField())

    rows = (
        AccountPeriodFigures.objects.filter(
            computation=_profitability_run(),
            grain=grain,
            period__in=periods,
            account_key__in=accounts,
        )
        .order_by("rolled_up")
        .annotate(sales_c=cents("net_sales"), cogs_c=cents("cogs"), cts_c=cents("cost_to_serve"))
        .values_list("account_key", "period", "sales_c", "cogs_c", "cts_c")
    )
    return {
        (key, period): {"net_sales": sales, "cogs": cogs, "cost_to_serve": cts}
        for key, period, sales, cogs, cts in rows
    }


def _period_label(period: engine.ScorePeriod) -> tuple[str, str] | None:
    """The stored grain and label holding the whole period, if there is one."""
    if period.kind == "year":
        return "year", period.label
    if period.kind == "quarter":
        return "quarter", period.label
    return None


@dataclass(frozen=True)
class _Named:
    """An account or person as scorecards read them: its key and name."""

    account_id: str = ""
    person_id: str = ""
    name: str = ""


@dataclass(frozen=True)
class Held:
    """One assignment as scorecards read it: a plain record rather than a model instance
    (a period of a large programme reads thousands; making models of them was a third of
    the time). Attributes mirror ``people.Assignment``'s."""

    account_id: int
    person_id: int
    start: dt.date
    end: dt.date | None
    visit_every_days: int | None
    account: _Named
    person: _Named


def _assignments(role: str, period: engine.ScorePeriod) -> list[Held]:
    def read():
        rows = (
            Assignment.objects.filter(role=role, start__lt=period.end)
            .filter(Q(end__isnull=True) | Q(end__gt=period.start))
            .order_by("account_id", "start")
            .values_list(
                "account_id",
                "person_id",
                "start",
                "end",
                "visit_every_days",
                "account__account_id",
                "account__name",
                "person__person_id",
                "person__name",
            )  # fmt: skip
        )
        return [
            Held(
                acc,
                per,
                start,
                end,
                every,
                _Named(account_id=key, name=an),
                _Named(person_id=pkey, name=pn),
            )  # fmt: skip
            for acc, per, start, end, every, key, an, pkey, pn in rows
        ]

    return _memoized(("assignments", role, period.start, period.end), read)


def _preload_months(period: engine.ScorePeriod) -> None:
    """Read in one query the month rows every part of ``compute`` asks for: the period,
    the prior period and the year up to the period's end, of every account held in them."""
    prior = period.prior()
    first = min(prior.start, dt.date(period.start.year, 1, 1))
    span = engine.ScorePeriod("span", first, period.end, "span")
    accounts = set(
        Assignment.objects.filter(role__in=ROLES, start__lt=span.end)
        .filter(Q(end__isnull=True) | Q(end__gt=span.start))
        .values_list("account__account_id", flat=True)
    )
    months = span.months
    cells = _figure_rows(accounts, "month", months)
    memo = _memo.get()
    if memo is not None:
        memo[("months",)] = (accounts, set(months), cells)


def credit(role: str, period: engine.ScorePeriod, trend: bool = True) -> dict:
    """The period's figures credited to the holders of ``role``.

    Returns ``{"rows": credited Arrow table, "assignments": [...], "months": {(account,
    month): cents}}``.
    """
    held = _assignments(role, period)
    accounts = {a.account.account_id for a in held}
    months = period.months
    cells = _figure_rows(accounts, "month", months)
    cols = defaultdict(list)
    for (account, month), money in sorted(cells.items()):
        cols["account_id"].append(account)
        cols["month"].append(month)
        for c in engine.MONEY:
            cols[c].append(money[c])
    grain = _period_label(period)
    totals = None
    if grain:
        totals = {k[0]: v for k, v in _figure_rows(accounts, grain[0], [grain[1]]).items()}
    assignments = {
        "account_id": [a.account.account_id for a in held],
        "person_id": [a.person.person_id for a in held],
        "start": [a.start for a in held],
        "end": [a.end for a in held],
    }
    for c in ("account_id", "month", *engine.MONEY):
        cols.setdefault(c, [])
    rows = engine.credit_months(cols, assignments, totals)
    months_of = engine.person_months(cols, assignments) if trend else {}
    return {"rows": rows, "assignments": held, "cells": cells, "trend": months_of}


# --- lifetime value snapshots --------------------------------------------------------------


def snapshot_values(snapshot: ClvSnapshot | None) -> dict[str, int | None]:
    if snapshot is None:
        return {}
    return {
        k: None if v is None else _cents(v)
        for k, v in snapshot.values.values_list("account_key", "clv_contribution")
    }


def snapshots_for(period: engine.ScorePeriod) -> tuple[ClvSnapshot | None, ClvSnapshot | None]:
    """The snapshots bounding ``period``: the latest taken on or before the day before it
    starts, and the latest on or before its last day (and after the first)."""
    start = ClvSnapshot.objects.filter(as_of__lt=period.start).first()
    end = ClvSnapshot.objects.filter(as_of__lte=period.last_day)
    if start is not None:
        end = end.filter(as_of__gt=start.as_of)
    return start, end.first()


@transaction.atomic
def snapshot_run(run, values: list[dict] | None = None) -> ClvSnapshot:
    """Keep a CLV run's values as a dated snapshot (once per run). ``values`` are the
    run's rows when it is being stored; otherwise they are read from the database."""
    from openkam.web.lifetime_value.models import AccountValue

    found = ClvSnapshot.objects.filter(computation=run, source="run").first()
    if found is not None:
        return found
    as_of = (run.params or {}).get("calibration_end") or (run.summary or {}).get("calibration_end")
    as_of = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    snap = ClvSnapshot.objects.create(
        as_of=as_of, computation=run, source="run", params=run.params or {}
    )
    if values is None:
        pairs = AccountValue.objects.filter(computation=run).values_list(
            "account_key", "clv_contribution"
        )
    else:
        pairs = [(v["account_key"], v["clv_contribution"]) for v in values]
    ClvSnapshotValue.objects.bulk_create(
        [
            ClvSnapshotValue(
                snapshot=snap,
                account_key=k,
                clv_contribution=None if v is None else Decimal(str(round(v, 2))),
            )
            for k, v in pairs
        ],
        batch_size=5000,
    )
    audit.record("event", snap, actor="task", message=f"kept {snap}")
    return snap


def snapshot_current_run() -> ClvSnapshot | None:
    """Keep the current CLV run as a snapshot if it is not kept yet."""
    from openkam.web.core.models import Computation
    from openkam.web.core.runs import current

    run = current(Computation.Kind.CLV)
    return snapshot_run(run) if run is not None else None


def take_snapshot_as_of(as_of: dt.date, user=None, actor: str = "") -> ClvSnapshot:
    """Compute every account's CLV on the ledger up to ``as_of`` (the CLV settings in
    force) and keep it as a snapshot; for building a history of values after the fact."""
    from openkam.web.lifetime_value.services import compute, settings_params
    from openkam.web.profitability.models import AccountPeriodFigures

    first = (
        AccountPeriodFigures.objects.filter(computation=_profitability_run(), grain="month")
        .order_by("period")
        .values_list("period", flat=True)
        .first()
    )
    if first is None or as_of.strftime("%Y-%m") < first:
        raise ValueError(
            f"no history on or before {as_of.isoformat()}: the figures start in {first or 'no month'}"
        )
    params = {**settings_params(), "as_of": as_of.isoformat(), "holdout": False}
    values, _warnings, _summary = compute(params)
    with transaction.atomic():
        snap = ClvSnapshot.objects.create(as_of=as_of, source="as_of", params=params)
        ClvSnapshotValue.objects.bulk_create(
            [
                ClvSnapshotValue(
                    snapshot=snap,
                    account_key=v["account_key"],
                    clv_contribution=None
                    if v["clv_contribution"] is None
                    else Decimal(str(round(v["clv_contribution"], 2))),
                )
                for v in values
            ],
            batch_size=5000,
        )
        audit.record("event", snap, user=user, actor=actor, message=f"computed {snap}")
    return snap


# --- plan attainment, coverage, sponsor visits ---------------------------------------------


def _done_on(action) -> dt.date:
    """When an action was marked done: the audit event that set its status to done, else
    its last change."""
    from django.contrib.contenttypes.models import ContentType

    from openkam.web.core.models import AuditEvent

    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(action), object_pk=str(action.pk)
    ).order_by("timestamp")
    for e in events:
        change = (e.changes or {}).get("status") or (e.changes or {}).get("Status")
        if isinstance(change, list) and change and str(change[-1]).lower() == "done":
            return e.timestamp.date()
        if e.action == "create" and str((e.changes or {}).get("status", "")).lower() == "done":
            return e.timestamp.date()
    return action.updated.date()


def holder_on(assignments: list[Held], account_pk: int, day: dt.date) -> Held | None:
    """The assignment of ``assignments`` holding the account on ``day``, or None."""
    by_account = _memoized(("by account", id(assignments)), lambda: _index(assignments))
    for a in by_account.get(account_pk, ()):
        if a.start <= day and (a.end is None or day < a.end):
            return a
    return None


def _index(assignments: list[Held]) -> dict[int, list[Held]]:
    out: dict[int, list[Held]] = defaultdict(list)
    for a in assignments:
        out[a.account_id].append(a)
    return out


def plan_attainment(
    period: engine.ScorePeriod,
    held: dict[str, dict[str | None, int]],
    assignments: list[Held],
    year_figures: dict[str, dict[str, int]],
    year_months: list[str],
    clv_end: dict[str, int | None],
    today: dt.date,
) -> dict[str, dict]:
    """Per person: objectives met and actions done on time, from the plans of the accounts
    they held.

    - An objective of the period's year counts for each holder in proportion to the months
      they held the account in the period; it is met when the account's figure reaches the
      target (prorated by the months of the year the period has covered, for a quarter or a
      year to date). Net sales and net contribution come from the credited figures of the
      whole year up to the period's end; CLV from the end snapshot.
    - An action due in the period (and by today), not dropped, counts for whoever held the
      account on its due date; it is on time when it was marked done on or before its due
      date.
    Attainment = (weighted objectives met + actions on time) / (weighted objectives +
    actions) × 100.
    """
    from openkam.web.planning.models import Action, Objective

    months_in_period = len(period.months)
    out: dict = defaultdict(
        lambda: {"objectives": 0.0, "objectives_met": 0.0, "actions": 0, "actions_on_time": 0}
    )
    objectives = Objective.objects.filter(
        plan__account__account_id__in=list(held), year=period.start.year
    ).select_related("plan__account")
    elapsed = len(year_months) or months_in_period
    for o in objectives:
        account = o.plan.account.account_id
        if o.metric == "clv":
            actual = clv_end.get(account)
            target = _cents(o.target)
        else:
            actual = year_figures.get(account, {}).get(o.metric)
            target = _cents(o.target) * elapsed / 12
        met = actual is not None and actual >= target
        for person, months in held[account].items():
            if person is None or not months:
                continue
            w = months / months_in_period
            out[person]["objectives"] += w
            out[person]["objectives_met"] += w if met else 0.0
    actions = (
        Action.objects.filter(
            plan__account__account_id__in=list(held),
            due__gte=period.start,
            due__lt=period.end,
            due__lte=today,
        )
        .exclude(status=Action.Status.DROPPED)
        .select_related("plan__account")
    )
    for action in actions:
        holder = holder_on(assignments, action.plan.account_id, action.due)
        if holder is None:
            continue
        person = holder.person.person_id
        out[person]["actions"] += 1
        if action.status == Action.Status.DONE and _done_on(action) <= action.due:
            out[person]["actions_on_time"] += 1
    result = {}
    for person, c in out.items():
        whole = c["objectives"] + c["actions"]
        result[person] = {
            **c,
            "pct": (c["objectives_met"] + c["actions_on_time"]) / whole * 100 if whole else None,
        }
    return result


def coverage(accounts_by_person: dict[str, set[str]]) -> dict[str, dict]:
    """Per person: decision makers (economic or technical buyers, or influence ≥ 4 of 5,
    still at the customer) at the accounts they held, and how many of them someone of ours
    knows with a working relationship or better (strength ≥ 3). As recorded today: the maps
    keep no history."""
    from openkam.web.relationships.models import ContactProfile, Relationship

    all_accounts = set().union(*accounts_by_person.values()) if accounts_by_person else set()
    deciders = (
        ContactProfile.objects.filter(
            contact__account__account_id__in=all_accounts, left_company=False
        )
        .filter(Q(buying_role__in=DECISION_ROLES) | Q(influence__gte=DECISION_INFLUENCE))
        .values_list("contact_id", "contact__account__account_id")
    )
    by_account: dict[str, set[int]] = defaultdict(set)
    for contact, account in deciders:
        by_account[account].add(contact)
    ids = set().union(*by_account.values()) if by_account else set()
    covered = set(
        Relationship.objects.filter(contact_id__in=ids, strength__gte=COVERED_STRENGTH).values_list(
            "contact_id", flat=True
        )
    )
    out = {}
    for person, accounts in accounts_by_person.items():
        total = sum(len(by_account[a]) for a in accounts)
        known = sum(len(by_account[a] & covered) for a in accounts)
        out[person] = {
            "decision_makers": total,
            "covered": known,
            "pct": known / total * 100 if total else None,
            "accounts": {
                a: {"decision_makers": len(by_account[a]), "covered": len(by_account[a] & covered)}
                for a in accounts
            },
        }
    return out


def sponsor_visits(
    period: engine.ScorePeriod,
    role: str,
    assignments: list[Held],
    sponsors: list[Held],
    today: dt.date,
) -> dict[str, dict]:
    """Per person: sponsor visits owed and kept on the accounts they held in the period.

    Each holding (up to today) owes one visit per started cadence interval (the sponsor
    assignment's cadence, else the programme's); visits logged in it count up to that
    number. For a KAM the visits of any sponsor of the account count (bringing the sponsor
    in is part of the job), on accounts that had a sponsor when the holding began; for a
    sponsor their own visits."""
    default_every = ProgrammeRules.current().visit_every_days
    horizon = min(period.end, today + dt.timedelta(days=1))
    visits = list(
        SponsorVisit.objects.filter(date__gte=period.start, date__lt=horizon).values_list(
            "account_id", "sponsor_id", "date"
        )
    )
    out: dict = defaultdict(lambda: {"expected": 0, "kept": 0})
    for a in assignments:
        span = engine.overlap_days(a.start, a.end, period.start, horizon)
        if span is None:
            continue
        cadence = a if role == "sponsor" else holder_on(sponsors, a.account_id, span[0])
        if cadence is None:
            continue  # no sponsor held the account: nobody owed it a visit
        every = cadence.visit_every_days or default_every
        owed = engine.visits_expected((span[1] - span[0]).days, every)
        kept = sum(
            1
            for acc, sponsor, day in visits
            if acc == a.account_id
            and span[0] <= day < span[1]
            and (role != "sponsor" or sponsor == a.person_id)
        )
        cell = out[a.person.person_id]
        cell["expected"] += owed
        cell["kept"] += min(kept, owed)
    return {
        p: {**c, "pct": c["kept"] / c["expected"] * 100 if c["expected"] else None}
        for p, c in out.items()
    }


def commitments_kept(period: engine.ScorePeriod, assignments: list[Held]) -> dict[str, dict]:
    """Per person: operations commitments to the accounts they held, kept or broken.

    Each commitment is measured by the operations app per period of its own review grain
    (month, quarter or year) from the order ledger (OTIF, fill rate, lead time against its
    target). A measured period that lies within the scorecard's period counts for whoever
    held the account on its first day; "no data" and "not measured" periods do not count.
    Kept = kept periods / measured periods × 100. ``broken`` lists the broken periods
    (commitment, account, period, measure, value, target), latest first, so the scorecard
    shows which promises to the person's accounts were not kept.
    """
    try:
        import openkam.web.operations.services  # noqa: F401
    except ImportError:  # pragma: no cover - operations not installed
        return {}
    accounts = {a.account.account_id: a.account_id for a in assignments}
    if not accounts:
        return {}
    # Measured once per computation for every account held in either role (the operations
    # app reads the order ledger for it).
    every = _memoized(
        ("commitment accounts", period.start, period.end),
        lambda: sorted(
            set(
                Assignment.objects.filter(role__in=ROLES, start__lt=period.end)
                .filter(Q(end__isnull=True) | Q(end__gt=period.start))
                .values_list("account__account_id", flat=True)
            )
        ),
    )
    statuses = _memoized(("commitments", tuple(every)), lambda: _commitment_statuses(every))
    out: dict = defaultdict(lambda: {"measured": 0, "kept": 0, "broken": []})
    for row in statuses:
        if row["account_id"] not in accounts or row["status"] not in ("kept", "broken"):
            continue
        first, end = _label_bounds(row["period"])
        if first is None or first < period.start or end > period.end:
            continue
        holder = holder_on(assignments, accounts[row["account_id"]], first)
        if holder is None:
            continue
        cell = out[holder.person.person_id]
        cell["measured"] += 1
        cell["kept"] += row["status"] == "kept"
        if row["status"] == "broken":
            cell["broken"].append(
                {
                    k: row.get(k)
                    for k in ("commitment_id", "account_id", "period", "measure", "value", "target")
                }
            )
    for cell in out.values():
        cell["broken"].sort(key=lambda r: (r["period"], r["commitment_id"]), reverse=True)
    return {
        p: {**c, "pct": c["kept"] / c["measured"] * 100 if c["measured"] else None}
        for p, c in out.items()
    }


def _commitment_statuses(accounts: list[str]) -> list[dict]:
    """Every measured period of the accounts' commitments, kept in the cache until the
    order ledger or a commitment changes (the measurement reads the whole order ledger)."""
    import hashlib

    from django.core.cache import cache
    from django.db.models import Count, Max

    from openkam.web.operations.models import Commitment
    from openkam.web.operations.services import commitment_status, ledger

    led = ledger()
    stamp = Commitment.objects.aggregate(n=Count("pk"), latest=Max("updated"))
    key = (
        "scorecards-commitments:"
        + hashlib.sha256(
            repr((led.fingerprint() if led else None, stamp, accounts)).encode()
        ).hexdigest()
    )
    found = cache.get(key)
    if found is None:
        found = commitment_status(accounts)
        cache.set(key, found, timeout=3600)
    return found


def _label_bounds(label: str) -> tuple[dt.date | None, dt.date | None]:
    """[first day, day after) of a period label ("2025", "2025-Q3", "2025-07")."""
    try:
        if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
            year, month = int(label[:4]), int(label[5:])
            first = dt.date(year, month, 1)
            return first, dt.date(year + month // 12, month % 12 + 1, 1)
        p = engine.parse_period(label)
    except (ValueError, TypeError):
        return None, None
    return p.start, p.end


# --- the scorecards ------------------------------------------------------------------------


def weights() -> dict[str, int]:
    w = ScorecardWeights.load()
    return {m: getattr(w, m) for m in engine.MEASURES}


def revenue_warning(values: dict | None = None) -> str | None:
    """The seeds' warning when the weights put more than the stated share on revenue."""
    w = ScorecardWeights.load()
    values = values or {m: getattr(w, m) for m in engine.MEASURES}
    total = sum(int(values.get(m, 0)) for m in engine.MEASURES) or 1
    share = int(values.get("net_sales", 0)) / total * 100
    limit = int(values.get("revenue_warning_share", w.revenue_warning_share))
    if share > limit:
        return REVENUE_WARNING.format(share=round(share), limit=limit)
    return None


def _year_to_end(role: str, period: engine.ScorePeriod) -> tuple[dict, list[str]]:
    """Each account's figures from January to the period's end (cents), for objectives."""
    year = engine.parse_period(str(period.start.year))
    months = [m for m in year.months if m < period.end.strftime("%Y-%m")]
    accounts = {a.account.account_id for a in _assignments(role, period)}
    cells = _figure_rows(accounts, "month", months)
    out: dict = defaultdict(lambda: {"net_sales": 0, "net_contribution": 0})
    for (account, _m), money in cells.items():
        out[account]["net_sales"] += money["net_sales"]
        out[account]["net_contribution"] += (
            money["net_sales"] - money["cogs"] - money["cost_to_serve"]
        )
    return dict(out), months


def compute(period: engine.ScorePeriod, today: dt.date | None = None) -> dict:
    """Every person's scorecard for ``period`` (both roles), before any visibility filter.

    Returns ``{"period", "currency", "weights", "clv_snapshots", "people": [...]}`` with
    the keys of the CLI's JSON, money as Decimal.
    """
    token = _memo.set({})
    try:
        _preload_months(period)
        return _compute(period, today or dt.date.today())
    finally:
        _memo.reset(token)


def _compute(period: engine.ScorePeriod, today: dt.date) -> dict:
    w = weights()
    start_snap, end_snap = snapshots_for(period)
    clv_start, clv_end = snapshot_values(start_snap), snapshot_values(end_snap)
    have_clv = start_snap is not None and end_snap is not None
    prior = period.prior()
    sponsors = _assignments("sponsor", period)
    people_rows = []
    for role in ROLES:
        current = credit(role, period)
        before = credit(role, prior, trend=False)
        prior_totals = engine.person_totals(before["rows"])
        rows = current["rows"].to_pylist()
        held: dict[str, dict[str | None, int]] = defaultdict(dict)
        for r in rows:
            held[r["account_id"]][r["person_id"]] = r["months_held"]
        deltas = engine.split_delta_clv(clv_start, clv_end, held) if have_clv else {}
        ytd, ytd_months = _year_to_end(role, period)
        plans = plan_attainment(
            period,
            held,
            current["assignments"],
            ytd,
            ytd_months,
            clv_end,
            today,
        )
        by_person: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if r["person_id"] is not None:
                by_person[r["person_id"]].append(r)
        cover = coverage({p: {r["account_id"] for r in rs} for p, rs in by_person.items()})
        visits = sponsor_visits(period, role, current["assignments"], sponsors, today)
        kept = commitments_kept(period, current["assignments"])
        totals = engine.person_totals(current["rows"])
        names = {a.person.person_id: a.person for a in current["assignments"]}
        names_of_accounts = {a.account.account_id: a.account.name for a in current["assignments"]}
        measures = {}
        cards = {}
        for pid, rs in by_person.items():
            t = totals[pid]
            account_deltas = [deltas.get((pid, r["account_id"])) for r in rs]
            delta = (
                sum(d for d in account_deltas if d is not None)
                if have_clv and any(d is not None for d in account_deltas)
                else None
            )
            p_before = prior_totals.get(pid)
            card = {
                "person_id": pid,
                "name": names[pid].name,
                "role": role,
                "accounts": [
                    {
                        "account_id": r["account_id"],
                        "name": names_of_accounts.get(r["account_id"], ""),
                        "months_held": r["months_held"],
                        "net_sales": _money(r["net_sales"]),
                        "cost_to_serve": _money(r["cost_to_serve"]),
                        "net_contribution": _money(r["net_contribution"]),
                        "delta_clv": _money(d),
                        "coverage": cover[pid]["accounts"].get(r["account_id"]),
                    }
                    for r, d in zip(rs, account_deltas, strict=True)
                ],
                "months_held": t["months_held"],
                "net_sales": _money(t["net_sales"]),
                "gross_margin": _money(t["gross_margin"]),
                "cost_to_serve": _money(t["cost_to_serve"]),
                "net_contribution": _money(t["net_contribution"]),
                "net_contribution_prior": _money(p_before["net_contribution"])
                if p_before
                else None,
                "net_contribution_change": _money(
                    t["net_contribution"] - p_before["net_contribution"]
                )
                if p_before
                else None,
                "contribution_margin_pct": t["contribution_margin_pct"],
                "cost_to_serve_pct": t["cost_to_serve_pct"],
                "cost_to_serve_pct_prior": p_before["cost_to_serve_pct"] if p_before else None,
                "delta_clv": _money(delta),
                "plan_attainment_pct": plans.get(pid, {}).get("pct"),
                "plan": plans.get(pid),
                "coverage_pct": cover[pid]["pct"],
                "coverage": cover[pid],
                "sponsor_visits_pct": visits.get(pid, {}).get("pct"),
                "sponsor_visits": visits.get(pid),
                "commitments_kept_pct": kept.get(pid, {}).get("pct"),
                "commitments": kept.get(pid),
                "trend": [
                    {
                        "month": m,
                        "net_sales": _money(v["net_sales"]),
                        "net_contribution": _money(v["net_sales"] - v["cogs"] - v["cost_to_serve"]),
                        "cost_to_serve_pct": v["cost_to_serve"] / v["net_sales"] * 100
                        if v["net_sales"] > 0
                        else None,
                    }
                    for m, v in sorted(current["trend"].get(pid, {}).items())
                ],
            }
            cards[pid] = card
            measures[pid] = {
                "net_contribution": t["net_contribution"],
                "contribution_margin_pct": t["contribution_margin_pct"],
                "cost_to_serve_pct": t["cost_to_serve_pct"],
                "delta_clv": delta,
                "plan_attainment_pct": card["plan_attainment_pct"],
                "coverage_pct": card["coverage_pct"],
                "sponsor_visits_pct": card["sponsor_visits_pct"],
                "commitments_kept_pct": card["commitments_kept_pct"],
                "net_sales": t["net_sales"],
            }
        by_contribution = engine.competition_ranks(
            {p: m["net_contribution"] for p, m in measures.items()}
        )
        by_revenue = engine.competition_ranks({p: m["net_sales"] for p, m in measures.items()})
        scores = engine.composite_scores(measures, w)
        for pid, card in cards.items():
            card["rank_by_contribution"] = by_contribution[pid]
            card["rank_by_revenue"] = by_revenue[pid]
            card["score"] = None if scores[pid]["score"] is None else round(scores[pid]["score"], 1)
            card["points"] = scores[pid]["points"]
            card["of"] = len(cards)
        people_rows += sorted(
            cards.values(), key=lambda c: (c["rank_by_contribution"] or 10**9, c["name"])
        )
    return {
        "period": period.label,
        "currency": currency(),
        "weights": w,
        "revenue_warning": revenue_warning(),
        "clv_snapshots": {
            "start": start_snap.as_of.isoformat() if start_snap else None,
            "end": end_snap.as_of.isoformat() if end_snap else None,
        },
        "people": people_rows,
    }


def scorecards_for(user, period: engine.ScorePeriod, person_id: str | None = None, role=None):
    """The scorecards ``user`` may see for ``period`` (optionally one person, one role)."""
    data = compute(period)
    visible = visible_person_ids(user, period)
    if visible is not None:
        allowed = set(Person.objects.filter(pk__in=visible).values_list("person_id", flat=True))
        data["people"] = [p for p in data["people"] if p["person_id"] in allowed]
    if person_id is not None:
        data["people"] = [p for p in data["people"] if p["person_id"] == person_id]
    if role is not None:
        data["people"] = [p for p in data["people"] if p["role"] == role]
    return data


def public_json(data: dict) -> dict:
    """The CLI's and the API's list shape: the contract's keys, money as numbers."""

    def num(v):
        return None if v is None else float(v) if isinstance(v, Decimal) else v

    def pct(v):
        return None if v is None else round(v, 2)

    return {
        "period": data["period"],
        "currency": data["currency"],
        "people": [
            {
                "person_id": p["person_id"],
                "name": p["name"],
                "role": p["role"],
                "accounts": [
                    {
                        "account_id": a["account_id"],
                        "months_held": a["months_held"],
                        "net_sales": num(a["net_sales"]),
                        "net_contribution": num(a["net_contribution"]),
                    }
                    for a in p["accounts"]
                ],
                "net_sales": num(p["net_sales"]),
                "net_contribution": num(p["net_contribution"]),
                "contribution_margin_pct": pct(p["contribution_margin_pct"]),
                "cost_to_serve_pct": pct(p["cost_to_serve_pct"]),
                "delta_clv": num(p["delta_clv"]),
                "plan_attainment_pct": pct(p["plan_attainment_pct"]),
                "rank_by_contribution": p["rank_by_contribution"],
                "rank_by_revenue": p["rank_by_revenue"],
                "score": p["score"],
            }
            for p in data["people"]
        ],
    }


# --- recording and history -----------------------------------------------------------------


def may_record(user) -> bool:
    return runs_programme(user)


def record(period: engine.ScorePeriod, user=None, actor: str = "") -> int:
    """Store every person's scorecard of ``period`` (the champion's or an admin's act; the
    CLI and the demo too). Recording a period again replaces its scores. Returns the count."""
    if user is not None and not may_record(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the KAM champion or an administrator records scores.")
    snapshot_current_run()
    data = compute(period)
    people = {p.person_id: p for p in Person.objects.all()}
    with transaction.atomic():
        for card in data["people"]:
            values = {
                "score": card["score"],
                "net_sales": card["net_sales"],
                "net_contribution": card["net_contribution"],
                "contribution_margin_pct": card["contribution_margin_pct"],
                "cost_to_serve_pct": card["cost_to_serve_pct"],
                "delta_clv": card["delta_clv"],
                "plan_attainment_pct": card["plan_attainment_pct"],
                "rank_by_contribution": card["rank_by_contribution"],
                "rank_by_revenue": card["rank_by_revenue"],
                "currency": data["currency"],
                "weights": data["weights"],
                "content": _jsonable(card),
                "recorded_by": user if getattr(user, "is_authenticated", False) else None,
            }
            Scorecard.objects.update_or_create(
                period=period.label,
                person=people[card["person_id"]],
                role=card["role"],
                defaults=values,
            )
        marker = ScorecardWeights.load_for_update()
        audit.record(
            "event",
            marker,
            user=user,
            actor=actor,
            message=f"recorded {len(data['people'])} scorecards for {period.label}",
        )
    return len(data["people"])


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def history(person: Person, role: str | None = None):
    """The person's recorded scorecards, oldest period first."""
    qs = Scorecard.objects.filter(person=person)
    if role:
        qs = qs.filter(role=role)
    return sorted(qs, key=lambda s: period_sort(s.period))


def period_sort(label: str) -> tuple:
    """Periods in time order: a year's quarters, then its year to date, then the year."""
    year, part = int(label[:4]), label[5:]
    if not part:
        return (year, 14)
    if part == "YTD":
        return (year, 13)
    return (year, int(part[1:]) * 3)


# --- weights -------------------------------------------------------------------------------


def validate_weights(values: dict) -> dict[str, str]:
    """Errors of a weighting, by field: whole percents that add up to 100."""
    errors = {}
    total = 0
    for m in engine.MEASURES:
        v = values.get(m)
        try:
            v = int(v)
        except (TypeError, ValueError):
            errors[m] = "a whole number of percent is needed"
            continue
        if not 0 <= v <= 100:
            errors[m] = "between 0 and 100"
        total += v
    if not errors and total != 100:
        errors["__all__"] = f"the weights add up to {total} %, not 100 %"
    share = values.get("revenue_warning_share")
    if share is not None:
        try:
            if not 0 <= int(share) <= 100:
                errors["revenue_warning_share"] = "between 0 and 100"
        except (TypeError, ValueError):
            errors["revenue_warning_share"] = "a whole number of percent is needed"
    return errors


class WeightsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def update_weights(values: dict, expected_version: int | None, user) -> dict:
    """The champion's (or an admin's) new weights; refused when someone changed them
    meanwhile (``ConcurrentEditError``) or when they do not add up to 100 %."""
    current = ScorecardWeights.load()
    if not current.editable_by(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the KAM champion or an administrator sets the weights.")
    merged = {m: values.get(m, getattr(current, m)) for m in engine.MEASURES}
    merged["revenue_warning_share"] = values.get(
        "revenue_warning_share", current.revenue_warning_share
    )
    errors = validate_weights(merged)
    if errors:
        raise WeightsError(errors)
    with transaction.atomic():
        if current.pk is None:  # the defaults, never saved: saved now, by this edit
            current = ScorecardWeights.load_for_update()
        return save_versioned(
            current, {k: int(v) for k, v in merged.items()}, expected_version, user=user
        )
