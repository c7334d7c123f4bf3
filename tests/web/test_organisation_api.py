"""The organisation's REST API: rules hold, permissions hold, every write is audited."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from rest_framework.test import APIClient

from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.people.models import Assignment, Person, ProgrammeRules, SponsorVisit


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def org(programme):
    # Bob's A2 becomes key so both KAMs carry one key account; Dana is a second KAM-to-be.
    Account.objects.filter(account_id="A2").update(key_status="key")
    return programme


def test_patch_account_kam_is_refused_with_the_rule_and_nothing_changes(org):
    chris = api_as(org["users"]["Chris"])
    a1 = Account.objects.get(account_id="A1")
    events = AuditEvent.objects.count()
    response = chris.patch(
        "/api/accounts/A1/", {"kam": "P-Vera", "version": a1.version}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "Vera (viewer) has no key account management role" in body["detail"]
    assert {v["rule"] for v in body["violations"]} >= {"kam_role"}
    assert body["exception_allowed"] is True
    a1.refresh_from_db()
    assert a1.kam.name == "Alice" and a1.version == 1
    assert AuditEvent.objects.count() == events


def test_patch_account_with_an_exception_goes_through(org):
    chris = api_as(org["users"]["Chris"])
    response = chris.patch(
        "/api/accounts/A1/",
        {
            "kam": "P-Bob",
            "version": 1,
            "assignment_reason": "Alice on leave",
            "exception_reason": "Bob covers until Alice is back",
            "effective": "2025-07-01",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    row = Assignment.objects.get(account__account_id="A1", role="kam", end__isnull=True)
    assert (row.person.name, row.start, row.source) == ("Bob", dt.date(2025, 7, 1), "api")
    assert row.exception_reason == "Bob covers until Alice is back"


def test_a_kam_cannot_make_anyone_sponsor_of_their_own_account(org):
    alice = api_as(org["users"]["Alice"])
    response = alice.patch("/api/accounts/A1/", {"sponsor": "P-Alice", "version": 1}, format="json")
    assert response.status_code == 403
    response = alice.post(
        "/api/assignments/",
        {"account": "A1", "role": "sponsor", "person": "P-Alice"},
        format="json",
    )
    assert response.status_code == 403
    assert Account.objects.get(account_id="A1").sponsor.name == "Sam"
    # Editing her account's other facts still works.
    response = alice.patch("/api/accounts/A1/", {"notes": "x", "version": 1}, format="json")
    assert response.status_code == 200


def test_assignments_create_and_read(org):
    chris = api_as(org["users"]["Chris"])
    Person.objects.create(
        person_id="P-Cleo", name="Cleo", role="sponsor", executive_level="c_level"
    )
    response = chris.post(
        "/api/assignments/",
        {"account": "A2", "role": "sponsor", "person": "P-Cleo", "reason": "new sponsor"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["changes"] == {"sponsor": [None, "Cleo"]}
    assert body["assignment"]["person"] == "P-Cleo" and body["assignment"]["end"] is None
    listed = chris.get("/api/assignments/?account=A2&current=true").json()["results"]
    assert [(r["role"], r["person"]) for r in listed] == [("sponsor", "P-Cleo")]
    # A refused one: Cleo cannot be KAM and sponsor of A2.
    response = chris.post(
        "/api/assignments/",
        {"account": "A2", "role": "kam", "person": "P-Cleo"},
        format="json",
    )
    assert response.status_code == 400
    assert "kam_is_sponsor" in {v["rule"] for v in response.json()["violations"]}
    # Bad input: unknown account, impossible date.
    response = chris.post(
        "/api/assignments/", {"account": "NOPE", "role": "kam", "person": "P-Bob"}, format="json"
    )
    assert response.status_code == 400 and "account" in response.json()
    response = chris.post(
        "/api/assignments/",
        {"account": "A2", "role": "sponsor", "person": "P-Sam", "effective": "2020-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "before the current sponsor's start" in response.json()["detail"]


def test_rules_read_by_all_changed_by_the_champion_with_a_version(org):
    vera = api_as(org["users"]["Vera"])
    assert vera.get("/api/programme-rules/current/").json()["kam_max_accounts"] == 5
    response = vera.patch("/api/programme-rules/current/", {"kam_max_accounts": 4, "version": 1})
    assert response.status_code == 403
    chris = api_as(org["users"]["Chris"])
    response = chris.patch(
        "/api/programme-rules/current/", {"kam_max_accounts": 4, "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = chris.patch(
        "/api/programme-rules/current/", {"kam_max_accounts": 3, "version": 1}, format="json"
    )
    assert stale.status_code == 409
    bad = chris.patch(
        "/api/programme-rules/current/", {"kam_min_accounts": 9, "version": 2}, format="json"
    )
    assert bad.status_code == 400 and "kam_min_accounts" in bad.json()
    assert ProgrammeRules.current().kam_max_accounts == 4
    assert AuditEvent.objects.filter(content_type__model="programmerules").count() == 1


def test_violations_endpoint_lists_what_is_broken(org):
    body = api_as(org["users"]["Vera"]).get("/api/rule-violations/").json()
    # Alice and Bob each carry one key account: under the minimum of two (hand count).
    under = sorted(v["person_name"] for v in body if v["rule"] == "kam_min_accounts")
    assert under == ["Alice", "Bob"]


def test_visits_by_the_sponsor_only(org):
    sam = api_as(org["users"]["Sam"])
    response = sam.post(
        "/api/sponsor-visits/",
        {"account": "A1", "sponsor": "P-Sam", "date": "2025-03-01", "people_met": ["C1"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert SponsorVisit.objects.get().people_met.get().name == "Carla Buyer"
    assert AuditEvent.objects.filter(content_type__model="sponsorvisit").count() == 1
    # Alice (a KAM) cannot log Sam's visits.
    response = api_as(org["users"]["Alice"]).post(
        "/api/sponsor-visits/",
        {"account": "A1", "sponsor": "P-Sam", "date": "2025-03-02"},
        format="json",
    )
    assert response.status_code == 403
    # A visit in the future is refused.
    response = sam.post(
        "/api/sponsor-visits/",
        {"account": "A1", "sponsor": "P-Sam", "date": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "date" in response.json()
    status = sam.get("/api/sponsor-visit-status/?sponsor=P-Sam").json()
    assert status[0]["account"] == "A1" and status[0]["last_visit"] == "2025-03-01"


def test_assessments_targets_training_and_champion(org):
    chris = api_as(org["users"]["Chris"])
    assert (
        chris.post(
            "/api/competency-targets/", {"competency": "planning", "level": 4}, format="json"
        ).status_code
        == 201
    )
    assert (
        chris.post(
            "/api/competency-targets/", {"competency": "planning", "level": 3}, format="json"
        ).json()["level"]
        == 3
    )
    response = chris.post(
        "/api/competency-assessments/",
        {"person": "P-Alice", "competency": "planning", "level": 6, "assessed_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 400  # levels are 1–5
    response = chris.post(
        "/api/competency-assessments/",
        {"person": "P-Alice", "competency": "planning", "level": 2, "assessed_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["assessed_by"] == "P-Chris"
    response = chris.post(
        "/api/training/",
        {
            "person": "P-Olga",
            "course": "KAM for operations",
            "kam_training": True,
            "date": "2025-02-01",
            "completed": True,
        },
        format="json",
    )
    assert response.status_code == 201
    alice = api_as(org["users"]["Alice"])
    assert (
        alice.post(
            "/api/training/",
            {"person": "P-Alice", "course": "x", "date": "2025-02-01"},
            format="json",
        ).status_code
        == 403
    )
    ceo = Person.objects.create(person_id="P-CEO", name="Cara", executive_level="c_level")
    response = chris.post(
        "/api/champion/",
        {"person": "P-Chris", "since": "2024-01-01", "reports_to": ceo.person_id},
        format="json",
    )
    assert response.status_code == 201
    assert chris.get("/api/champion/").json()["results"][0]["reports_to"] == "P-CEO"


def test_schema_lists_the_organisation(org, login):
    schema = yaml.safe_load(login(org["users"]["Vera"]).get("/api/schema/").content)
    for path in (
        "/api/assignments/",
        "/api/competency-assessments/",
        "/api/competency-targets/",
        "/api/training/",
        "/api/sponsor-visits/",
        "/api/sponsor-visit-status/",
        "/api/programme-rules/{id}/",
        "/api/rule-violations/",
        "/api/champion/",
    ):
        assert path in schema["paths"], path
    person = schema["components"]["schemas"]["Person"]["properties"]
    assert {"function", "executive_level", "full_time_kam", "reports_to"} <= set(person)


def test_a_kam_may_put_their_account_with_kam_and_sponsor_unchanged(org):
    alice = api_as(org["users"]["Alice"])
    body = alice.get("/api/accounts/A1/").json()
    body = {k: v for k, v in body.items() if k not in ("url", "created", "updated")}
    response = alice.put("/api/accounts/A1/", {**body, "notes": "Renewal in May"}, format="json")
    assert response.status_code == 200, response.json()
    assert Account.objects.get(account_id="A1").notes == "Renewal in May"
    # Changing the sponsor in the same request is refused, and nothing is saved.
    response = alice.put(
        "/api/accounts/A1/",
        {**body, "sponsor": None, "notes": "x", "version": response.json()["version"]},
        format="json",
    )
    assert response.status_code == 403
    assert Account.objects.get(account_id="A1").notes == "Renewal in May"


def test_a_sponsors_own_cadence_through_the_api(org):
    chris = api_as(org["users"]["Chris"])
    Assignment.objects.create(
        account=Account.objects.get(account_id="A1"),
        role="sponsor",
        person=org["people"]["Sam"],
        start=dt.date(2025, 1, 1),
    )
    response = chris.post(
        "/api/assignments/",
        {"account": "A1", "role": "sponsor", "person": "P-Sam", "visit_every_days": 60},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignment"]["visit_every_days"] == 60
