"""The mutual plan shows the customer only what is meant for them, whatever is ticked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from openkam.web.planning import services
from openkam.web.planning.models import SHAREABLE_SECTIONS, Objective

#: Distinctive internal figures and notes: none of them may reach the customer's page.
INTERNAL = {
    "net contribution target": "987654",
    "net sales target": "876543",
    "CLV target": "765432",
    "internal note": "MARGIN-IS-THIN-DO-NOT-SHARE",
    "whitespace potential": "654321",
    "whitespace note": "WS-NOTE-INTERNAL",
    "risk": "RISK-CUSTOMER-MAY-LEAVE",
    "weaknesses": "WEAKNESS-SLOW-PAYER",
    "threats": "THREAT-PRIVATE-LABEL",
    "competitors": "COMPETITOR-GLOBEX",
    "share of wallet": "37.5",
    "internal action": "RAISE-PRICES-QUIETLY",
    "account notes": "ACCOUNT-NOTES-SECRET",
    "hidden volume": "4321987",
}


@pytest.fixture
def full_plan(programme):
    """Given: a plan with every section filled, internal figures next to customer-facing ones,
    every section ticked for sharing and a link created."""
    alice = programme["users"]["Alice"]
    account = programme["accounts"]["A1"]
    account.notes = INTERNAL["account notes"]
    account.save()
    plan = services.start_plan(account, alice)
    services.update_plan(
        plan,
        {
            "market_position": "Number two in chilled desserts",
            "weaknesses": INTERNAL["weaknesses"],
            "threats": INTERNAL["threats"],
            "competitors": INTERNAL["competitors"],
            "share_of_wallet": Decimal(INTERNAL["share of wallet"]),
        },
        plan.version,
        alice,
    )
    for metric, key in [
        ("net_contribution", "net contribution target"),
        ("net_sales", "net sales target"),
        ("clv", "CLV target"),
    ]:
        services.add_part(
            plan,
            "objectives",
            {
                "year": 2026,
                "metric": metric,
                "target": Decimal(INTERNAL[key]),
                "note": INTERNAL["internal note"],
            },
            alice,
        )
    services.add_part(
        plan,
        "objectives",
        {
            "year": 2026,
            "metric": "volume",
            "target": Decimal("12500"),
            "note": INTERNAL["internal note"],
            "customer_visible": True,
            "customer_text": "Ship 12,500 pallets of flour to the Iberian plants",
        },
        alice,
    )
    # A customer-facing kind, but not marked for the customer: stays internal.
    services.add_part(
        plan,
        "objectives",
        {"year": 2027, "metric": "volume", "target": Decimal(INTERNAL["hidden volume"])},
        alice,
    )
    services.add_part(
        plan,
        "value_propositions",
        {"solution": "Vendor-managed inventory", "customer_gain": "cut their inventory 15 %"},
        alice,
    )
    services.add_part(
        plan,
        "whitespace",
        {
            "product_line": "Cultures",
            "business_unit": "Dairy",
            "potential": Decimal(INTERNAL["whitespace potential"]),
            "note": INTERNAL["whitespace note"],
        },
        alice,
    )
    services.add_part(plan, "risks", {"description": INTERNAL["risk"]}, alice)
    services.add_part(
        plan,
        "actions",
        {"title": "Joint S&OP meeting", "due": dt.date(2026, 3, 1), "customer_visible": True},
        alice,
    )
    services.add_part(plan, "actions", {"title": INTERNAL["internal action"]}, alice)
    plan.refresh_from_db()
    services.set_sharing(plan, list(SHAREABLE_SECTIONS), alice, plan.version)
    services.create_share_link(plan, alice)
    plan.refresh_from_db()
    return plan


def test_the_shared_page_shows_no_internal_figure_whatever_is_ticked(full_plan, client):
    html = client.get(f"/plans/shared/{full_plan.share_token}/").content.decode()
    leaked = {name: value for name, value in INTERNAL.items() if value in html}
    assert leaked == {}
    # Formatted variants of the amounts too (987,654 / 987 654).
    for value in ("987,654", "876,543", "765,432", "654,321"):
        assert value not in html
    # What is meant for the customer is there.
    for phrase in (
        "Ship 12,500 pallets of flour to the Iberian plants",
        "12,500 units",
        "Vendor-managed inventory",
        "cut their inventory 15 %",
        "Joint S&amp;OP meeting",
        "2026-03-01",
        "Number two in chilled desserts",
        "Cultures",
    ):
        assert phrase in html, phrase
    assert "Net contribution" not in html and "lifetime value" not in html.lower()


def test_the_owner_previews_exactly_what_the_customer_sees(full_plan, client, login):
    shared = client.get(f"/plans/shared/{full_plan.share_token}/").content.decode()
    preview = login(full_plan.account.kam.user).get("/plans/A1/sharing/preview/")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Preview:" in html
    start = shared.index("<h1>")
    assert shared[start : shared.index("</main>")] in html


def test_an_internal_objective_cannot_be_marked_for_the_customer(programme):
    alice = programme["users"]["Alice"]
    plan = services.start_plan(programme["accounts"]["A1"], alice)
    with pytest.raises(ValidationError, match="internal figure"):
        services.add_part(
            plan,
            "objectives",
            {
                "year": 2026,
                "metric": "net_contribution",
                "target": Decimal(1),
                "customer_visible": True,
            },
            alice,
        )
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(
        "/api/objectives/",
        {
            "account": "A1",
            "year": 2026,
            "metric": "clv",
            "target": "1",
            "customer_visible": True,
        },
        format="json",
    )
    assert response.status_code == 400 and "customer_visible" in response.json()


def test_a_flag_forced_into_the_database_still_shows_no_internal_metric(full_plan, client):
    # Even if a row bypassed validation, the allow-list only takes customer-facing kinds.
    Objective.objects.filter(metric="net_contribution").update(customer_visible=True)
    html = client.get(f"/plans/shared/{full_plan.share_token}/").content.decode()
    assert INTERNAL["net contribution target"] not in html


def test_several_joint_milestones_in_one_year(programme):
    alice = programme["users"]["Alice"]
    plan = services.start_plan(programme["accounts"]["A1"], alice)
    for text in ("Line trial done", "Joint launch"):
        services.add_part(
            plan,
            "objectives",
            {"year": 2026, "metric": "milestone", "target": Decimal(1), "customer_text": text},
            alice,
        )
    assert plan.objectives.filter(metric="milestone").count() == 2
