"""Loading the generated demo supplier into the database, with logins for each role."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from openkam.web import reference
from openkam.web.accounts.models import Account, AccountTeamMember
from openkam.web.core.roles import Role
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
        _assign(pq.read_table(folder / "assignments.parquet").to_pylist())
        logins = _create_logins()
        if progress:
            progress("assignments", len(steps) + 1, len(steps) + 1)
    return logins


def _assign(rows: list[dict]) -> None:
    accounts = {a.account_id: a for a in Account.objects.all()}
    people = dict(Person.objects.values_list("person_id", "pk"))
    changed = {}
    team = []
    for row in rows:
        account = accounts[row["account_id"]]
        person = people[row["person_id"]]
        if row["role"] == "kam":
            account.kam_id = person
            account.key_status = Account.KeyStatus.KEY
            changed[account.pk] = account
        elif row["role"] == "sponsor":
            account.sponsor_id = person
            changed[account.pk] = account
        else:
            team.append(
                AccountTeamMember(
                    account=account,
                    person_id=person,
                    responsibility=row.get("responsibility") or "",
                )
            )
    Account.objects.bulk_update(changed.values(), ["kam", "sponsor", "key_status"])
    AccountTeamMember.objects.bulk_create(team, ignore_conflicts=True)


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


def compute_demo_figures() -> list[str]:
    """Compute profitability (and lifetime value, which values orders at their contribution)
    so the demo's pages show numbers at once; returns what was computed."""
    from openkam.web.insights import runs
    from openkam.web.insights.models import Computation
    from openkam.web.insights.profitability import recompute_profitability

    done = []
    run = runs.run_now(Computation.Kind.PROFITABILITY, {}, recompute_profitability, actor="demo")
    if run.status == Computation.Status.DONE:
        done.append("profitability")
    try:
        from openkam.web.insights.clv import recompute_clv, settings_params
    except ImportError:
        return done
    run = runs.run_now(Computation.Kind.CLV, settings_params(), recompute_clv, actor="demo")
    if run.status == Computation.Status.DONE:
        done.append("lifetime value")
    return done
