"""Every change is recorded; a stale edit is refused and shown, never silently applied."""

from __future__ import annotations

from rest_framework.test import APIClient

from openkam.web.accounts import services
from openkam.web.core.models import AuditEvent


def test_update_records_who_when_and_what(programme, login):
    alice = programme["users"]["Alice"]
    acc = programme["accounts"]["A1"]
    services.update_account(acc, {"name": "Acme Foods Group"}, acc.version, alice)
    event = AuditEvent.objects.get(action="update", account_key="A1")
    assert event.user == alice
    assert event.changes == {"name": ["Acme Foods", "Acme Foods Group"]}
    acc.refresh_from_db()
    assert acc.version == 2
    # The change is visible on the account's page.
    page = login(alice).get("/accounts/A1/").content.decode()
    assert "Acme Foods Group" in page and "Alice" in page and "updated" in page


def test_saving_without_a_change_records_nothing(programme):
    acc = programme["accounts"]["A1"]
    assert (
        services.update_account(acc, {"name": acc.name}, acc.version, programme["users"]["Alice"])
        == {}
    )
    assert not AuditEvent.objects.filter(action="update").exists()


def test_contact_create_and_delete_are_audited(programme):
    alice = programme["users"]["Alice"]
    contact = services.create_contact(
        programme["accounts"]["A1"], {"contact_id": "C2", "name": "Dan"}, alice
    )
    services.delete_contact(contact, alice)
    actions = list(AuditEvent.objects.filter(account_key="A1").values_list("action", flat=True))
    assert actions == ["delete", "create"]  # newest first


def test_second_of_two_concurrent_page_edits_is_told_and_shown_the_difference(programme, login):
    # Given: Alice and Chris both open the edit form at version 1.
    acc = programme["accounts"]["A1"]
    form = {
        "industry": "food",
        "region": "EMEA",
        "country": "",
        "parent": "",
        "kam": acc.kam.pk,
        "sponsor": acc.sponsor.pk,
        "notes": "",
        "version": 1,
    }
    chris = login(programme["users"]["Chris"])
    # When: Chris saves first, then Alice saves her own name from the same version.
    assert chris.post("/accounts/A1/edit/", {**form, "name": "Chris's name"}).status_code == 302
    alice = login(programme["users"]["Alice"])
    response = alice.post("/accounts/A1/edit/", {**form, "name": "Alice's name"})
    # Then: Alice is told, sees both values, and Chris's save stands.
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else" in page or "Someone else saved" in page
    assert "Chris&#x27;s name" in page and "Alice&#x27;s name" in page
    acc.refresh_from_db()
    assert acc.name == "Chris's name"
    # Saving again from the version she has now seen succeeds.
    assert (
        alice.post("/accounts/A1/edit/", {**form, "name": "Alice's name", "version": 2}).status_code
        == 302
    )
    acc.refresh_from_db()
    assert acc.name == "Alice's name" and acc.version == 3


def test_api_stale_version_is_409_with_conflicts(programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    assert (
        api.patch("/api/accounts/A1/", {"name": "First", "version": 1}, format="json").status_code
        == 200
    )
    response = api.patch("/api/accounts/A1/", {"name": "Second", "version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["current_version"] == 2
    assert body["conflicts"]["name"] == {"theirs": "First", "yours": "Second"}


def test_api_update_without_version_is_refused(programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    response = api.patch("/api/accounts/A1/", {"name": "X"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_notes_past_the_documented_limit_are_refused_on_the_api_and_the_form(programme, login):
    """Notes hold at most 10,000 characters (docs/data-model.md), as imports hold them:
    200,000 through the API used to be saved, and every page showing the change then
    carried them."""
    from openkam.store.convert import NOTES_LIMIT

    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    long = "a" * (NOTES_LIMIT + 1)
    response = api.patch("/api/accounts/A1/", {"notes": long, "version": 1}, format="json")
    assert response.status_code == 400
    assert "10000" in str(response.json()["notes"])
    acc = programme["accounts"]["A1"]
    form = {
        "name": acc.name,
        "industry": "food",
        "region": "EMEA",
        "country": "",
        "parent": "",
        "kam": acc.kam.pk,
        "sponsor": acc.sponsor.pk,
        "notes": long,
        "version": 1,
    }
    page = login(programme["users"]["Alice"]).post("/accounts/A1/edit/", form)
    assert page.status_code == 200 and "10000" in page.content.decode()
    acc.refresh_from_db()
    assert acc.notes == "" and acc.version == 1
    # At the limit, the notes are saved.
    response = api.patch(
        "/api/accounts/A1/", {"notes": long[:NOTES_LIMIT], "version": 1}, format="json"
    )
    assert response.status_code == 200
