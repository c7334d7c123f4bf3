"""The champion applies a selection review: the review page lists the proposed changes with
their reasons, applying asks for confirmation and lists them again, and the accounts then
stand as the review decided."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from openkam.engine.selection import config_to_dict, default_config
from openkam.web.accounts.models import Account
from openkam.web.people.models import Person, ProgrammeRules
from openkam.web.portfolio import services

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def review(transactional_db):
    """Given: a champion, two full-time KAMs (each may carry one key account), a C-level
    sponsor; Acme and Borealis are both key with Kim, one more than Kim may carry, so the
    review must hand one (Borealis: equal gains, the later id) to Lee."""
    user = get_user_model().objects.create_user("chris", password="chris-secret-1")
    Person.objects.create(person_id="P1", name="Chris Champion", role="champion", user=user)
    kim = Person.objects.create(person_id="P2", name="Kim Keller", role="kam", full_time_kam=True)
    Person.objects.create(person_id="P4", name="Lee Lang", role="kam", full_time_kam=True)
    sam = Person.objects.create(
        person_id="P3", name="Sam Sponsor", role="sponsor", executive_level="c_level"
    )
    ProgrammeRules.objects.create(kam_min_accounts=1, kam_max_accounts=1)
    for account_id, name in (("A1", "Acme Foods"), ("A2", "Borealis Chemicals")):
        Account.objects.create(
            account_id=account_id, name=name, industry="food", region="EMEA", kam=kim, sponsor=sam
        )
    Account.objects.update(key_status="key")
    rules = config_to_dict(default_config())
    rules["programme"] = {"min_accounts": 1, "max_accounts": 2}
    rules["hysteresis"] = {"entry": 0.0, "exit": 0.0, "reviews": 2}
    rules["economics"] = {"kam_cost": 0.0, "account_cost": 0.0}
    services.save_criteria(rules, user, "two-account programme")
    return services.create_review(user, "2026 yearly")


def test_apply_a_review_and_see_its_changes_listed_and_confirmed(
    live_server, page, sign_in, review
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("chris", "chris-secret-1")
    page.goto(f"{live_server.url}{review.get_absolute_url()}")
    changes = page.locator("#changes")
    # Both stay key; Borealis changes KAM because Kim would carry more than the maximum.
    assert "Borealis Chemicals" in changes.inner_text()
    assert "Kim Keller would carry 2 key accounts, more than the maximum of 1; the one" in (
        changes.inner_text()
    )
    assert "Acme Foods" not in changes.inner_text()
    page.click("text=Review the changes and apply")
    page.wait_for_url("**/apply/")
    pending = page.locator("#pending").inner_text()
    assert "Kim Keller" in pending and "Lee Lang" in pending
    page.screenshot(path=str(SHOTS / "selection-apply.png"), full_page=True)
    page.click("#confirm-apply")
    page.wait_for_url(f"**{review.get_absolute_url()}")
    assert "2026 yearly applied: 1 accounts changed." in page.inner_text("body")
    kams = dict(Account.objects.values_list("account_id", "kam__name"))
    assert kams == {"A1": "Kim Keller", "A2": "Lee Lang"}
