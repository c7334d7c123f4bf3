"""REST API of account plans: who reads, who writes, who signs, and stale versions (409).

The roles come from the ``programme`` fixture: Alice is A1's KAM, Olga is on A1's team,
Bob is A2's KAM, Sam sponsors A1, Chris is the champion, Vera a viewer.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from openkam.web.core.models import AuditEvent
from openkam.web.planning import services
from openkam.web.planning.models import Action, Objective, Plan


@pytest.fixture
def api(programme):
    """A signed-in client per person (``login`` shares one client, so one user at a time)."""
    clients = {}

    def as_(name):
        if name not in clients:
            clients[name] = Client()
            clients[name].force_login(programme["users"][name])
        return clients[name]

    return as_


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_anyone_signed_in_reads_a_plan_and_reading_never_creates_it(api):
    assert Client().get("/api/plans/A1/").status_code in (401, 403)  # not signed in
    # Reading a plan nobody started answers 404 and writes nothing.
    assert api("Vera").get("/api/plans/A1/").status_code == 404
    assert not Plan.objects.exists()
    # The first edit (from version 1, the empty plan's) starts it.
    assert patch(api("Alice"), "/api/plans/A1/", {"version": 1}).status_code == 200
    response = api("Vera").get("/api/plans/A1/")
    assert response.status_code == 200
    body = response.json()
    assert (body["account"], body["account_name"]) == ("A1", "Acme Foods")
    assert body["version"] == 1 and body["relationship_stage"] == "basic"
    assert "share_token" not in body
    assert api("Vera").get("/api/plans/NOPE/").status_code == 404
    listed = api("Vera").get("/api/plans/").json()
    assert [p["account"] for p in listed["results"]] == ["A1"]


@pytest.mark.parametrize(
    ("name", "status"),
    [("Alice", 200), ("Olga", 200), ("Chris", 200), ("Bob", 403), ("Sam", 403), ("Vera", 403)],
)
def test_who_may_edit_a_plan(api, name, status):
    # The KAM, the account team and the programme roles edit; another KAM, the sponsor
    # (who signs, not edits) and viewers may not (docs/roles.md).
    response = patch(api(name), "/api/plans/A1/", {"strengths": "Fast delivery", "version": 1})
    assert response.status_code == status, response.content
    plan = Plan.objects.filter(account__account_id="A1").first()
    assert (plan is not None and plan.strengths == "Fast delivery") == (status == 200)


def test_an_edit_writes_the_audit_trail_and_a_plan_version(api):
    response = patch(
        api("Alice"),
        "/api/plans/A1/",
        {"strengths": "Fast delivery", "share_of_wallet": "35.5", "version": 1, "note": "Q3"},
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["share_of_wallet"] == "35.5"
    event = AuditEvent.objects.get(account_key="A1", action="update")
    assert event.user.username == "alice"
    assert event.changes["strengths"] == ["", "Fast delivery"]
    version = Plan.objects.get(account__account_id="A1").versions.get()
    assert (version.number, version.note) == (1, "Q3")


def test_a_stale_version_is_refused_with_409_and_both_values(api):
    alice, chris = api("Alice"), api("Chris")
    assert patch(alice, "/api/plans/A1/", {"strengths": "Alice's", "version": 1}).status_code == 200
    response = patch(chris, "/api/plans/A1/", {"strengths": "Chris's", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == 2
    assert body["conflicts"]["strengths"] == {"theirs": "Alice's", "yours": "Chris's"}
    assert Plan.objects.get(account__account_id="A1").strengths == "Alice's"
    missing = patch(chris, "/api/plans/A1/", {"strengths": "no version"})
    assert missing.status_code == 400 and "version" in missing.json()


def test_versions_list_one_version_and_compare(api):
    alice = api("Alice")
    patch(alice, "/api/plans/A1/", {"strengths": "Fast delivery", "version": 1})
    patch(alice, "/api/plans/A1/", {"strengths": "Fast delivery; R&D", "version": 2})
    versions = alice.get("/api/plans/A1/versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["author"] == "alice" and versions[0]["signed_by"] is None
    one = api("Vera").get("/api/plans/A1/versions/1/").json()
    assert one["content"]["plan"]["strengths"] == "Fast delivery"
    rows = api("Vera").get("/api/plans/A1/compare/?a=2&b=1").json()
    assert rows == [
        {
            "section": "plan",
            "item": "",
            "field": "strengths",
            "old": "Fast delivery",
            "new": "Fast delivery; R&D",
            "change": "changed",
        }
    ]
    assert alice.get("/api/plans/A1/compare/?a=1").status_code == 400
    assert alice.get("/api/plans/A1/compare/?a=1&b=9").status_code == 404


@pytest.mark.parametrize(
    ("name", "status"), [("Sam", 200), ("Alice", 403), ("Chris", 403), ("Vera", 403)]
)
def test_only_the_sponsor_signs_off(api, programme, name, status):
    patch(api("Alice"), "/api/plans/A1/", {"strengths": "Fast delivery", "version": 1})
    response = post(api(name), "/api/plans/A1/versions/1/sign/")
    assert response.status_code == status, response.content
    version = Plan.objects.get(account__account_id="A1").versions.get(number=1)
    if status == 200:
        assert response.json()["signed_by"] == "P-Sam"
        assert version.signed_by == programme["people"]["Sam"]
        assert AuditEvent.objects.filter(message="signed off version 1").exists()
    else:
        assert version.signed_at is None


def test_a_plan_cannot_be_created_or_deleted_through_the_api(api):
    chris = api("Chris")
    assert post(chris, "/api/plans/", {"account": "A2"}).status_code == 405
    assert chris.delete("/api/plans/A1/").status_code == 405


# --- rows of a plan -----------------------------------------------------------------------

PARTS = [
    ("objectives", {"year": 2025, "metric": "net_contribution", "target": "120000.00"}),
    ("value-propositions", {"solution": "Vendor-managed stock", "customer_gain": "-15 % stock"}),
    ("whitespace", {"product_line": "Biotech", "business_unit": "Dairy", "potential": "50000.00"}),
    ("risks", {"description": "Competitor price cut", "likelihood": "high", "impact": "medium"}),
    ("actions", {"title": "Run a joint S&OP pilot", "due": "2025-09-30", "owner": "P-Olga"}),
]


@pytest.mark.parametrize(("prefix", "values"), PARTS, ids=[p for p, _ in PARTS])
def test_the_kam_adds_edits_and_removes_every_kind_of_row(api, prefix, values):
    alice = api("Alice")
    created = post(alice, f"/api/{prefix}/", {"account": "A1", **values})
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["account"] == "A1" and row["version"] == 1
    for key, value in values.items():
        assert row[key] == value
    plan = Plan.objects.get(account__account_id="A1")
    assert plan.versions.count() == 1  # adding a row is a plan version
    # Everybody reads it, filtered by account.
    listed = api("Vera").get(f"/api/{prefix}/?account=A1").json()["results"]
    assert [r["id"] for r in listed] == [row["id"]]
    assert api("Vera").get(f"/api/{prefix}/?account=A2").json()["results"] == []
    # An edit with the current version passes, the same stale version then answers 409.
    first_field = next(iter(values))
    edit = {"version": 1, first_field: values[first_field]}
    if first_field in ("year",):
        edit[first_field] = 2026
    elif first_field in ("solution", "product_line", "description", "title"):
        edit[first_field] = values[first_field] + " (revised)"
    updated = patch(alice, f"/api/{prefix}/{row['id']}/", edit)
    assert updated.status_code == 200, updated.content
    assert updated.json()["version"] == 2
    assert patch(alice, f"/api/{prefix}/{row['id']}/", edit).status_code == 409
    # The account of a row cannot be changed afterwards.
    moved = patch(alice, f"/api/{prefix}/{row['id']}/", {"account": "A2", "version": 2})
    assert moved.status_code == 200 and moved.json()["account"] == "A1"
    # Removing is allowed to whoever edits the plan, as on the plan page.
    assert api("Vera").delete(f"/api/{prefix}/{row['id']}/").status_code == 403
    assert api("Bob").delete(f"/api/{prefix}/{row['id']}/").status_code == 403
    assert alice.delete(f"/api/{prefix}/{row['id']}/").status_code == 204
    assert plan.versions.count() == 3  # added, edited, removed
    kinds = set(AuditEvent.objects.filter(account_key="A1").values_list("action", flat=True))
    assert kinds == {"create", "update", "delete"}


@pytest.mark.parametrize(("name", "status"), [("Bob", 403), ("Vera", 403), ("Olga", 201)])
def test_only_the_accounts_editors_add_rows(api, name, status):
    values = {"account": "A1", "year": 2025, "metric": "net_sales", "target": "1000.00"}
    response = post(api(name), "/api/objectives/", values)
    assert response.status_code == status, response.content
    assert Objective.objects.count() == (1 if status == 201 else 0)


def test_invalid_rows_are_refused_with_400(api):
    alice = api("Alice")
    values = {"account": "A1", "year": 2025, "metric": "net_sales", "target": "1000.00"}
    assert post(alice, "/api/objectives/", values).status_code == 201
    again = post(alice, "/api/objectives/", values)  # one target per metric and year
    assert again.status_code == 400, again.content
    bad = post(alice, "/api/risks/", {"account": "A1", "description": "x", "impact": "huge"})
    assert bad.status_code == 400 and "impact" in bad.json()
    unknown = post(alice, "/api/actions/", {"account": "A1", "title": "x", "owner": "P-Nobody"})
    assert unknown.status_code == 400 and "owner" in unknown.json()


def test_actions_filter_overdue_and_by_owner(api, programme):
    # Given: today T; an open action due yesterday (overdue), one in progress due last
    # month (overdue), one done yesterday (not overdue: done), one due tomorrow, one
    # without a due date. Overdue = due < T and status open or in progress (plan alerts).
    today = timezone.localdate()
    plan = services.plan_for(programme["accounts"]["A1"])
    olga, alice = programme["people"]["Olga"], programme["people"]["Alice"]
    day = dt.timedelta(days=1)
    for title, due, status, owner in [
        ("late", today - day, "open", olga),
        ("later", today - 30 * day, "in_progress", alice),
        ("done", today - day, "done", olga),
        ("next", today + day, "open", olga),
        ("someday", None, "open", None),
    ]:
        Action.objects.create(plan=plan, title=title, due=due, status=status, owner=owner)
    vera = api("Vera")

    def titles(query):
        return sorted(r["title"] for r in vera.get(f"/api/actions/?{query}").json()["results"])

    assert titles("overdue=true") == ["late", "later"]
    assert titles("overdue=false") == ["done", "next", "someday"]
    assert titles("owner=P-Olga") == ["done", "late", "next"]
    assert titles("owner=P-Olga&overdue=true") == ["late"]
    assert titles("status=done") == ["done"]


def test_plan_and_map_endpoints_are_in_the_openapi_schema(api):
    # One schema for both apps: generating it takes seconds.
    schema = yaml.safe_load(api("Vera").get("/api/schema/").content)
    for path in (
        "/api/plans/",
        "/api/plans/{account_id}/",
        "/api/plans/{account_id}/versions/",
        "/api/plans/{account_id}/versions/{number}/",
        "/api/plans/{account_id}/versions/{number}/sign/",
        "/api/plans/{account_id}/compare/",
        "/api/objectives/{id}/",
        "/api/value-propositions/{id}/",
        "/api/whitespace/{id}/",
        "/api/risks/{id}/",
        "/api/actions/",
        "/api/contact-profiles/",
        "/api/contact-profiles/{contact_id}/",
        "/api/relationships/",
        "/api/relationships/{id}/",
        "/api/dotted-lines/",
        "/api/dotted-lines/{id}/",
        "/api/coverage/{account_id}/",
    ):
        assert path in schema["paths"], path
    assert "post" not in schema["paths"]["/api/plans/"]
    assert "delete" not in schema["paths"]["/api/plans/{account_id}/"]
    assert "post" in schema["paths"]["/api/plans/{account_id}/versions/{number}/sign/"]
    params = {p["name"] for p in schema["paths"]["/api/actions/"]["get"]["parameters"]}
    assert {"overdue", "owner", "account", "status"} <= params
    assert set(schema["paths"]["/api/coverage/{account_id}/"]) == {"get"}
    assert "put" not in schema["paths"]["/api/dotted-lines/{id}/"]
