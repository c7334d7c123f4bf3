"""REST API of relationship maps: profiles, relationships, dotted lines, coverage gaps.

Roles from the ``programme`` fixture: Alice is A1's KAM, Olga on A1's team, Bob A2's KAM,
Chris the champion, Vera a viewer. A1 has one contact, C1 (Carla Buyer).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from openkam.web.accounts.models import Contact
from openkam.web.core.models import AuditEvent
from openkam.web.relationships.models import ContactProfile, DottedLine, Relationship


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


@pytest.fixture
def c2(programme):
    """Given: a second contact at A1 reporting to C1, and one at A2."""
    Contact.objects.create(
        contact_id="C3", account=programme["accounts"]["A2"], name="Dora Director"
    )
    return Contact.objects.create(
        contact_id="C2",
        account=programme["accounts"]["A1"],
        name="Emil Engineer",
        reports_to=Contact.objects.get(contact_id="C1"),
    )


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


# --- contact profiles ---------------------------------------------------------------------


def test_a_profile_reads_with_defaults_and_the_kam_sets_influence_and_attitude(api):
    body = api("Vera").get("/api/contact-profiles/C1/").json()
    assert (body["contact"], body["account"], body["contact_name"]) == ("C1", "A1", "Carla Buyer")
    assert (body["influence"], body["attitude"], body["version"]) == (3, "neutral", 1)
    response = patch(
        api("Alice"),
        "/api/contact-profiles/C1/",
        {"influence": 5, "attitude": "advocate", "buying_role": "economic_buyer", "version": 1},
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    profile = ContactProfile.objects.get(contact__contact_id="C1")
    assert (profile.influence, profile.attitude) == (5, "advocate")
    event = AuditEvent.objects.get(account_key="A1", action="update")
    assert event.changes["influence"] == [3, 5]
    assert api("Vera").get("/api/contact-profiles/?account=A1").json()["count"] == 1
    assert api("Vera").get("/api/contact-profiles/NOPE/").status_code == 404


@pytest.mark.parametrize(
    ("name", "status"), [("Alice", 200), ("Olga", 200), ("Chris", 200), ("Bob", 403), ("Vera", 403)]
)
def test_who_may_edit_a_profile(api, name, status):
    api("Vera").get("/api/contact-profiles/C1/")  # the profile exists at version 1
    response = patch(api(name), "/api/contact-profiles/C1/", {"influence": 4, "version": 1})
    assert response.status_code == status, response.content


def test_profile_stale_version_409_and_out_of_range_influence_400(api):
    alice, chris = api("Alice"), api("Chris")
    ok = patch(alice, "/api/contact-profiles/C1/", {"influence": 4, "version": 1})
    assert ok.status_code == 200
    stale = patch(chris, "/api/contact-profiles/C1/", {"influence": 2, "version": 1})
    assert stale.status_code == 409
    assert stale.json()["conflicts"]["influence"] == {"theirs": 4, "yours": 2}
    bad = patch(alice, "/api/contact-profiles/C1/", {"influence": 6, "version": 2})
    assert bad.status_code == 400 and "influence" in bad.json()


# --- relationships ------------------------------------------------------------------------


def test_relationships_add_edit_remove_with_their_permissions(api):
    alice = api("Alice")
    values = {"contact": "C1", "person": "P-Alice", "strength": 4, "last_contact": "2025-06-01"}
    assert post(api("Bob"), "/api/relationships/", values).status_code == 403
    assert post(api("Vera"), "/api/relationships/", values).status_code == 403
    created = post(alice, "/api/relationships/", values)
    assert created.status_code == 201, created.content
    rel = created.json()
    assert (rel["account"], rel["person"], rel["strength"]) == ("A1", "P-Alice", 4)
    # One row per person and contact.
    assert post(alice, "/api/relationships/", values).status_code == 400
    too_strong = post(alice, "/api/relationships/", {**values, "person": "P-Sam", "strength": 6})
    assert too_strong.status_code == 400 and "strength" in too_strong.json()
    url = f"/api/relationships/{rel['id']}/"
    assert patch(alice, url, {"strength": 5, "version": 1}).json()["strength"] == 5
    assert patch(api("Chris"), url, {"strength": 2, "version": 1}).status_code == 409
    assert patch(api("Bob"), url, {"strength": 2, "version": 2}).status_code == 403
    # Who holds it and with whom is fixed once created.
    moved = patch(alice, url, {"person": "P-Bob", "version": 2})
    assert moved.status_code == 200 and moved.json()["person"] == "P-Alice"
    assert api("Vera").get("/api/relationships/?person=P-Alice").json()["count"] == 1
    assert api("Vera").get("/api/relationships/?account=A2").json()["count"] == 0
    assert api("Vera").delete(url).status_code == 403
    assert alice.delete(url).status_code == 204
    assert not Relationship.objects.exists()
    kinds = set(AuditEvent.objects.filter(account_key="A1").values_list("action", flat=True))
    assert kinds == {"create", "update", "delete"}


# --- dotted lines -------------------------------------------------------------------------


def test_dotted_lines_within_one_account(api, c2):
    alice = api("Alice")
    line = {"contact": "C2", "to_contact": "C1", "note": "matrix to procurement"}
    assert post(api("Bob"), "/api/dotted-lines/", line).status_code == 403
    created = post(alice, "/api/dotted-lines/", line)
    assert created.status_code == 201, created.content
    assert created.json()["account"] == "A1"
    assert post(alice, "/api/dotted-lines/", line).status_code == 400  # already there
    across = post(alice, "/api/dotted-lines/", {"contact": "C2", "to_contact": "C3"})
    assert across.status_code == 400 and "to_contact" in across.json()
    assert (
        post(alice, "/api/dotted-lines/", {"contact": "C2", "to_contact": "C2"}).status_code == 400
    )
    url = f"/api/dotted-lines/{created.json()['id']}/"
    assert api("Vera").get("/api/dotted-lines/?contact=C2").json()["count"] == 1
    assert api("Vera").delete(url).status_code == 403
    assert alice.delete(url).status_code == 204
    assert not DottedLine.objects.exists()


# --- coverage gaps ------------------------------------------------------------------------


def test_coverage_gaps_of_an_account(api, c2, programme):
    vera = api("Vera")
    # Given: C1 at the top with C2 below, nobody of ours knows either. By the rules of
    # relationships.coverage, worked by hand: the top (C1) has no working relationship;
    # there is no strong relationship at all; both were never touched (stale).
    body = vera.get("/api/coverage/A1/").json()
    assert body["account"] == "A1" and body["stale_after_days"] == 90
    gaps = {g["rule"]: g for g in body["gaps"]}
    assert list(gaps) == ["top_level_uncovered", "single_threaded", "stale"]
    assert gaps["top_level_uncovered"]["contact_ids"] == ["C1"]
    assert (
        gaps["single_threaded"]["message"] == "No strong relationship with anyone at the account."
    )
    assert gaps["stale"]["detail"] == ["Carla Buyer: never", "Emil Engineer: never"]
    # When: Alice (strength 4) and Sam (strength 5) know C1, last met 40 days ago.
    today = timezone.localdate()
    for who, strength in (("Alice", 4), ("Sam", 5)):
        Relationship.objects.create(
            contact=Contact.objects.get(contact_id="C1"),
            person=programme["people"][who],
            strength=strength,
            last_contact=today - dt.timedelta(days=40),
        )
    # Then: the top is covered by two holders; only C2 is stale at 90 days, both at 30.
    gaps = {g["rule"]: g for g in vera.get("/api/coverage/A1/").json()["gaps"]}
    assert list(gaps) == ["stale"] and gaps["stale"]["contact_ids"] == ["C2"]
    gaps = {g["rule"]: g for g in vera.get("/api/coverage/A1/?days=30").json()["gaps"]}
    assert gaps["stale"]["contact_ids"] == ["C1", "C2"]
    assert vera.get("/api/coverage/A1/?days=x").status_code == 400
    assert vera.get("/api/coverage/NOPE/").status_code == 404
    assert Client().get("/api/coverage/A1/").status_code in (401, 403)
    assert api("Chris").post("/api/coverage/A1/").status_code == 405
