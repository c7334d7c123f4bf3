"""Every API operation and every page, for every role, own and other account (the table is
``permission_matrix.py``; an operation or page without an entry fails here)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

sys.path.insert(0, str(Path(__file__).parent))
from conftest import build_programme  # noqa: E402
from permission_matrix import API, PAGES, ROLES, SCOPES  # noqa: E402

from openkam.web.accounts.models import Account, AccountTeamMember, Contact, Product  # noqa: E402
from openkam.web.people.models import Person  # noqa: E402

WHO = {
    "admin": "Ada",
    "champion": "Chris",
    "kam": "Alice",
    "sponsor": "Sam",
    "viewer": "Vera",
    "functional": "Olga",
}

#: Tables a read may write to: the session of the login, the login-failure log.
NOT_COUNTED = {"sessions", "axes", "contenttypes", "admin"}


def schema_operations() -> set[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {f"{m.upper()} {path}" for path, ops in schema["paths"].items() for m in ops}


def page_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith(("api/", "admin/")):
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_api_operation_has_an_entry():
    ops = schema_operations()
    missing = sorted(ops - set(API))
    stale = sorted(set(API) - ops)
    assert not missing, (
        "API operations without an entry in tests/web/permission_matrix.py (API):\n  "
        + "\n  ".join(missing)
    )
    assert not stale, "entries for operations that no longer exist:\n  " + "\n  ".join(stale)


def test_every_page_has_an_entry():
    names = page_names()
    missing = sorted(names - set(PAGES))
    stale = sorted(set(PAGES) - names)
    assert not missing, (
        "pages without an entry in tests/web/permission_matrix.py (PAGES):\n  "
        + "\n  ".join(missing)
    )
    assert not stale, "entries for pages that no longer exist:\n  " + "\n  ".join(stale)


@pytest.fixture(scope="module")
def world_rows(django_db_setup, django_db_blocker):
    """The world, built once per module in a transaction rolled back at its end; each test
    runs in a savepoint inside it (its own changes are rolled back as usual)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world(build_programme())
        transaction.set_rollback(True)


@pytest.fixture
def world(world_rows, db):
    return world_rows


def build_world(programme) -> dict:
    """Given: the programme, an admin, and on A1 (own) and A2 (other) each: a plan with one
    row of every list and a version, two contacts with profiles, a relationship, a dotted
    line, a score and an override; saved criteria, a review and a finished run."""
    from openkam.web.core.models import Computation
    from openkam.web.planning import services as planning
    from openkam.web.portfolio import services as portfolio
    from openkam.web.portfolio.models import AssessedScore, Override, Review
    from openkam.web.relationships.models import ContactProfile, DottedLine, Relationship

    user = get_user_model().objects.create_user("ada", password="pw-Ada")
    ada = Person.objects.create(person_id="P-Ada", name="Ada", role="admin", user=user)
    Person.objects.create(person_id="P-Vic", name="Vic", role="viewer")
    users = {**programme["users"], "Ada": user}
    people = {**programme["people"], "Ada": ada}
    chris = users["Chris"]
    accounts = {"own": programme["accounts"]["A1"], "other": programme["accounts"]["A2"]}
    w = {"users": users, "people": people, "account": accounts}
    for key in ("plan", "objective", "value_proposition", "whitespace", "risk", "action"):
        w[key] = {}
    for key in ("contact", "contact2", "profile", "relationship", "dotted", "score", "override"):
        w[key] = {}
    Contact.objects.create(contact_id="C2", account=accounts["other"], name="Olaf Other")
    Product.objects.create(product_id="P1", name="Flour", product_line="Ingredients")
    criteria = portfolio.current_criteria(saved=True)
    for scope, account in accounts.items():
        plan = planning.start_plan(account, chris)
        for kind, name, values in [
            ("objectives", "objective", {"year": 2030, "metric": "net_sales", "target": 10}),
            ("value_propositions", "value_proposition", {"solution": "S", "customer_gain": "G"}),
            (
                "whitespace",
                "whitespace",
                {"product_line": "L", "business_unit": "U", "potential": Decimal(5)},
            ),
            ("risks", "risk", {"description": "R"}),
            ("actions", "action", {"title": "T", "due": dt.date(2030, 1, 1)}),
        ]:
            w[name][scope] = planning.add_part(plan, kind, values, chris)
        planning.create_share_link(plan, chris)
        plan.refresh_from_db()
        w["plan"][scope] = plan
        suffix = "1" if scope == "own" else "2"
        contact = Contact.objects.get(contact_id=f"C{suffix}")
        w["contact"][scope] = contact
        w["contact2"][scope] = Contact.objects.create(
            contact_id=f"C{suffix}b", account=account, name=f"Second {suffix}"
        )
        w["profile"][scope] = ContactProfile.objects.create(contact=contact)
        w["relationship"][scope] = Relationship.objects.create(
            contact=contact, person=people["Alice" if scope == "own" else "Bob"], strength=3
        )
        w["dotted"][scope] = DottedLine.objects.create(
            contact=w["contact2"][scope], to_contact=contact
        )
        w["score"][scope] = AssessedScore.objects.create(
            account=account, criterion="satisfaction", value=3, scored_by=chris
        )
        w["override"][scope] = Override.objects.create(
            account=account, decision="key", reason="r", created_by=chris
        )
    w["criteria"] = criteria
    w["review"] = Review.objects.create(label="R", criteria=criteria, result={}, inputs={})
    w["run"] = Computation.objects.create(kind="profitability", status="done")
    AccountTeamMember.objects.get_or_create(account=accounts["own"], person=people["Olga"])
    from openkam.web.operations.models import Commitment

    w["commitment"] = {
        scope: Commitment.objects.create(
            commitment_id=f"COM-{scope}",
            account=account,
            kind="otif",
            start_date=dt.date(2030, 1, 1),
            end_date=dt.date(2030, 12, 31),
            owner=people["Olga"],
            measure="otif_pct",
            target=Decimal("95"),
        )
        for scope, account in accounts.items()
    }
    from openkam.web.programme.models import Partnership, ProgrammeReview

    w["partnership"] = {
        scope: Partnership.objects.create(
            account=account, status="proposed", status_date=dt.date(2026, 1, 2)
        )
        for scope, account in accounts.items()
    }
    w["fresh"] = {
        "own": Account.objects.create(
            account_id="A4", name="Alice's new", industry="x", region="y", kam=people["Alice"]
        ),
        "other": Account.objects.create(
            account_id="A5", name="Bob's new", industry="x", region="y", kam=people["Bob"]
        ),
    }
    AccountTeamMember.objects.create(account=w["fresh"]["own"], person=people["Olga"])
    w["programme_review"] = ProgrammeReview.objects.create(year=2030)
    _organisation(w)
    return w


def _organisation(w) -> None:
    """The KAM organisation's rows, own (A1, Alice, Sam) and other (A2, Bob): the KAMs'
    assignments, an assessment and a training record each, a visit of Sam to A1 and an
    older one by Bob to A2, a competency target and Chris as champion. No rules row: the
    programme's defaults hold until someone saves the rules (reading writes none)."""
    from openkam.web.people.models import (
        Assignment,
        ChampionAppointment,
        CompetencyAssessment,
        CompetencyTarget,
        SponsorVisit,
        TrainingRecord,
    )

    people, accounts = w["people"], w["account"]
    holder = {"own": people["Alice"], "other": people["Bob"]}
    day = dt.date(2020, 1, 1)
    w["assignment"], w["assessment"], w["training"], w["visit"] = {}, {}, {}, {}
    for scope, account in accounts.items():
        w["assignment"][scope] = Assignment.objects.create(
            account=account, role="kam", person=holder[scope], start=day
        )
        w["assessment"][scope] = CompetencyAssessment.objects.create(
            person=holder[scope], competency="planning", level=3, assessed_on=day
        )
        w["training"][scope] = TrainingRecord.objects.create(
            person=holder[scope], course="KAM basics", kam_training=True, date=day
        )
    w["visit"]["own"] = SponsorVisit.objects.create(
        account=accounts["own"], sponsor=people["Sam"], date=dt.date(2024, 1, 1)
    )
    w["visit"]["other"] = SponsorVisit.objects.create(
        account=accounts["other"], sponsor=people["Bob"], date=dt.date(2019, 1, 1)
    )
    w["target"] = CompetencyTarget.objects.create(competency="planning", level=4)
    w["champion"] = ChampionAppointment.objects.create(person=people["Chris"], since=day)


def row_counts() -> dict[str, int]:
    """Rows per table, in one query (it runs around every call)."""
    from django.db import connection

    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models()
            if m._meta.app_label not in NOT_COUNTED and not m._meta.proxy and m._meta.managed
        }
    )
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


class Rollback(Exception):
    pass


def run_cases(world, call, same_for_both=False) -> list[str]:
    """Call each role × scope inside a savepoint rolled back afterwards; the mismatches.
    ``same_for_both``: the request does not depend on the scope, so it runs once."""
    problems = []
    for role in ROLES:
        for scope in SCOPES[:1] if same_for_both else SCOPES:
            try:
                with transaction.atomic():
                    problem = call(role, scope)
                    raise Rollback
            except Rollback:
                pass
            if problem:
                problems.append(f"{role:<10} {scope:<5} {problem}")
    return problems


def expected(expect: dict[str, str], role: str, scope: str) -> tuple[str, bool]:
    """The status a role gets on a scope, and whether nothing may be written."""
    value = expect[role]
    own, _, other = value.partition("/")
    status = own if scope == "own" or not other else other
    return status.rstrip("="), status.endswith("=") or status.startswith("4")


def check(method, url, response, want, quiet, before) -> str | None:
    got = str(response.status_code)
    # "*": not pinned yet (a PARTIAL entry); a refusal or error still must write nothing.
    quiet = quiet or (want == "*" and got.startswith("4"))
    if got.startswith("5"):
        return f"{method} {url}: server error {got}"
    if want != "*" and got != want:
        detail = ""
        if getattr(response, "context", None) and response.status_code == 200:
            errors = getattr(response.context.get("form"), "errors", None)
            detail = errors.as_json() if hasattr(errors, "as_json") else ""
        elif response.get("Content-Type", "").startswith("application/json"):
            detail = response.content[:160].decode(errors="replace")
        return f"{method} {url}: expected {want}, got {got} {detail}"
    if (method == "GET" or quiet) and row_counts() != before:
        after = row_counts()
        grew = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        return f"{method} {url}: {'a read' if method == 'GET' else 'a refusal'} wrote {grew}"
    return None


def _api_client(world, role):
    api = APIClient()
    if role != "anonymous":
        api.force_authenticate(world["users"][WHO[role]])
    return api


@pytest.mark.parametrize("key", sorted(API))
def test_api_matrix(world, key):
    case = API[key]
    method, path = key.split(" ", 1)
    clients = {role: _api_client(world, role) for role in ROLES}

    def call(role, scope):
        url = path.format(**case.params(world, scope))
        query = case.query(world, scope) if callable(case.query) else case.query
        if query:
            url += "?" + query
        body = case.body(world, scope) if case.body else None
        before = row_counts()
        client = clients[role]
        send = getattr(client, method.lower())
        if body is None:
            response = send(url)
        elif case.fmt == "multipart":
            response = send(url, body, format="multipart")
        else:
            response = send(url, body, format="json")
        want, quiet = expected(case.expect, role, scope)
        return check(method, url, response, want, quiet, before)

    def request_of(scope):
        body = case.body(world, scope) if case.body else None
        query = case.query(world, scope) if callable(case.query) else case.query
        return path.format(**case.params(world, scope)), query, body

    same = request_of("own") == request_of("other") and all(
        "/" not in v for v in case.expect.values()
    )
    problems = run_cases(world, call, same)
    assert not problems, f"{key}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_matrix(world, name):
    page = PAGES[name]
    clients = {}
    for role in ROLES:
        clients[role] = Client()
        if role != "anonymous":
            clients[role].force_login(world["users"][WHO[role]])

    def call(role, scope):
        url = reverse(name, kwargs=page.params(world, scope))
        if page.query:
            url += "?" + page.query.format(review=world["review"].pk)
        client = clients[role]
        if page.get is not None:
            before = row_counts()
            want, quiet = expected(page.get, role, scope)
            problem = check("GET", url, client.get(url), want, quiet, before)
            if problem:
                return problem
        if page.post is not None:
            data = page.data(world, scope)
            before = row_counts()
            want, quiet = expected(page.post, role, scope)
            return check("POST", url, client.post(url, data), want, quiet, before)
        return None

    same = page.params(world, "own") == page.params(world, "other") and page.data(
        world, "own"
    ) == page.data(world, "other")
    same = same and all(
        "/" not in v for v in [*(page.get or {}).values(), *(page.post or {}).values()]
    )
    problems = run_cases(world, call, same)
    assert not problems, f"{name}:\n" + "\n".join(problems)
