"""The champion opens a selection review: the four-box matrix draws every account, and a
click on a bubble opens that account (the chart script is shared with the price–cost
matrix of the Profitability page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from openkam.engine.selection import config_to_dict, default_config
from openkam.web.accounts.models import Account
from openkam.web.people.models import Person, ProgrammeRules
from openkam.web.portfolio import services
from openkam.web.portfolio.models import AssessedScore


def poll(page, expression: str, timeout_s: float = 15.0) -> None:
    """Wait until ``expression`` is true. Not ``wait_for_function``: its polling evaluates a
    string in the page, which the Content Security Policy forbids ('unsafe-eval')."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def review(transactional_db):
    """Given: a champion, a KAM, a sponsor, two accounts, and a review of them under
    programme rules small enough for two accounts."""
    user = get_user_model().objects.create_user("chris", password="chris-secret-1")
    Person.objects.create(person_id="P1", name="Chris Champion", role="champion", user=user)
    kim = Person.objects.create(person_id="P2", name="Kim Keller", role="kam", full_time_kam=True)
    Person.objects.create(
        person_id="P3", name="Sam Sponsor", role="sponsor", executive_level="c_level"
    )
    ProgrammeRules.objects.create(kam_min_accounts=1, kam_max_accounts=2)
    Account.objects.create(
        account_id="A1", name="Acme Foods", industry="food", region="EMEA", kam=kim
    )
    Account.objects.create(
        account_id="A2", name="Borealis Chemicals", industry="chemicals", region="APAC"
    )
    # Both are assessed (a satisfaction score), so the matrix places them.
    for account in Account.objects.all():
        AssessedScore.objects.create(account=account, criterion="satisfaction", value=4)
    rules = config_to_dict(default_config())
    rules["programme"] = {"min_accounts": 1, "max_accounts": 2, "kam_min": 1, "kam_max": 2}
    rules["hysteresis"] = {"entry": 0.0, "exit": 0.0, "reviews": 2}
    rules["economics"] = {"kam_cost": 0.0, "account_cost": 0.0}
    services.save_criteria(rules, user, "two-account programme")
    return services.create_review(user, "2025 yearly")


def test_matrix_draws_the_review_and_opens_an_account(live_server, page, sign_in, review):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("chris", "chris-secret-1")
    page.goto(f"{live_server.url}/selection/")
    # The page fetches the matrix's points, then draws them.
    poll(page, "document.getElementById('matrix').dataset.drawn !== undefined")
    drawn = page.evaluate(
        """() => Chart.getChart(document.getElementById('matrix')).data.datasets
                 .map(d => [d.label, d.data.map(p => p.id).sort()])"""
    )
    placed = sorted(i for _, ids in drawn for i in ids)
    assert [label for label, _ in drawn] == ["Key account now", "Not key now"]
    assert placed == sorted(r["account_id"] for r in review.rows())
    page.locator("#matrix").screenshot(path=str(SHOTS / "selection-matrix.png"))
    box = page.locator("#matrix").bounding_box()
    target = page.evaluate(
        """() => { const c = Chart.getChart(document.getElementById('matrix'));
                   const i = c.data.datasets.findIndex(d => d.data.length);
                   const el = c.getDatasetMeta(i).data[0];
                   return {x: el.x, y: el.y, id: c.data.datasets[i].data[0].id}; }"""
    )
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.wait_for_url(f"**/accounts/{target['id']}/")
