"""The seven steps of introducing key account management, checked against the data.

The steps are the seeds' (003): (1) treat KAM as an organisational change, (2) high-level
buy-in, (3) a KAM champion, (4) identify key accounts carefully, (5) appoint and train KAMs,
(6) set the right metrics, (7) review the programme. Each step has checks computed from what
is recorded; each check has a status (met, partly, not met), the figures behind it and the
evidence (which accounts, which people, which dates) with a link to where it is fixed.

A share-based check is *met* when the share reaches the champion's target share, *partly*
when it reaches half of it, and *not met* below that. A step is met when all its checks are,
not met when none is even partly, and partly otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from openkam.web.accounts.models import Account, AccountTeamMember
from openkam.web.people.models import (
    EXECUTIVE_RANK,
    ChampionAppointment,
    Competency,
    CompetencyAssessment,
    ExecutiveLevel,
    Person,
    ProgrammeRules,
    SponsorVisit,
    TrainingRecord,
)
from openkam.web.planning.models import Action, Objective, Plan
from openkam.web.portfolio.models import CriteriaSet, Override, Review
from openkam.web.programme.models import Partnership, ProgrammeReview, ReadinessSettings

MET, PARTLY, NOT_MET = "met", "partly", "not_met"
STATUS_LABELS = {MET: "Met", PARTLY: "Partly met", NOT_MET: "Not met"}

#: Functions (or, for people without one, roles) that deliver what key accounts are promised.
OPERATIONS = ("operations", "supply_chain")

#: Competencies in a few words, for evidence lines.
SHORT_COMPETENCY = {
    "financial_acumen": "financial acumen",
    "planning": "planning",
    "influencing": "influencing",
    "consultative": "relationship building",
    "technical": "product knowledge",
    "customer_business": "the customer's business",
}

STEPS = {
    1: "Treat KAM as an organisational change",
    2: "High-level buy-in",
    3: "Appoint a KAM champion",
    4: "Identify key accounts carefully",
    5: "Appoint and train key account managers",
    6: "Set the right metrics",
    7: "Review the programme",
}


@dataclass
class Evidence:
    """One account, person or record behind a check, with where to fix it."""

    label: str
    detail: str = ""
    url: str = ""


@dataclass
class Check:
    name: str
    status: str
    #: One sentence with the figures: "12 of 20 key accounts (60 %); target 80 %".
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    #: Where the whole check is fixed (a page), when there is one.
    fix_url: str = ""


@dataclass
class Step:
    step: int
    name: str
    status: str
    checks: list[Check]


def share_status(ok: int, total: int, target: Decimal) -> str:
    """Met at ``target`` share, partly at half of it, else not met; nothing to count is
    not met (a programme with no key accounts has not started)."""
    if total <= 0:
        return NOT_MET
    share = Decimal(ok) / Decimal(total)
    if share >= target:
        return MET
    if ok > 0 and share >= target / 2:
        return PARTLY
    return NOT_MET


def step_status(checks: list[Check]) -> str:
    statuses = {c.status for c in checks}
    if statuses == {MET}:
        return MET
    if statuses == {NOT_MET}:
        return NOT_MET
    return PARTLY


def _pct(ok: int, total: int) -> str:
    return f"{round(100 * ok / total)} %" if total else "—"


def _share_summary(ok: int, total: int, what: str, target: Decimal) -> str:
    return f"{ok} of {total} {what} ({_pct(ok, total)}); target {round(target * 100)} %"


def _account_link(a: Account, detail: str = "", page: str = "accounts:detail") -> Evidence:
    return Evidence(f"{a.name} ({a.account_id})", detail, reverse(page, args=[a.account_id]))


def _person_link(p: Person, detail: str = "") -> Evidence:
    return Evidence(p.name, detail, reverse("people:detail", args=[p.person_id]))


def _works_in_operations(person: Person) -> bool:
    return person.function in OPERATIONS or (not person.function and person.role in OPERATIONS)


def _is_executive(person: Person | None, rules: ProgrammeRules) -> bool:
    if person is None:
        return False
    return EXECUTIVE_RANK.get(person.executive_level, 0) >= EXECUTIVE_RANK[rules.sponsor_min_level]


class Context:
    """What every check reads, loaded once per readiness run."""

    def __init__(self, today: dt.date):
        self.today = today
        self.settings = ReadinessSettings.current()
        self.rules = ProgrammeRules.objects.order_by("pk").first() or ProgrammeRules()
        self.key_accounts = list(
            Account.objects.filter(key_status=Account.KeyStatus.KEY)
            .select_related("kam", "sponsor")
            .order_by("name")
        )
        self.key_ids = [a.pk for a in self.key_accounts]
        self.kam_training_done = set(
            TrainingRecord.objects.filter(kam_training=True, completed=True, date__lte=today)
            .values_list("person_id", flat=True)
            .distinct()
        )
        self.plans = {
            p.account_id: p
            for p in Plan.objects.filter(account_id__in=self.key_ids).select_related("account")
        }
        self.last_review = (
            Review.objects.filter(status=Review.Status.APPLIED).order_by("-applied_at").first()
        )


# --- step 1 -------------------------------------------------------------------------------


def _trained_operations_on_team(ctx: Context) -> Check:
    teams: dict[int, list[Person]] = {}
    for m in AccountTeamMember.objects.filter(account_id__in=ctx.key_ids).select_related("person"):
        teams.setdefault(m.account_id, []).append(m.person)
    evidence, ok = [], 0
    for a in ctx.key_accounts:
        ops = [p for p in teams.get(a.pk, []) if _works_in_operations(p)]
        trained = [p for p in ops if p.pk in ctx.kam_training_done]
        if trained:
            ok += 1
        elif ops:
            names = ", ".join(p.name for p in ops)
            evidence.append(_account_link(a, f"{names} on the team, not trained in KAM yet"))
        else:
            evidence.append(_account_link(a, "no operations or supply chain person on the team"))
    return Check(
        "Key account teams include operations or supply chain people trained in KAM",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(ok, len(ctx.key_accounts), "key accounts", ctx.settings.target_share),
        evidence,
    )


def _operations_own_actions(ctx: Context) -> Check:
    owners: dict[int, set] = {}
    for plan_account, function, role in (
        Action.objects.filter(plan__account_id__in=ctx.key_ids, owner__isnull=False)
        .exclude(status=Action.Status.DROPPED)
        .values_list("plan__account_id", "owner__function", "owner__role")
    ):
        if function in OPERATIONS or (not function and role in OPERATIONS):
            owners.setdefault(plan_account, set()).add(function or role)
    evidence = [
        _account_link(a, "no plan action owned by operations or supply chain", "planning:plan")
        for a in ctx.key_accounts
        if a.pk not in owners
    ]
    ok = len(ctx.key_accounts) - len(evidence)
    return Check(
        "Operations and supply chain own actions in the key account plans",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(ok, len(ctx.key_accounts), "key account plans", ctx.settings.target_share),
        evidence,
    )


def _commitments_kept(ctx: Context) -> Check:
    """The seeds: priority for a key account is given by operations, not sales. Each
    measured commitment to a key account counts once, by its last closed review period
    (ended by the ledger's today, or ``ctx.today`` if earlier) that had order lines due;
    the share kept is held to the champion's target share."""
    from openkam.web.operations import services as operations
    from openkam.web.operations.models import Commitment

    name = "Operations keep their commitments to key accounts"
    url = reverse("operations:index")
    commitments = (
        Commitment.objects.filter(account_id__in=ctx.key_ids)
        .exclude(measure=Commitment.Measure.NONE)
        .filter(start_date__lte=ctx.today)
    )
    led_today = operations.ledger_today()
    if not commitments.exists() or led_today is None:
        what = "no order ledger to measure them" if commitments.exists() else "none recorded"
        return Check(name, NOT_MET, f"Commitments of operations to key accounts: {what}", [], url)
    as_of = min(led_today, ctx.today)
    last: dict[str, dict] = {}
    for row in operations.commitment_status(commitments=commitments, as_of=as_of):
        if row["complete"] and row["status"] in ("kept", "broken"):
            last[row["commitment_id"]] = row  # rows come sorted by period
    found = {c.commitment_id: c for c in commitments.select_related("account")}
    kept = sum(r["status"] == "kept" for r in last.values())
    evidence = []
    for cid, r in sorted(last.items()):
        if r["status"] == "broken":
            c = found[cid]
            label = Commitment.Measure(c.measure).label.split(" (")[0]
            evidence.append(
                Evidence(
                    f"{cid}: {c.account.name} ({c.account.account_id})",
                    f"{label} {r['value']} against {r['target']} in {r['period']}",
                    c.get_absolute_url(),
                )
            )
    if not last:
        return Check(
            name,
            NOT_MET,
            f"{len(found)} commitments to key accounts, none with a closed period measured yet",
            [],
            url,
        )
    return Check(
        name,
        share_status(kept, len(last), ctx.settings.target_share),
        _share_summary(
            kept,
            len(last),
            "commitments kept in their last closed period",
            ctx.settings.target_share,
        ),
        evidence,
        url,
    )


# --- step 2 -------------------------------------------------------------------------------


def _executive_sponsors(ctx: Context) -> Check:
    level = ExecutiveLevel(ctx.rules.sponsor_min_level).label
    evidence, ok = [], 0
    for a in ctx.key_accounts:
        if a.sponsor is None:
            evidence.append(_account_link(a, "no executive sponsor"))
        elif not _is_executive(a.sponsor, ctx.rules):
            evidence.append(
                _account_link(a, f"sponsor {a.sponsor.name} is not at the {level} level")
            )
        else:
            ok += 1
    return Check(
        "Every key account has an executive sponsor",
        share_status(ok, len(ctx.key_accounts), Decimal(1)),
        f"{ok} of {len(ctx.key_accounts)} key accounts have a sponsor at the {level} level",
        evidence,
    )


def _sponsor_visits(ctx: Context) -> Check:
    from openkam.web.people.models import Assignment

    sponsored = [a for a in ctx.key_accounts if a.sponsor_id]
    last = {
        (r["account_id"], r["sponsor_id"]): r["last"]
        for r in SponsorVisit.objects.filter(account_id__in=ctx.key_ids, date__lte=ctx.today)
        .values("account_id", "sponsor_id")
        .annotate(last=Max("date"))
    }
    cadence = {
        (r.account_id, r.person_id): r.visit_every_days
        for r in Assignment.objects.filter(
            account_id__in=ctx.key_ids, role="sponsor", end__isnull=True
        ).exclude(visit_every_days=None)
    }
    evidence, ok = [], 0
    for a in sponsored:
        every = cadence.get((a.pk, a.sponsor_id)) or ctx.rules.visit_every_days
        seen = last.get((a.pk, a.sponsor_id))
        if seen is not None and (ctx.today - seen).days <= every:
            ok += 1
            continue
        if seen is None:
            detail = f"{a.sponsor.name} has not visited yet (every {every} days)"
        else:
            late = (ctx.today - seen).days - every
            detail = f"{a.sponsor.name} last visited on {seen.isoformat()}, {late} days overdue"
        evidence.append(_account_link(a, detail))
    total = len(sponsored)
    return Check(
        "Sponsors visit their key accounts on their cadence",
        share_status(ok, total, ctx.settings.target_share),
        _share_summary(
            ok, total, "sponsored key accounts visited in time", ctx.settings.target_share
        ),
        evidence,
    )


# --- step 3 -------------------------------------------------------------------------------


def _champion_recorded(ctx: Context) -> Check:
    current = ChampionAppointment.objects.filter(
        Q(until__isnull=True) | Q(until__gt=ctx.today), since__lte=ctx.today
    ).select_related("person", "reports_to")
    appointment = current.first()
    url = reverse("programme:champion")
    if appointment is not None:
        return Check(
            "A KAM champion is appointed",
            MET,
            f"{appointment.person.name} since {appointment.since.isoformat()}",
            [_person_link(appointment.person, f"champion since {appointment.since.isoformat()}")],
            url,
        )
    holders = list(Person.objects.filter(role="champion", active=True))
    if holders:
        return Check(
            "A KAM champion is appointed",
            PARTLY,
            "someone has the champion's role, but no appointment (since when, reporting to "
            "whom) is recorded",
            [_person_link(p, "champion role, no appointment recorded") for p in holders],
            url,
        )
    return Check("A KAM champion is appointed", NOT_MET, "no champion recorded", [], url)


def _champion_reports_to_top(ctx: Context) -> Check:
    appointment = (
        ChampionAppointment.objects.filter(
            Q(until__isnull=True) | Q(until__gt=ctx.today), since__lte=ctx.today
        )
        .select_related("person", "reports_to")
        .first()
    )
    name = "The champion reports to top management"
    url = reverse("programme:champion")
    if appointment is None or appointment.reports_to is None:
        return Check(name, NOT_MET, "no reporting line recorded", [], url)
    boss = appointment.reports_to
    detail = f"{appointment.person.name} reports to {boss.name}"
    if boss.executive_level == ExecutiveLevel.C_LEVEL:
        return Check(name, MET, detail, [_person_link(boss, boss.title or "C-level")], url)
    return Check(
        name,
        PARTLY,
        detail + ", who is not at the C-level",
        [_person_link(boss, boss.get_executive_level_display())],
        url,
    )


# --- step 4 -------------------------------------------------------------------------------


def _programme_size(ctx: Context) -> Check:
    n, s = len(ctx.key_accounts), ctx.settings
    bounds = f"{s.min_key_accounts}–{s.max_key_accounts}"
    status = MET if s.min_key_accounts <= n <= s.max_key_accounts else (PARTLY if n else NOT_MET)
    return Check(
        "Few key accounts: the programme's size is within its bounds",
        status,
        f"{n} key accounts; bounds {bounds}",
        [],
        reverse("portfolio:selection"),
    )


def _criteria_defined(ctx: Context) -> Check:
    latest = CriteriaSet.objects.order_by("-number").first()
    url = reverse("portfolio:selection")
    if latest is None:
        return Check("Clear selection criteria are defined", NOT_MET, "no criteria saved", [], url)
    config = latest.config or {}
    criteria = config.get("criteria", [])
    summary = f"criteria v{latest.number}: {len(criteria)} weighted criteria"
    if latest.number > 1 or latest.created_by_id:
        return Check("Clear selection criteria are defined", MET, summary, [], url)
    return Check(
        "Clear selection criteria are defined",
        PARTLY,
        summary + ", the defaults, never adapted by the champion",
        [],
        url,
    )


def _no_inclusion_by_tenure(ctx: Context) -> Check:
    """Key accounts that are key by an override or slow demotion rather than on merit."""
    evidence = []
    overrides = {
        o.account_id: o
        for o in Override.objects.filter(active=True, decision="key", account_id__in=ctx.key_ids)
    }
    rows = {r["account_id"]: r for r in ctx.last_review.rows()} if ctx.last_review else {}
    for a in ctx.key_accounts:
        if a.pk in overrides:
            evidence.append(_account_link(a, f"included by override: “{overrides[a.pk].reason}”"))
        elif "slow_demotion" in (rows.get(a.account_id, {}).get("binding") or []):
            evidence.append(_account_link(a, "kept by slow demotion, below the exit threshold"))
    ok = len(ctx.key_accounts) - len(evidence)
    return Check(
        "Key accounts are key on their merits, not kept by tenure",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(
            ok, len(ctx.key_accounts), "key accounts on merit", ctx.settings.target_share
        ),
        evidence,
    )


def _partnership_agreed(ctx: Context) -> Check:
    status = dict(
        Partnership.objects.filter(account_id__in=ctx.key_ids).values_list("account_id", "status")
    )
    labels = dict(Partnership.Status.choices)
    evidence, ok = [], 0
    for a in ctx.key_accounts:
        s = status.get(a.pk)
        if s == Partnership.Status.AGREED:
            ok += 1
            continue
        if s is None:
            detail = "no partnership proposed yet"
        elif s == Partnership.Status.DECLINED:
            detail = "declined the partnership: a demotion candidate in the next review"
        else:
            detail = f"partnership {labels[s].lower()}"
        evidence.append(_account_link(a, detail, "programme:partnership"))
    return Check(
        "Key accounts agreed to the partnership",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(ok, len(ctx.key_accounts), "key accounts agreed", ctx.settings.target_share),
        evidence,
        reverse("programme:partnerships"),
    )


# --- step 5 -------------------------------------------------------------------------------


def _kams(ctx: Context) -> list[Person]:
    """Everyone who manages a key account, and every active KAM without one."""
    holders = {a.kam_id for a in ctx.key_accounts if a.kam_id}
    return list(
        Person.objects.filter(Q(pk__in=holders) | Q(role="kam", active=True)).order_by("name")
    )


def _kam_loads(ctx: Context, kams: list[Person]) -> Check:
    load: dict[int, int] = {}
    for a in ctx.key_accounts:
        if a.kam_id:
            load[a.kam_id] = load.get(a.kam_id, 0) + 1
    lo, hi = ctx.rules.kam_min_accounts, ctx.rules.kam_max_accounts
    evidence = [
        _person_link(p, f"{load.get(p.pk, 0)} key accounts; the rule is {lo}–{hi}")
        for p in kams
        if not lo <= load.get(p.pk, 0) <= hi
    ]
    ok = len(kams) - len(evidence)
    return Check(
        f"KAMs carry {lo}–{hi} key accounts",
        share_status(ok, len(kams), Decimal(1)),
        f"{ok} of {len(kams)} KAMs within the rule",
        evidence,
        reverse("people:list"),
    )


def _kams_full_time(ctx: Context, kams: list[Person]) -> Check:
    evidence = [_person_link(p, "not a full-time KAM") for p in kams if not p.full_time_kam]
    ok = len(kams) - len(evidence)
    return Check(
        "KAMs work on their key accounts full time",
        share_status(ok, len(kams), ctx.settings.target_share),
        _share_summary(ok, len(kams), "KAMs full time", ctx.settings.target_share),
        evidence,
    )


def _kam_competencies(ctx: Context, kams: list[Person]) -> Check:
    since = ctx.today - dt.timedelta(days=ctx.settings.assessment_days)
    assessed: dict[int, set] = {}
    for person_id, competency in CompetencyAssessment.objects.filter(
        person__in=kams, assessed_on__gte=since, assessed_on__lte=ctx.today
    ).values_list("person_id", "competency"):
        assessed.setdefault(person_id, set()).add(competency)
    every = set(Competency.values)
    evidence = []
    for p in kams:
        missing = every - assessed.get(p.pk, set())
        if missing:
            names = ", ".join(SHORT_COMPETENCY[c] for c in Competency.values if c in missing)
            evidence.append(_person_link(p, f"{len(missing)} competencies not assessed: {names}"))
    ok = len(kams) - len(evidence)
    return Check(
        f"KAMs' competency profiles assessed within {ctx.settings.assessment_days} days",
        share_status(ok, len(kams), ctx.settings.target_share),
        _share_summary(ok, len(kams), "KAMs assessed", ctx.settings.target_share),
        evidence,
    )


def _kams_trained(ctx: Context, kams: list[Person]) -> Check:
    evidence = [
        _person_link(p, "no completed KAM training")
        for p in kams
        if p.pk not in ctx.kam_training_done
    ]
    ok = len(kams) - len(evidence)
    return Check(
        "KAMs completed KAM training",
        share_status(ok, len(kams), ctx.settings.target_share),
        _share_summary(ok, len(kams), "KAMs trained", ctx.settings.target_share),
        evidence,
    )


# --- step 6 -------------------------------------------------------------------------------


def _objectives_on_contribution(ctx: Context) -> Check:
    year = ctx.today.year
    metrics: dict[int, set] = {}
    for account_id, metric in Objective.objects.filter(
        plan__account_id__in=ctx.key_ids, year=year
    ).values_list("plan__account_id", "metric"):
        metrics.setdefault(account_id, set()).add(metric)
    evidence, ok = [], 0
    for a in ctx.key_accounts:
        m = metrics.get(a.pk, set())
        if m & {Objective.Metric.NET_CONTRIBUTION, Objective.Metric.CLV}:
            ok += 1
        elif m:
            evidence.append(_account_link(a, f"{year} objectives on revenue only", "planning:plan"))
        else:
            evidence.append(_account_link(a, f"no objectives for {year}", "planning:plan"))
    return Check(
        f"Plan objectives for {year} set on contribution or lifetime value, not revenue alone",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(ok, len(ctx.key_accounts), "key account plans", ctx.settings.target_share),
        evidence,
    )


def _scorecard_weights(ctx: Context) -> Check:
    """Scorecards judge KAMs on contribution and lifetime value: the champion's weights put
    at most the stated share on revenue (the defaults, never saved, put none)."""
    from openkam.engine.scorecards import MEASURES
    from openkam.web.scorecards.models import ScorecardWeights

    weights = ScorecardWeights.objects.order_by("pk").first() or ScorecardWeights()
    total = sum(getattr(weights, m) for m in MEASURES)
    # One setting for both: the share above which the weights page warns.
    limit = Decimal(weights.revenue_warning_share) / 100
    name = "Scorecards weigh contribution and lifetime value, not revenue"
    if not total:
        return Check(
            name, NOT_MET, "no scorecard weights are set", [], reverse("scorecards:weights")
        )
    share = Decimal(weights.net_sales) / Decimal(total)
    summary = (
        f"{round(share * 100)} % of the score on net sales; at most {round(limit * 100)} %"
        + ("" if weights.pk else " (the default weights)")
    )
    status = MET if share <= limit else NOT_MET
    return Check(name, status, summary, [], reverse("scorecards:weights"))


# --- step 7 -------------------------------------------------------------------------------


def _plans_reviewed(ctx: Context) -> Check:
    evidence, ok = [], 0
    for a in ctx.key_accounts:
        plan = ctx.plans.get(a.pk)
        if plan is None:
            evidence.append(_account_link(a, "no plan", "planning:plan"))
        elif plan.next_review and plan.next_review < ctx.today:
            days = (ctx.today - plan.next_review).days
            evidence.append(
                _account_link(
                    a,
                    f"review was due on {plan.next_review.isoformat()}, {days} days ago",
                    "planning:plan",
                )
            )
        elif plan.last_reviewed is None and plan.next_review is None:
            evidence.append(_account_link(a, "never reviewed", "planning:plan"))
        else:
            ok += 1
    return Check(
        "Key account plans reviewed on their cadence",
        share_status(ok, len(ctx.key_accounts), ctx.settings.target_share),
        _share_summary(
            ok, len(ctx.key_accounts), "plans reviewed in time", ctx.settings.target_share
        ),
        evidence,
        reverse("planning:overview"),
    )


def _selection_reviewed(ctx: Context) -> Check:
    name = f"Selection reviewed within {ctx.settings.selection_review_days} days"
    url = reverse("portfolio:selection")
    review = ctx.last_review
    if review is None or review.applied_at is None:
        return Check(name, NOT_MET, "no selection review was ever applied", [], url)
    applied = timezone.localtime(review.applied_at).date()
    age = (ctx.today - applied).days
    evidence = [
        Evidence(review.label, f"applied on {applied.isoformat()}", review.get_absolute_url())
    ]
    if age <= ctx.settings.selection_review_days:
        return Check(name, MET, f"last applied {age} days ago", evidence, url)
    return Check(name, PARTLY, f"last applied {age} days ago", evidence, url)


def _programme_reviewed(ctx: Context) -> Check:
    name = f"A yearly programme review closed within {ctx.settings.programme_review_days} days"
    url = reverse("programme:reviews")
    last = (
        ProgrammeReview.objects.filter(status=ProgrammeReview.Status.CLOSED)
        .exclude(closed_at=None)
        .order_by("-closed_at")
        .first()
    )
    if last is None:
        current = ProgrammeReview.objects.filter(status=ProgrammeReview.Status.OPEN).first()
        if current is not None:
            return Check(
                name,
                PARTLY,
                f"the {current.year} review is open, none closed yet",
                [Evidence(str(current), "open", current.get_absolute_url())],
                url,
            )
        return Check(name, NOT_MET, "no programme review was ever held", [], url)
    closed = timezone.localtime(last.closed_at).date()
    age = (ctx.today - closed).days
    evidence = [Evidence(str(last), f"closed on {closed.isoformat()}", last.get_absolute_url())]
    status = MET if age <= ctx.settings.programme_review_days else PARTLY
    return Check(name, status, f"last closed {age} days ago", evidence, url)


# --- the whole check ----------------------------------------------------------------------


def readiness(today: dt.date | None = None) -> list[Step]:
    """The seven steps with their checks, as of ``today``."""
    ctx = Context(today or timezone.localdate())
    kams = _kams(ctx)
    checks = {
        1: [
            _trained_operations_on_team(ctx),
            _operations_own_actions(ctx),
            _commitments_kept(ctx),
        ],
        2: [_executive_sponsors(ctx), _sponsor_visits(ctx)],
        3: [_champion_recorded(ctx), _champion_reports_to_top(ctx)],
        4: [
            _programme_size(ctx),
            _criteria_defined(ctx),
            _no_inclusion_by_tenure(ctx),
            _partnership_agreed(ctx),
        ],
        5: [
            _kam_loads(ctx, kams),
            _kams_full_time(ctx, kams),
            _kam_competencies(ctx, kams),
            _kams_trained(ctx, kams),
        ],
        6: [_objectives_on_contribution(ctx), _scorecard_weights(ctx)],
        7: [_plans_reviewed(ctx), _selection_reviewed(ctx), _programme_reviewed(ctx)],
    }
    return [Step(n, STEPS[n], step_status(checks[n]), checks[n]) for n in STEPS]


def as_json(steps: list[Step], today: dt.date) -> dict:
    """The readiness check as ``openkam readiness --json`` prints it."""
    return {
        "as_of": today.isoformat(),
        "steps": [
            {
                "step": s.step,
                "name": s.name,
                "status": s.status,
                "checks": [
                    {
                        "name": c.name,
                        "status": c.status,
                        "summary": c.summary,
                        "evidence": [asdict(e) for e in c.evidence],
                    }
                    for c in s.checks
                ],
            }
            for s in steps
        ],
    }
