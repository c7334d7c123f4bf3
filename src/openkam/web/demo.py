"""Loading the generated demo supplier into the database, with logins for each role."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from openkam.web import reference
from openkam.web.accounts.models import Account
from openkam.web.core.roles import Role
from openkam.web.people import demo_org as organisation
from openkam.web.people.models import Person

DEMO_PASSWORD = "openkam-demo"
#: Which demo people get a login, one per access role (the first person of each role).
LOGIN_ROLES = [Role.CHAMPION, Role.KAM, Role.SPONSOR, Role.VIEWER, Role.ADMIN]


def load_demo(data_dir: Path, progress=None) -> list[dict]:
    """Load ``data_dir/demo/*.parquet`` into the database; returns the demo logins."""
    folder = Path(data_dir) / "demo"
    steps = ["people", "products", "accounts", "contacts"]
    with transaction.atomic():
        for i, kind in enumerate(steps):
            rows = pq.read_table(folder / f"{kind}.parquet").to_pylist()
            reference.upsert(kind, rows, actor="demo")
            if progress:
                progress(kind, i + 1, len(steps) + 1)
        organisation.seed_organisation(folder)
        logins = _create_logins()
        if progress:
            progress("assignments", len(steps) + 1, len(steps) + 1)
    return logins


def _create_logins() -> list[dict]:
    User = get_user_model()
    logins = []
    # Hashing is slow by design; every demo login shares the one demo password.
    hashed = make_password(DEMO_PASSWORD)
    for role in LOGIN_ROLES:
        person = Person.objects.filter(role=role).order_by("person_id").first()
        if person is None:
            continue
        username = role.value
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                email=person.email,
                password=hashed,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
        if person.user_id is None:
            person.user = user
            person.save(update_fields=["user"])
        logins.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": role.label,
                "name": person.name,
            }
        )
    return logins


def seed_living_records(data_dir: Path, today=None) -> None:
    """Relationship maps and plans, so the demo shows what a working programme keeps.

    ``today`` is the demo's today (default: the real date); the ledger runs to the end of the
    month before it (``engine.synth.timeline.demo_window``), and plans, actions, reviews and
    last contacts are dated around it.
    """
    import datetime as dt

    from openkam.web.operations.demo import seed_commitments
    from openkam.web.planning.demo import seed_plans
    from openkam.web.portfolio.services import create_review
    from openkam.web.programme.demo import seed_programme

    today = today or dt.date.today()
    with transaction.atomic():
        seed_relationship_maps(data_dir, today)
        seed_plans(today)
        seed_assessments(year=str(today.year - 1))
        seed_commitments()
    # A first selection review (a draft: the demo's key accounts stay as assigned), so every
    # account has its quadrant on the accounts list and the selection pages from the start.
    create_review(None, label=f"Demo review {today.isoformat()}", actor="demo")
    seed_programme(today)
    try:  # scores read the plans and maps seeded above
        from openkam.web.scorecards.demo import seed_scorecards
    except ImportError:  # pragma: no cover - scorecards not installed
        return
    seed_scorecards()


def compute_demo_figures() -> list[str]:
    """Compute profitability (and lifetime value, which values orders at their contribution)
    so the demo's pages show numbers at once; returns what was computed."""
    from openkam.web.core import runs
    from openkam.web.core.models import Computation
    from openkam.web.profitability.services import recompute_profitability
    from openkam.web.profitability.services import settings_params as profitability

    done = []
    run = runs.run_now(
        Computation.Kind.PROFITABILITY, profitability(), recompute_profitability, actor="demo"
    )
    if run.status == Computation.Status.DONE:
        done.append("profitability")
    try:
        from openkam.web.lifetime_value.services import recompute_clv, settings_params
    except ImportError:
        return done
    run = runs.run_now(Computation.Kind.CLV, settings_params(), recompute_clv, actor="demo")
    if run.status == Computation.Status.DONE:
        done.append("lifetime value")
    return done


BUYING_ROLES = {
    "decision maker": "economic_buyer",
    "buyer": "technical_buyer",
    "influencer": "influencer",
    "user": "user",
    "gatekeeper": "gatekeeper",
}
ATTITUDES = {
    "champion": "advocate",
    "supporter": "supporter",
    "neutral": "neutral",
    "sceptic": "skeptic",
    "opponent": "detractor",
}


def seed_relationship_maps(data_dir: Path, today) -> int:
    """Profiles of the demo's contacts and our people's relationships with them."""
    import datetime as dt

    from openkam.web.accounts.models import Contact
    from openkam.web.relationships.models import ContactProfile, Relationship

    rows = pq.read_table(Path(data_dir) / "demo" / "contact_details.parquet").to_pylist()
    contacts = dict(Contact.objects.values_list("contact_id", "pk"))
    people = dict(Person.objects.values_list("person_id", "pk"))
    profiles, relationships = [], []
    for i, row in enumerate(rows):
        pk = contacts.get(row["contact_id"])
        if pk is None:
            continue
        profiles.append(
            ContactProfile(
                contact_id=pk,
                buying_role=BUYING_ROLES.get(row["buying_role"], "other"),
                influence=row["influence"],
                attitude=ATTITUDES.get(row["attitude"], "neutral"),
            )
        )
        if row["owner_person_id"] in people:
            # Deterministic spread of last contacts over the last ~200 days.
            relationships.append(
                Relationship(
                    contact_id=pk,
                    person_id=people[row["owner_person_id"]],
                    strength=row["relationship_strength"],
                    last_contact=today - dt.timedelta(days=(i * 37) % 200),
                )
            )
    ContactProfile.objects.bulk_create(profiles, batch_size=2000, ignore_conflicts=True)
    Relationship.objects.bulk_create(relationships, batch_size=2000, ignore_conflicts=True)
    return len(profiles)


#: Scored by people in a real programme; the demo scores the larger accounts so that the
#: selection matrix has both axes to work with.
ASSESSED = (
    "market_stability",
    "adjacent_markets",
    "strategic_alignment",
    "financial_security",
    "ease_of_business",
    "brand_value",
    "satisfaction",
    "preferred_supplier",
)


def seed_assessments(accounts_scored: int = 200, seed: int = 42, year: str | None = None) -> int:
    """Scores (1–5) and spend estimates for the key accounts and the largest others, on the
    sales of ``year`` (default: the last year of the figures; the demo passes its last
    complete year, not the current one to date)."""
    import numpy as np

    from openkam.web.portfolio.models import AssessedScore
    from openkam.web.profitability.figures import figures_by_account, latest_year

    year = year or latest_year()
    if year is None:
        return 0
    sales = {
        r.account_key: float(r.net_sales)
        for r in figures_by_account(grain="year", period=year, rolled_up=True)
    }
    sales.update(
        {
            r.account_key: float(r.net_sales)
            for r in figures_by_account(grain="year", period=year)
            if r.account_key not in sales
        }
    )
    top = Account.objects.filter(parent__isnull=True)
    key = set(top.filter(key_status=Account.KeyStatus.KEY).values_list("pk", flat=True))
    ranked = sorted(top, key=lambda a: -sales.get(a.account_id, 0.0))[:accounts_scored]
    chosen = {a.pk: a for a in ranked} | {a.pk: a for a in top.filter(pk__in=key)}
    rng = np.random.default_rng(seed)
    scores = []
    for pk in sorted(chosen):
        account = chosen[pk]
        # Key accounts know us better: later relationship stages, warmer scores.
        lift = 1.0 if pk in key else 0.0
        stage = int(np.clip(round(rng.normal(2.3 + lift, 0.9)), 1, 5))
        scores.append(
            AssessedScore(
                account=account, criterion="relationship_stage", value=stage, comment="demo"
            )
        )
        for criterion in ASSESSED:
            value = float(np.clip(round(rng.normal(3.0 + 0.5 * lift, 1.0)), 1, 5))
            scores.append(
                AssessedScore(account=account, criterion=criterion, value=value, comment="demo")
            )
        net = sales.get(account.account_id, 0.0)
        if net > 0:
            share = float(np.clip(rng.beta(2 + 2 * lift, 4), 0.05, 0.95))
            scores.append(
                AssessedScore(
                    account=account,
                    criterion="total_spend",
                    value=round(net / share, -3),
                    comment="demo estimate",
                )
            )
            scores.append(
                AssessedScore(
                    account=account,
                    criterion="potential",
                    value=round(net / share * 0.6, -3),
                    comment="demo estimate",
                )
            )
    AssessedScore.objects.bulk_create(scores, batch_size=2000)
    return len(chosen)
