"""Edits check versions everywhere, a conflict's second save merges, and page input errors
answer with a message, not a server error."""

from __future__ import annotations

import pytest

from openkam.web.accounts import services as account_services
from openkam.web.accounts.models import Account, Contact
from openkam.web.planning import services
from openkam.web.planning.models import Plan, WhitespaceCell
from openkam.web.relationships.models import DottedLine, Relationship


def form_data(form) -> dict:
    """What the browser posts back from a drawn form (its hidden and visible fields)."""
    data = {}
    for bound in form:
        value = bound.value()
        data[bound.html_name] = "" if value is None else value
    return data


def test_a_conflicts_second_save_keeps_the_other_users_changes(programme, login):
    alice = login(programme["users"]["Alice"])
    page = alice.get("/accounts/A1/edit/")
    data = form_data(page.context["form"])
    # Meanwhile the champion moves the account to another region.
    a1 = Account.objects.get(account_id="A1")
    account_services.update_account(a1, {"region": "APAC"}, a1.version, programme["users"]["Chris"])
    # Alice renames it from the form she opened before: refused, with the difference shown.
    data["name"] = "Acme Foods Group"
    conflict = alice.post("/accounts/A1/edit/", data)
    assert conflict.status_code == 200 and "Someone else saved" in conflict.content.decode()
    # The form now shows the region as stored, and Alice's name; saving again merges.
    again = form_data(conflict.context["form"])
    assert again["region"] == "APAC" and again["name"] == "Acme Foods Group"
    assert alice.post("/accounts/A1/edit/", again).status_code == 302
    a1.refresh_from_db()
    assert (a1.name, a1.region) == ("Acme Foods Group", "APAC")


def test_a_save_writes_only_the_fields_the_user_changed(programme, login):
    alice = login(programme["users"]["Alice"])
    data = form_data(alice.get("/accounts/A1/edit/").context["form"])
    data["notes"] = "Met the CFO"
    assert alice.post("/accounts/A1/edit/", data).status_code == 302
    from openkam.web.core.models import AuditEvent

    event = AuditEvent.objects.filter(action="update", object_repr__startswith="Acme").first()
    assert list(event.changes) == ["notes"]


@pytest.fixture
def plan(programme):
    return services.start_plan(programme["accounts"]["A1"], programme["users"]["Alice"])


def test_marking_reviewed_and_sharing_check_the_version(programme, plan, login):
    alice = login(programme["users"]["Alice"])
    stale = plan.version
    services.update_plan(plan, {"strengths": "x"}, plan.version, programme["users"]["Chris"])
    alice.post("/plans/A1/review/", {"version": stale})
    alice.post("/plans/A1/sharing/", {"sections": ["objectives"], "version": stale})
    plan.refresh_from_db()
    assert plan.last_reviewed is None and plan.shared_sections == []
    alice.post("/plans/A1/review/", {"version": plan.version})
    plan.refresh_from_db()
    alice.post("/plans/A1/sharing/", {"sections": ["objectives"], "version": plan.version})
    plan.refresh_from_db()
    assert plan.last_reviewed is not None and plan.shared_sections == ["objectives"]


def test_adding_a_relationship_checks_the_version_of_one_that_exists(programme, login):
    alice = login(programme["users"]["Alice"])
    c1 = Contact.objects.get(contact_id="C1")
    bob = programme["people"]["Bob"]
    rel = Relationship.objects.create(contact=c1, person=bob, strength=2)
    # A page that showed no relationship of Bob's: it must not overwrite the one added since.
    alice.post("/relationships/contact/C1/relationships/", {"person": bob.pk, "strength": 5})
    rel.refresh_from_db()
    assert rel.strength == 2
    # From a page that showed it (its version): the change goes through.
    alice.post(
        "/relationships/contact/C1/relationships/",
        {"person": bob.pk, "strength": 5, f"version_{bob.pk}": rel.version},
    )
    rel.refresh_from_db()
    assert rel.strength == 5


def test_page_input_errors_answer_with_a_message(programme, plan, login):
    alice = login(programme["users"]["Alice"])
    # A compare of ids that are not numbers.
    response = alice.get("/selection/reviews/compare/?a=x&b=1")
    assert response.status_code == 302
    # A contact with an id that exists.
    response = alice.post("/accounts/A1/contacts/add/", {"contact_id": "C1", "name": "Dup"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    # The same whitespace cell twice.
    cell = {"product_line": "Flour", "business_unit": "Bakery", "potential": "100", "note": ""}
    assert alice.post("/plans/A1/whitespace/add/", cell).status_code == 302
    response = alice.post("/plans/A1/whitespace/add/", cell)
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert WhitespaceCell.objects.count() == 1
    # The same dotted line twice.
    Contact.objects.create(contact_id="C1b", account=programme["accounts"]["A1"], name="B")
    c1b = Contact.objects.get(contact_id="C1b")
    for _ in range(2):
        response = alice.post("/relationships/contact/C1/dotted/", {"to_contact": c1b.pk})
        assert response.status_code == 302
    assert DottedLine.objects.count() == 1
    # Out-of-range numbers in the query.
    for url in (
        "/relationships/A1/?days=999999999999999999999",
        "/relationships/A1/?days=-3",
        "/accounts/?page=999999999999",
        "/plans/A1/compare/?a=1&b=99999999999999999999",
        "/plans/A1/compare/?a=x&b=1",
    ):
        assert alice.get(url).status_code in (200, 302), url
    assert Plan.objects.count() == 1
