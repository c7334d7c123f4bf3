"""A key account manager edits the account's plan and adds a person to the relationship map."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from openkam.web.accounts.models import Account, Contact
from openkam.web.people.models import Person
from openkam.web.planning.models import Action, Objective, Plan, Risk, ValueProposition
from openkam.web.relationships.models import ContactProfile, Relationship


def poll(page, expression: str, timeout_s: float = 15.0) -> None:
    """Wait until ``expression`` is true. Not ``wait_for_function``: its polling evaluates a
    string in the page, which the Content Security Policy forbids ('unsafe-eval')."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def shoot(page, name: str) -> None:
    # The side menu is sticky: a full-page shot taken while scrolled shows it mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.fixture
def data(transactional_db):
    """Given: Kim, KAM of Acme Foods (a key account sponsored by Sam), with a plan that has
    an objective, a value proposition, a risk and an action, and three people on the map."""
    user = get_user_model().objects.create_user("kim", password="kim-secret-1")
    kim = Person.objects.create(person_id="P1", name="Kim Keller", role="kam", user=user)
    sam = Person.objects.create(person_id="P2", name="Sam Sponsor", role="sponsor")
    olga = Person.objects.create(person_id="P3", name="Olga Ops", role="operations")
    acme = Account.objects.create(
        account_id="ACME",
        name="Acme Foods",
        industry="food",
        region="EMEA",
        kam=kim,
        sponsor=sam,
        key_status="key",
    )
    plan = Plan.objects.create(
        account=acme,
        market_position="Number two in chilled dairy in Iberia.",
        relationship_stage="cooperative",
        share_of_wallet=Decimal("35.0"),
    )
    Objective.objects.create(
        plan=plan, year=dt.date.today().year, metric="net_contribution", target=Decimal(250000)
    )
    ValueProposition.objects.create(
        plan=plan, solution="Vendor-managed inventory", customer_gain="cut stock by 15 %"
    )
    Risk.objects.create(plan=plan, description="A competitor undercuts on price", impact="high")
    Action.objects.create(
        plan=plan, title="Joint S&OP pilot", owner=olga, due=dt.date.today() + dt.timedelta(30)
    )
    ceo = Contact.objects.create(
        contact_id="C1", account=acme, name="Cora Chief", title="Chief Executive"
    )
    buyer = Contact.objects.create(
        contact_id="C2", account=acme, name="Carla Buyer", title="Head of Procurement"
    )
    buyer.reports_to = ceo
    buyer.save()
    cfo = Contact.objects.create(
        contact_id="C3", account=acme, name="Finn Finance", title="Chief Financial Officer"
    )
    cfo.reports_to = ceo
    cfo.save()
    ContactProfile.objects.create(contact=ceo, influence=5, attitude="neutral")
    ContactProfile.objects.create(contact=buyer, influence=4, attitude="supporter")
    ContactProfile.objects.create(contact=cfo, influence=4, attitude="detractor")
    Relationship.objects.create(contact=buyer, person=kim, strength=4, last_contact=dt.date.today())


def test_kam_edits_the_plan_and_maps_a_new_contact(live_server, page, data):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password]", "kim-secret-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # The plan: edit the strengths and save; the one-page view shows it.
    page.goto(f"{live_server.url}/plans/ACME/")
    assert page.locator("h1").inner_text() == "Key account plan: Acme Foods"
    shoot(page, "plan-before.png")
    page.click("a.btn.primary:has-text('Edit plan')")
    page.wait_for_url("**/plans/ACME/edit/")
    page.fill("textarea[name=strengths]", "Fastest delivery in the region; joint R&D lab")
    page.fill("input[name=note]", "after the June review")
    shoot(page, "plan-edit.png")
    page.click("button[type=submit]:has-text('Save')")
    page.wait_for_url("**/plans/ACME/")
    analysis = page.locator("#analysis")
    assert "Fastest delivery in the region; joint R&D lab" in analysis.inner_text()
    assert "Saved 1 change(s)." in page.locator("body").inner_text()
    assert "version 1" in page.locator(".plan-head").inner_text()
    shoot(page, "plan-after.png")

    # The relationship map: add a person under the CEO, then change their attitude.
    page.click("a.btn:has-text('Relationship map')")
    page.wait_for_url("**/relationships/ACME/")
    assert page.locator(".orgchart .node").count() == 3
    form = page.locator("#add-contact form")
    form.locator("input[name=name]").fill("Otto Operations")
    form.locator("input[name=title]").fill("VP Operations")
    form.locator("select[name=reports_to]").select_option(label="Cora Chief")
    form.locator("select[name=buying_role]").select_option("user")
    form.locator("input[name=influence]").fill("4")
    form.locator("select[name=attitude]").select_option("supporter")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/relationships/ACME/?contact=*")
    node = page.locator(".orgchart .node", has_text="Otto Operations")
    assert node.count() == 1
    assert "supporter, influence 4" in node.locator("title").text_content()
    panel = page.locator("#contact-panel")
    assert "Otto Operations" in panel.locator("h2").inner_text()
    panel.locator("select[name=attitude]").select_option("advocate")
    panel.locator("select[name=influence], input[name=influence]").fill("5")
    panel.locator("button:has-text('Save profile')").click()
    page.wait_for_url("**/relationships/ACME/?contact=*")
    node = page.locator(".orgchart .node", has_text="Otto Operations")
    assert "advocate, influence 5" in node.locator("title").text_content()
    assert node.locator("rect").get_attribute("stroke") == "#12b76a"  # advocate green
    shoot(page, "map-after.png")

    # Clicking another person swaps the side panel in place (htmx).
    page.locator(".orgchart .node", has_text="Finn Finance").click()
    poll(page, "document.querySelector('#contact-panel h2').textContent.includes('Finn Finance')")
    shoot(page, "map-panel.png")
    assert Contact.objects.get(name="Otto Operations").profile.attitude == "advocate"
