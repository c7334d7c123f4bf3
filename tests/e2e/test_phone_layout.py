"""Pages fit a 390-pixel-wide phone without sideways scrolling, and the relationship map
shows every person on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from openkam.web.accounts.models import Account, Contact
from openkam.web.people.models import Person
from openkam.web.planning.models import Action, Objective, Plan
from openkam.web.relationships.models import ContactProfile

PAGES = [
    "/",
    "/accounts/",
    "/accounts/ACME/",
    "/plans/",
    "/plans/ACME/",
    "/relationships/ACME/",
    "/insights/profitability/",
    "/insights/clv/",
    "/selection/",
    "/people/",
]
#: Five managers under the CEO, each with two leads who each have a specialist: 26 people, a chart
#: wider than any card (it once hid 5 of 17 people in a sideways scroller).
MANAGERS = ["Finance", "Operations", "Procurement", "Technology", "Marketing"]


@pytest.fixture
def data(transactional_db):
    user = get_user_model().objects.create_user("chris", password="chris-secret-1")
    Person.objects.create(person_id="P0", name="Chris Champion", role="champion", user=user)
    kim = Person.objects.create(person_id="P1", name="Kim Keller", role="kam")
    acme = Account.objects.create(
        account_id="ACME",
        name="Acme Foods International Holdings",
        industry="Food & Beverage",
        region="EMEA",
        kam=kim,
        key_status="key",
    )
    plan = Plan.objects.create(account=acme, market_position="Number two in chilled dairy.")
    Objective.objects.create(
        plan=plan, year=dt.date.today().year, metric="net_sales", target=Decimal(1234567)
    )
    Action.objects.create(plan=plan, title="Weekly consolidated deliveries", owner=kim)
    ceo = Contact.objects.create(contact_id="C0", account=acme, name="Cora Chief", title="CEO")
    people = [ceo]
    for i, area in enumerate(MANAGERS):
        head = Contact.objects.create(
            contact_id=f"M{i}", account=acme, name=f"Head of {area}", title=area, reports_to=ceo
        )
        people.append(head)
        for j in range(2):
            lead = Contact.objects.create(
                contact_id=f"L{i}{j}",
                account=acme,
                name=f"{area} lead {j}",
                title="Lead",
                reports_to=head,
            )
            people.append(lead)
            people.append(
                Contact.objects.create(
                    contact_id=f"S{i}{j}",
                    account=acme,
                    name=f"{area} specialist {j}",
                    title="Specialist",
                    reports_to=lead,
                )
            )
    for p in people:
        ContactProfile.objects.create(contact=p, influence=3, attitude="neutral")
    return len(people)


def _sign_in(page, url):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "chris")
    page.fill("input[name=password]", "chris-secret-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_pages_fit_a_390_pixel_phone(live_server, browser, data):
    page = browser.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        _sign_in(page, live_server.url)
        for path in PAGES:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        # On the phone the map is a list of everyone, each on screen.
        page.goto(f"{live_server.url}/relationships/ACME/")
        items = page.locator(".org-outline li")
        assert items.count() == data
        for i in range(items.count()):
            box = items.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        page.close()


def test_relationship_map_shows_every_person_on_a_desktop(live_server, page, data):
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/relationships/ACME/")
    card = page.locator(".map-card").bounding_box()
    nodes = page.locator(".orgchart .node")
    assert nodes.count() == data
    for i in range(data):
        box = nodes.nth(i).bounding_box()
        # Inside the card: nobody hides beyond its right edge.
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
    legend = page.locator(".map-legend").inner_text()
    for mark in ("attitude", "influence", "♥", "⚠", "reports to", "dotted-line", "has left"):
        assert mark in legend


def test_favicon_is_served_from_static(live_server, page, data):
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.ok and response.headers["content-type"] in (
        "image/x-icon",
        "image/vnd.microsoft.icon",
    )
    page.goto(f"{live_server.url}/login/")
    icon = page.locator("link[rel=icon]").first.get_attribute("href")
    assert icon.endswith("favicon.svg") and not icon.startswith("data:")
