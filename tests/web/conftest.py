"""Web fixtures: a small programme with people in every role and their accounts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from openkam.web.accounts.models import Account, AccountTeamMember, Contact
from openkam.web.people.models import Person


def make_login(role: str, name: str):
    user = get_user_model().objects.create_user(name.lower(), password="pw-" + name)
    person = Person.objects.create(person_id=f"P-{name}", name=name, role=role, user=user)
    return user, person


def build_programme() -> dict:
    """The rows of the ``programme`` fixture, for fixtures that build them once per module."""
    people = {}
    for role, name in [
        ("champion", "Chris"),
        ("kam", "Alice"),
        ("kam", "Bob"),
        ("sponsor", "Sam"),
        ("viewer", "Vera"),
        ("operations", "Olga"),
    ]:
        people[name] = make_login(role, name)
    # The KAMs work as KAMs full time and the sponsor sits on the board, as the programme's
    # rules ask (people.rules).
    Person.objects.filter(role="kam").update(full_time_kam=True, function="key_account_management")
    Person.objects.filter(role="sponsor").update(executive_level="c_level", function="executive")
    for _, person in people.values():
        person.refresh_from_db()
    a1 = Account.objects.create(
        account_id="A1",
        name="Acme Foods",
        industry="food",
        region="EMEA",
        kam=people["Alice"][1],
        sponsor=people["Sam"][1],
        key_status="key",
    )
    a2 = Account.objects.create(
        account_id="A2",
        name="Borealis Chemicals",
        industry="chemicals",
        region="APAC",
        kam=people["Bob"][1],
    )
    a3 = Account.objects.create(
        account_id="A3", name="Acme Foods Iberia", industry="food", region="EMEA", parent=a1
    )
    AccountTeamMember.objects.create(account=a1, person=people["Olga"][1])
    Contact.objects.create(
        contact_id="C1", account=a1, name="Carla Buyer", title="Head of Procurement"
    )
    return {
        "users": {n: u for n, (u, _) in people.items()},
        "people": {n: p for n, (_, p) in people.items()},
        "accounts": {"A1": a1, "A2": a2, "A3": a3},
    }


@pytest.fixture(autouse=True)
def _forget_kept_page_data():
    """Each test starts without what an earlier one's pages kept in the process (its runs
    and records had other ids, or the same ids in another database)."""
    from openkam.web.core import kept

    kept.forget_all()


@pytest.fixture
def programme(db):
    """Given: a champion, two KAMs, a sponsor, a viewer, an operations team member, and
    accounts A1 (Alice's, with Olga on its team), A2 (Bob's) and A3 (nobody's, child of A1)."""
    return build_programme()


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def import_files(programme, tmp_path, settings):
    """Import CSV texts ``{kind: text}``, in order, into a fresh data directory (which
    becomes ``settings.DATA_DIR``); returns the directory."""
    from openkam.web.ingest import run_import

    def load(files: dict[str, str]):
        settings.DATA_DIR = tmp_path
        for kind, text in files.items():
            path = tmp_path / f"{kind}.csv"
            path.write_text(text)
            run_import(kind, [path])
        return tmp_path

    return load


@pytest.fixture
def recompute_profitability(programme, login, django_capture_on_commit_callbacks):
    """Recompute profitability as a KAM (Alice) through the page, the background task run
    at once; returns the finished run."""
    from openkam.web.core.models import Computation

    def run():
        client = login(programme["users"]["Alice"])
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/insights/recompute/profitability/").status_code == 302
        computation = Computation.objects.filter(kind="profitability").latest("pk")
        assert computation.status == "done", computation.error
        return computation

    return run
