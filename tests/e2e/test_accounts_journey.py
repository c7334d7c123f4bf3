"""A person signs in, searches the account list and opens an account."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from openkam.web.accounts.models import Account, Contact
from openkam.web.people.models import Person

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def data(transactional_db):
    user = get_user_model().objects.create_user("kim", password="kim-secret-1")
    kim = Person.objects.create(person_id="P1", name="Kim Keller", role="kam", user=user)
    acme = Account.objects.create(
        account_id="ACME",
        name="Acme Foods",
        industry="food",
        region="EMEA",
        kam=kim,
        key_status="key",
    )
    for i in range(60):
        Account.objects.create(
            account_id=f"B{i:02d}", name=f"Beta Metals {i:02d}", industry="metals", region="APAC"
        )
    Contact.objects.create(
        contact_id="C1", account=acme, name="Carla Buyer", title="Head of Procurement"
    )


def test_sign_in_search_open_account(live_server, page, data):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/accounts/")
    # Not signed in: sent to the login page.
    assert "/login/" in page.url
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password]", "kim-secret-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/")
    assert page.locator("#accounts tbody tr").count() == 50  # first page of 61
    # Typing in the search box refreshes the table in place (htmx).
    page.fill("input[name=q]", "acme")
    # A locator assertion, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#accounts tbody tr")).to_have_count(1)
    assert "q=acme" in page.url
    page.screenshot(path=str(SHOTS / "account-list.png"), full_page=True)
    page.click("text=Acme Foods")
    page.wait_for_url("**/accounts/ACME/")
    assert page.locator("h1").inner_text().startswith("Acme Foods")
    assert page.locator("#contacts").get_by_text("Carla Buyer").is_visible()
    assert page.locator("a.btn.primary", has_text="Edit").is_visible()  # it is Kim's account
    page.screenshot(path=str(SHOTS / "account-detail.png"), full_page=True)
