"""The demo supplier's KAM organisation: who does what, who held which key account since
when, and the programme's records around them.

Called once from ``web/demo.py`` after the demo's people, accounts and contacts are loaded.
Every assignment goes through ``people.assignments`` (the rules hold, the history is kept),
dated from the ledger's first month, so scorecards can credit people by the months held.

The story, for a programme launched with the ledger's first month (January 2023):

- a KAM champion appointed three months before the launch, reporting to the CEO;
- a board of C-level executives, each sponsoring one or two key accounts; one account is
  sponsored by a vice president while the board seat for the region is vacant, accepted
  as a rule exception with its reason;
- one sponsor change (1 April of the ledger's second year) and one KAM handover
  (1 July of its last full calendar year), so histories and month-by-month credit have
  something to split;
- a KAM hired in the autumn of the last ledger year who so far carries one key account:
  under the minimum of two, left visible on purpose (a programme part-way through rollout);
- competency targets set by the champion and two rounds of assessments; KAM training for
  the KAMs and some of the operations and supply-chain people; sponsor contacts with each
  key account over the ledger's years and up to today, some of them overdue.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pyarrow.parquet as pq

from openkam.web.accounts.models import Account, AccountTeamMember, Contact
from openkam.web.core import audit
from openkam.web.core.roles import Role
from openkam.web.people import assignments
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    Competency,
    CompetencyAssessment,
    CompetencyTarget,
    ExecutiveLevel,
    Function,
    Person,
    SponsorVisit,
    TrainingRecord,
)

#: The board of the demo supplier: the seeds want a C-level sponsor on every key account and
#: each sponsors 1–2, so a programme of ~20 key accounts needs about a dozen board members.
BOARD_TITLES = (
    "Chief Executive Officer",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Chief Commercial Officer",
    "Chief Technology Officer",
    "Chief Supply Chain Officer",
    "Chief Marketing Officer",
    "President EMEA",
    "President Americas",
    "Chief Digital Officer",
    "Chief Strategy Officer",
    "Chief Quality Officer",
    "Chief People Officer",
    "Chief Sustainability Officer",
    "Chief Procurement Officer",
    "Chief Information Officer",
)
#: The sponsor standing in for a vacant board seat (the demo's accepted exception).
STAND_IN_TITLE = "VP Sales APAC"
STAND_IN_REASON = (
    "The President Asia-Pacific seat is vacant since the last one left; the VP Sales APAC "
    "sponsors the account until the board fills it (agreed by the CEO)."
)

#: Function of each demo access role (functional roles carry their own name).
FUNCTION_OF_ROLE = {
    Role.CHAMPION: Function.KEY_ACCOUNT_MANAGEMENT,
    Role.KAM: Function.KEY_ACCOUNT_MANAGEMENT,
    Role.SPONSOR: Function.EXECUTIVE,
    Role.ADMIN: Function.SALES,
    Role.OPERATIONS: Function.OPERATIONS,
    Role.SUPPLY_CHAIN: Function.SUPPLY_CHAIN,
    Role.FINANCE: Function.FINANCE,
    Role.CUSTOMER_SERVICE: Function.CUSTOMER_SERVICE,
}
VIEWER_FUNCTIONS = {
    "Financial Controller": Function.FINANCE,
    "Market Analyst": Function.MARKETING,
    "Product Manager": Function.MARKETING,
}
#: Whom each function reports to, by the title of the board member.
REPORTS_TO_TITLE = {
    Function.SALES: "Chief Commercial Officer",
    Function.FINANCE: "Chief Financial Officer",
    Function.MARKETING: "Chief Marketing Officer",
    Function.OPERATIONS: "Chief Operating Officer",
    Function.CUSTOMER_SERVICE: "Chief Operating Officer",
    Function.SUPPLY_CHAIN: "Chief Supply Chain Officer",
}
NEW_KAM_NAME = "Amara Okafor"

#: The champion's target profile of a KAM (1–5): the seeds' generalist, strongest in
#: financial acumen, influencing up to CFO/CEO level and understanding the customer.
TARGETS = {
    Competency.FINANCIAL_ACUMEN: 4,
    Competency.PLANNING: 3,
    Competency.INFLUENCING: 4,
    Competency.CONSULTATIVE: 4,
    Competency.TECHNICAL: 3,
    Competency.CUSTOMER_BUSINESS: 4,
}

VISIT_NOTES = {
    SponsorVisit.Kind.VISIT: (
        "Met their board on the three-year supply agreement.",
        "Site visit with their operations director; agreed a joint cost-down review.",
        "Dinner with their CEO: expansion plans in the region and what they need from us.",
        "Plant tour; their quality head raised the late deliveries of last quarter.",
    ),
    SponsorVisit.Kind.CALL: (
        "Call on the price increase; they accept it with a phased start.",
        "Escalation call after the delivery problem; a recovery plan agreed.",
        "Call with their CFO on payment terms.",
    ),
    SponsorVisit.Kind.QUARTERLY_REVIEW: (
        "Quarterly business review: volumes, service levels and the plan's objectives.",
        "Quarterly review with both teams; two new projects added to the plan.",
    ),
}


def ledger_window(folder: Path) -> tuple[dt.date, dt.date]:
    """The demo ledger's first and last day (from its manifest)."""
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    return (
        dt.date.fromisoformat(manifest.get("first_date") or manifest["start"]),
        dt.date.fromisoformat(manifest.get("last_date") or manifest["start"]),
    )


def seed_organisation(folder: Path, today: dt.date | None = None) -> None:
    """Give the demo's people their place in the organisation and seed the programme's
    organisation records (see the module's docstring)."""
    folder = Path(folder)
    first, last = ledger_window(folder)
    today = today or dt.date.today()
    manifest = json.loads((folder / "manifest.json").read_text())
    rng = random.Random(int(manifest.get("seed", 42)) * 7919 + 13)
    launch = first.replace(day=1)
    titles = {
        r["person_id"]: r["title"]
        for r in pq.read_table(folder / "people_details.parquet").to_pylist()
    }
    rows = pq.read_table(folder / "assignments.parquet").to_pylist()
    stand_in = _set_people(titles, rows)
    new_kam = _hire_new_kam()
    _assign(rows, launch, last, stand_in, new_kam)
    board = {p.title: p for p in Person.objects.filter(role=Role.SPONSOR)}
    ceo = board.get(BOARD_TITLES[0])
    champion = Person.objects.filter(role=Role.CHAMPION).order_by("person_id").first()
    _reporting_lines(board, ceo, champion)
    if champion is not None:
        ChampionAppointment.objects.create(
            person=champion,
            since=_months_before(launch, 3),
            reports_to=ceo,
            notes="Appointed by the CEO to launch the key account programme "
            f"in {launch:%B %Y}; chairs the yearly programme review.",
        )
    _competencies(champion, launch, last, today, rng)
    _training(launch, today, rng)
    _visits(today, rng)


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, 1)


def _set_people(titles: dict[str, str], rows: list[dict]) -> Person | None:
    """Functions, levels, titles and full-time flags; returns the sponsor who stands in for
    a vacant board seat (the last sponsor, when there are at least four)."""
    people = list(Person.objects.order_by("person_id"))
    sponsors = [p for p in people if p.role == Role.SPONSOR]
    stand_in = sponsors[-1] if len(sponsors) >= 4 else None
    board = iter(BOARD_TITLES)
    for person in people:
        title = titles.get(person.person_id, person.title)
        if person.role == Role.SPONSOR:
            title = STAND_IN_TITLE if person is stand_in else next(board, title)
            person.executive_level = (
                ExecutiveLevel.C_LEVEL
                if title.startswith(("Chief", "President"))
                else ExecutiveLevel.VICE_PRESIDENT
            )
        person.title = title
        if person.role == Role.VIEWER:
            person.function = VIEWER_FUNCTIONS.get(title, Function.SALES)
        else:
            person.function = FUNCTION_OF_ROLE.get(person.role, Function.SALES)
        person.full_time_kam = person.role == Role.KAM
    Person.objects.bulk_update(people, ["title", "function", "executive_level", "full_time_kam"])
    return stand_in


def _hire_new_kam() -> Person:
    ids = list(Person.objects.values_list("person_id", flat=True))
    number = 1 + max((int(i.split("-")[-1]) for i in ids if i.split("-")[-1].isdigit()), default=0)
    person = Person.objects.create(
        person_id=f"PER-{number:03d}",
        name=NEW_KAM_NAME,
        email=f"amara.okafor@{_domain()}",
        role=Role.KAM,
        title="Key Account Manager",
        function=Function.KEY_ACCOUNT_MANAGEMENT,
        full_time_kam=True,
    )
    audit.record("create", person, actor="demo", changes=audit.snapshot(person))
    return person


def _domain() -> str:
    email = Person.objects.exclude(email="").values_list("email", flat=True).first() or ""
    return email.split("@")[-1] or "example.com"


def _assign(
    rows: list[dict], launch: dt.date, last: dt.date, stand_in: Person | None, new_kam: Person
) -> None:
    """The key accounts' KAMs and sponsors from the launch, then the stories' changes."""
    accounts = {a.account_id: a for a in Account.objects.all()}
    people = {p.person_id: p for p in Person.objects.all()}
    kam_of: dict[str, Person] = {}
    sponsor_of: dict[str, Person] = {}
    team = []
    for row in rows:
        account = accounts[row["account_id"]]
        person = people[row["person_id"]]
        if row["role"] == "kam":
            kam_of[account.account_id] = person
        elif row["role"] == "sponsor":
            sponsor_of[account.account_id] = person
        else:
            team.append(
                AccountTeamMember(
                    account=account, person=person, responsibility=row.get("responsibility") or ""
                )
            )
    AccountTeamMember.objects.bulk_create(team, ignore_conflicts=True)
    keys = sorted(kam_of)
    start_kam = dict(kam_of)
    start_sponsor = dict(sponsor_of)
    later: list[tuple[dt.date, str, dict, str]] = []

    def load(holder: dict, person: Person) -> int:
        return sum(1 for p in holder.values() if p.pk == person.pk)

    kams = sorted({p.person_id: p for p in kam_of.values()}.values(), key=lambda p: p.person_id)
    # The new KAM takes one account from the busiest KAM in October of the last ledger year.
    busiest = max(kams, key=lambda p: (load(kam_of, p), p.person_id), default=None)
    hired = dt.date(last.year, 10, 1)
    if busiest is not None and load(kam_of, busiest) >= 3:
        account_id = max(a for a in keys if kam_of[a].pk == busiest.pk)
        kam_of[account_id] = new_kam
        later.append(
            (hired, account_id, {"kam": new_kam}, f"{new_kam.name} joined as KAM; first account")
        )
    # A handover on 1 July of the last full year of the ledger, from a KAM who then carried
    # one more (scorecards split that year at the month boundary).
    last_full_year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    others = [p for p in kams if p.pk != getattr(busiest, "pk", None)]
    receiver = next((p for p in others if load(kam_of, p) >= 3), None)
    previous = next(
        (
            p
            for p in others
            if receiver is not None and p.pk != receiver.pk and load(kam_of, p) <= 4
        ),
        None,
    )
    if receiver is not None and previous is not None:
        account_id = min(a for a in keys if kam_of[a].pk == receiver.pk)
        start_kam[account_id] = previous
        later.append(
            (
                dt.date(last_full_year, 7, 1),
                account_id,
                {"kam": receiver},
                f"Handover from {previous.name}: rebalancing the KAMs' loads by region",
            )
        )
    # A sponsor change on 1 April of the ledger's second year.
    sponsors = sorted(
        {p.person_id: p for p in sponsor_of.values() if p != stand_in}.values(),
        key=lambda p: p.person_id,
    )
    to_sponsor = next((p for p in sponsors if load(sponsor_of, p) == 2), None)
    from_sponsor = next((p for p in sponsors if load(sponsor_of, p) == 1), None)
    if to_sponsor is not None and from_sponsor is not None:
        account_id = max(a for a in sponsor_of if sponsor_of[a].pk == to_sponsor.pk)
        start_sponsor[account_id] = from_sponsor
        later.append(
            (
                dt.date(launch.year + 1, 4, 1),
                account_id,
                {"sponsor": to_sponsor},
                f"{to_sponsor.title} takes over as sponsor: the account's new contract "
                "runs through the operations side",
            )
        )
    launch_reason = "Key account programme launched"
    first = []
    excepted = []
    for account_id in keys:
        change = {
            "account": accounts[account_id],
            "key_status": Account.KeyStatus.KEY,
            "kam": start_kam[account_id],
        }
        sponsor = start_sponsor.get(account_id)
        if sponsor is not None and sponsor == stand_in:
            excepted.append({"account": accounts[account_id], "sponsor": sponsor})
        elif sponsor is not None:
            change["sponsor"] = sponsor
        first.append(change)
    assignments.assign_many(
        first, effective=launch, reason=launch_reason, actor="demo", source="demo"
    )
    if excepted:
        assignments.assign_many(
            excepted,
            effective=launch,
            reason=launch_reason,
            exception_reason=STAND_IN_REASON,
            actor="demo",
            source="demo",
        )
    for when, account_id, change, reason in sorted(later, key=lambda c: c[0]):
        assignments.assign(
            accounts[account_id],
            **change,
            effective=when,
            reason=reason,
            actor="demo",
            source="demo",
        )
    # One distributor with a long, stable relationship is visited twice a year, not four times.
    stable = Assignment.objects.filter(role="sponsor", end__isnull=True).order_by("account_id")
    first_row = stable.first()
    if first_row is not None:
        stable.filter(pk=first_row.pk).update(visit_every_days=182)


def _reporting_lines(board: dict, ceo: Person | None, champion: Person | None) -> None:
    people = list(Person.objects.all())
    for person in people:
        if person.role == Role.SPONSOR:
            boss = ceo if person != ceo else None
            if person.title == STAND_IN_TITLE:
                boss = board.get("Chief Commercial Officer", ceo)
        elif person.role in (Role.KAM,):
            boss = champion
        elif person.role == Role.CHAMPION:
            boss = ceo
        else:
            boss = board.get(REPORTS_TO_TITLE.get(person.function, ""), ceo)
        person.reports_to = boss if boss is not None and boss.pk != person.pk else None
    Person.objects.bulk_update(people, ["reports_to"])


def _competencies(champion, launch, last, today, rng: random.Random) -> None:
    targets = [CompetencyTarget(competency=c, level=level) for c, level in TARGETS.items()]
    CompetencyTarget.objects.bulk_create(targets)
    audit.record_bulk(
        "create", CompetencyTarget, [(t, audit.snapshot(t)) for t in targets], actor="demo"
    )
    kams = list(Person.objects.filter(role__in=[Role.KAM, Role.CHAMPION]).order_by("person_id"))
    # Yearly rounds in January: after the last full year and the year before it.
    full = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    rounds = [dt.date(full, 1, 20), dt.date(full + 1, 1, 20)]
    rows = []
    for person in kams:
        newcomer = person.name == NEW_KAM_NAME
        first_round = dt.date(last.year, 10, 15) if newcomer else rounds[0]
        levels = {}
        for competency in Competency.values:
            base = TARGETS[competency] + rng.choice((-2, -1, -1, 0, 0, 0, 1))
            levels[competency] = max(1, min(5, base - (1 if newcomer else 0)))
            rows.append(
                CompetencyAssessment(
                    person=person,
                    competency=competency,
                    level=levels[competency],
                    assessed_by=champion if person != champion else None,
                    assessed_on=first_round,
                    notes="Yearly assessment" if not newcomer else "Assessment on joining",
                )
            )
        # The second round: the weakest competency improved after training.
        if rounds[1] <= today and rounds[1] > first_round and not newcomer:
            weakest = min(levels, key=lambda c: (levels[c] - TARGETS[c], c))
            rows.append(
                CompetencyAssessment(
                    person=person,
                    competency=weakest,
                    level=min(5, levels[weakest] + 1),
                    assessed_by=champion if person != champion else None,
                    assessed_on=rounds[1],
                    notes="Reassessed after the year's training",
                )
            )
    CompetencyAssessment.objects.bulk_create(rows)
    audit.record_bulk(
        "create",
        CompetencyAssessment,
        [(r, audit.snapshot(r)) for r in CompetencyAssessment.objects.all()],
        actor="demo",
    )


def _training(launch: dt.date, today: dt.date, rng: random.Random) -> None:
    rows = []
    by_role = {}
    for p in Person.objects.order_by("person_id"):
        by_role.setdefault(p.role, []).append(p)
    for p in by_role.get(Role.CHAMPION, []):
        rows.append(
            TrainingRecord(
                person=p,
                course="Leading a key account programme",
                kam_training=True,
                date=_months_before(launch, 2),
                completed=True,
            )
        )
    for p in by_role.get(Role.KAM, []):
        if p.name == NEW_KAM_NAME:
            rows.append(
                TrainingRecord(
                    person=p,
                    course="Key account management foundations",
                    kam_training=True,
                    date=dt.date(today.year + 1, 2, 10),
                    completed=False,
                )
            )
            continue
        rows += [
            TrainingRecord(
                person=p,
                course="Key account management foundations",
                kam_training=True,
                date=launch + dt.timedelta(days=73),
                completed=True,
            ),
            TrainingRecord(
                person=p,
                course="Strategic account planning",
                kam_training=True,
                date=dt.date(launch.year + 1, 9, 10),
                completed=True,
            ),
            TrainingRecord(
                person=p,
                course="Financial acumen for key account managers",
                kam_training=False,
                date=dt.date(launch.year + 2, 5, 12),
                completed=rng.random() < 0.7,
            ),
        ]
    for p in by_role.get(Role.SPONSOR, []):
        rows.append(
            TrainingRecord(
                person=p,
                course="The executive sponsor's role in key account management",
                kam_training=True,
                date=launch + dt.timedelta(days=31),
                completed=p.title != STAND_IN_TITLE,
            )
        )
    # Operations and supply chain: the first of each took the course for account teams, the
    # second is booked on the next one (the seeds: KAM involves every function).
    for role in (Role.OPERATIONS, Role.SUPPLY_CHAIN):
        for i, p in enumerate(by_role.get(role, [])):
            done = i % 2 == 0
            rows.append(
                TrainingRecord(
                    person=p,
                    course="Key account management for operations and supply chain",
                    kam_training=True,
                    date=dt.date(launch.year + 1, 6, 4) if done else dt.date(today.year + 1, 1, 20),
                    completed=done,
                )
            )
    TrainingRecord.objects.bulk_create(rows)
    audit.record_bulk(
        "create",
        TrainingRecord,
        [(r, audit.snapshot(r)) for r in TrainingRecord.objects.all()],
        actor="demo",
    )


def _visits(today: dt.date, rng: random.Random) -> None:
    """Contacts of each sponsor with each account they sponsored, over their sponsorship,
    at about their cadence; every fourth account's sponsor has let it lapse (overdue)."""
    from openkam.web.people.models import ProgrammeRules

    default_every = ProgrammeRules.current().visit_every_days
    contacts: dict[int, list[Contact]] = {}
    for c in Contact.objects.order_by("account_id", "contact_id"):
        contacts.setdefault(c.account_id, []).append(c)
    rows = Assignment.objects.filter(role="sponsor").select_related("account", "person")
    open_accounts = sorted({r.account_id for r in rows if r.end is None})
    lapsed = set(open_accounts[1::4])
    kinds = [SponsorVisit.Kind.VISIT, SponsorVisit.Kind.CALL, SponsorVisit.Kind.QUARTERLY_REVIEW]
    made: list[tuple[SponsorVisit, list[Contact]]] = []
    for row in rows.order_by("account_id", "start"):
        every = row.visit_every_days or default_every
        end = min(row.end or today, today)
        if row.end is None and row.account_id in lapsed:
            end = today - dt.timedelta(days=every + rng.randint(20, 120))
        day = row.start + dt.timedelta(days=rng.randint(14, 45))
        n = 0
        while day < end:
            kind = kinds[2] if n % 4 == 3 else rng.choices(kinds[:2], weights=(3, 1))[0]
            people = contacts.get(row.account_id, [])[: rng.randint(1, 2)]
            made.append(
                (
                    SponsorVisit(
                        account=row.account,
                        sponsor=row.person,
                        date=day,
                        kind=kind,
                        notes=rng.choice(VISIT_NOTES[kind]),
                    ),
                    people,
                )
            )
            day += dt.timedelta(days=int(every * rng.uniform(0.7, 1.0)))
            n += 1
    saved = SponsorVisit.objects.bulk_create([v for v, _ in made])
    if saved and saved[0].pk is None:  # backends that do not return ids
        saved = list(SponsorVisit.objects.order_by("id"))
    through = SponsorVisit.people_met.through
    links = []
    for visit, (_, people) in zip(saved, made, strict=True):
        links += [through(sponsorvisit_id=visit.pk, contact_id=c.pk) for c in people]
    through.objects.bulk_create(links)
    audit.record_bulk(
        "create",
        SponsorVisit,
        [(v, audit.snapshot(v)) for v in saved],
        actor="demo",
        account_key_of=lambda v: v.account.account_id,
    )
