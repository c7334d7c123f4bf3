"""Who may edit what, enforced on the server for pages and API alike."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

EDIT = {
    "name": "Renamed",
    "industry": "food",
    "region": "EMEA",
    "country": "",
    "parent": "",
    "kam": "",
    "sponsor": "",
    "notes": "",
}


def post_edit(client, account, **changes):
    data = {**EDIT, "version": account.version, **changes}
    if account.kam:
        data["kam"] = account.kam.pk
    return client.post(f"/accounts/{account.account_id}/edit/", data)


@pytest.mark.parametrize(
    ("who", "account", "allowed"),
    [
        ("Alice", "A1", True),  # her own account
        ("Alice", "A2", False),  # Bob's account
        ("Bob", "A1", False),
        ("Olga", "A1", True),  # on A1's account team
        ("Olga", "A2", False),
        ("Vera", "A1", False),  # viewers edit nothing
        ("Sam", "A1", False),  # sponsors sign off plans, they do not edit the account facts
        ("Chris", "A2", True),  # the champion edits everything
    ],
)
def test_edit_page_is_refused_unless_allowed(programme, login, who, account, allowed):
    client = login(programme["users"][who])
    acc = programme["accounts"][account]
    assert client.get(f"/accounts/{account}/edit/").status_code == (200 if allowed else 403)
    response = post_edit(client, acc)
    assert response.status_code == (302 if allowed else 403)
    acc.refresh_from_db()
    assert (acc.name == "Renamed") is allowed


def test_edit_button_only_for_those_who_may_edit(programme, login):
    page = login(programme["users"]["Bob"]).get("/accounts/A1/").content.decode()
    assert "/accounts/A1/edit/" not in page
    page = login(programme["users"]["Alice"]).get("/accounts/A1/").content.decode()
    assert "/accounts/A1/edit/" in page


@pytest.mark.parametrize(
    ("who", "account", "status"),
    [("Alice", "A1", 200), ("Alice", "A2", 403), ("Vera", "A1", 403), ("Chris", "A2", 200)],
)
def test_api_patch_follows_the_same_rules(programme, who, account, status):
    api = APIClient()
    api.force_authenticate(programme["users"][who])
    acc = programme["accounts"][account]
    response = api.patch(
        f"/api/accounts/{account}/", {"name": "Via API", "version": acc.version}, format="json"
    )
    assert response.status_code == status, response.content
    acc.refresh_from_db()
    assert (acc.name == "Via API") is (status == 200)


def test_api_requires_login(programme):
    assert APIClient().get("/api/accounts/").status_code in (401, 403)


def test_token_auth_reads(programme):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=programme["users"]["Vera"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/accounts/?industry=food")
    assert response.status_code == 200
    assert {a["account_id"] for a in response.json()["results"]} == {"A1", "A3"}


def test_kam_cannot_add_contact_to_another_kams_account_via_api(programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    ok = api.post(
        "/api/contacts/", {"contact_id": "C9", "account": "A1", "name": "New"}, format="json"
    )
    assert ok.status_code == 201, ok.content
    refused = api.post(
        "/api/contacts/", {"contact_id": "C10", "account": "A2", "name": "X"}, format="json"
    )
    assert refused.status_code == 400
    assert "A2" in refused.content.decode()


def test_only_programme_roles_create_accounts_via_api(programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    body = {"account_id": "A9", "name": "New", "industry": "x", "region": "y"}
    assert api.post("/api/accounts/", body, format="json").status_code == 403
    api.force_authenticate(programme["users"]["Chris"])
    assert api.post("/api/accounts/", body, format="json").status_code == 201


def test_pages_require_login(client, programme):
    response = client.get("/accounts/A1/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
