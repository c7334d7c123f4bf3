"""Separation of duties: who may sign, grant roles, re-parent accounts and link contacts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from openkam.web.accounts.models import Account, AccountTeamMember, Contact
from openkam.web.planning import services
from openkam.web.planning.models import Plan


def make_login(role: str, name: str):
    from django.contrib.auth import get_user_model

    from openkam.web.people.models import Person

    user = get_user_model().objects.create_user(name.lower(), password="pw-" + name)
    return user, Person.objects.create(person_id=f"P-{name}", name=name, role=role, user=user)


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def signed_plan(programme):
    """Given: A1's plan with one saved version."""
    alice = programme["users"]["Alice"]
    plan = services.start_plan(programme["accounts"]["A1"], alice)
    services.update_plan(plan, {"strengths": "Fast"}, plan.version, alice)
    return plan


@pytest.mark.parametrize("who", ["Alice", "Olga"])
def test_nobody_signs_a_plan_of_an_account_they_manage(programme, signed_plan, who):
    """Alice (the KAM) or Olga (on the account team), made sponsor of A1, still may not sign."""
    person = programme["people"][who]
    Account.objects.filter(pk=signed_plan.account.pk).update(sponsor=person)
    response = api_as(programme["users"][who]).post("/api/plans/A1/versions/1/sign/")
    assert response.status_code == 403
    assert "separation of duties" in response.json()["detail"]
    assert signed_plan.versions.get(number=1).signed_at is None


def test_an_admin_on_the_account_team_may_not_sign_either(programme, signed_plan):
    admin, person = make_login("admin", "Ada")
    assert api_as(admin).post("/api/plans/A1/versions/1/sign/").status_code == 200
    signed_plan.versions.update(signed_at=None, signed_by=None)
    AccountTeamMember.objects.create(account=signed_plan.account, person=person)
    assert api_as(admin).post("/api/plans/A1/versions/1/sign/").status_code == 403


def test_the_sponsor_who_does_not_manage_the_account_signs(programme, signed_plan):
    response = api_as(programme["users"]["Sam"]).post("/api/plans/A1/versions/1/sign/")
    assert response.status_code == 200


def test_only_admins_change_roles(programme):
    chris = programme["users"]["Chris"]
    me = programme["people"]["Chris"]
    response = api_as(chris).patch(
        "/api/people/P-Chris/", {"role": "admin", "version": me.version}, format="json"
    )
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.role == "champion"
    # Creating someone with a role other than viewer is granting it, too.
    created = api_as(chris).post(
        "/api/people/", {"person_id": "P-X", "name": "X", "role": "admin"}, format="json"
    )
    assert created.status_code == 403
    # The champion still edits people's other facts.
    ok = api_as(chris).patch(
        "/api/people/P-Chris/", {"title": "Head of KAM", "version": me.version}, format="json"
    )
    assert ok.status_code == 200
    admin, _ = make_login("admin", "Ada")
    me.refresh_from_db()
    granted = api_as(admin).patch(
        "/api/people/P-Chris/", {"role": "admin", "version": me.version}, format="json"
    )
    assert granted.status_code == 200


def test_the_admin_site_shows_the_role_read_only_to_non_admins(programme, rf):
    from django.contrib import admin

    from openkam.web.people.models import Person

    model_admin = admin.site._registry[Person]
    request = rf.get("/admin/")
    request.user = programme["users"]["Chris"]
    assert "role" in model_admin.get_readonly_fields(request)


def test_a_kam_cannot_move_their_account_under_an_account_they_do_not_edit(programme):
    alice = programme["users"]["Alice"]
    a1 = programme["accounts"]["A1"]
    response = api_as(alice).patch(
        "/api/accounts/A1/", {"parent": "A2", "version": a1.version}, format="json"
    )
    assert response.status_code == 403
    assert "A2" in response.json()["detail"]
    a1.refresh_from_db()
    assert a1.parent is None
    # The champion may; but never into a cycle (A3 is A1's subsidiary).
    chris = programme["users"]["Chris"]
    cycle = api_as(chris).patch(
        "/api/accounts/A1/", {"parent": "A3", "version": a1.version}, format="json"
    )
    assert cycle.status_code == 400 and "parent" in cycle.json()


def test_the_account_form_refuses_the_same_re_parenting(programme, login):
    a1 = programme["accounts"]["A1"]
    data = {
        "name": a1.name,
        "industry": a1.industry,
        "region": a1.region,
        "country": "",
        "parent": "A2",
        "kam": a1.kam.pk,
        "sponsor": a1.sponsor.pk,
        "notes": "",
        "version": a1.version,
    }
    response = login(programme["users"]["Alice"]).post("/accounts/A1/edit/", data)
    assert response.status_code == 403
    a1.refresh_from_db()
    assert a1.parent is None


def test_reports_to_must_be_a_contact_of_the_same_account(programme):
    alice = programme["users"]["Alice"]
    Contact.objects.create(contact_id="C2", account=programme["accounts"]["A2"], name="Other")
    api = api_as(alice)
    created = api.post(
        "/api/contacts/",
        {"contact_id": "C9", "account": "A1", "name": "New", "reports_to": "C2"},
        format="json",
    )
    assert created.status_code == 400 and "reports_to" in created.json()
    c1 = Contact.objects.get(contact_id="C1")
    moved = api.patch(
        "/api/contacts/C1/", {"reports_to": "C2", "version": c1.version}, format="json"
    )
    assert moved.status_code == 400 and "reports_to" in moved.json()
    c1.refresh_from_db()
    assert c1.reports_to is None


def test_reading_a_plan_page_or_api_object_creates_nothing(programme, login):
    vera = programme["users"]["Vera"]
    assert login(vera).get("/plans/A1/").status_code == 200
    assert api_as(vera).get("/api/plans/A1/").status_code == 404
    assert api_as(vera).get("/api/contact-profiles/C1/").status_code == 200
    assert login(vera).get("/selection/criteria/").status_code == 200
    assert api_as(vera).get("/api/profitability/settings/").status_code == 200
    from openkam.web.portfolio.models import CriteriaSet
    from openkam.web.profitability.models import ProfitabilitySettings
    from openkam.web.relationships.models import ContactProfile

    assert not Plan.objects.exists()
    assert not ContactProfile.objects.exists()
    assert not CriteriaSet.objects.exists()
    assert not ProfitabilitySettings.objects.exists()
    # The KAM starts the plan with a POST.
    alice = login(programme["users"]["Alice"])
    assert alice.post("/plans/A1/start/").status_code == 302
    assert Plan.objects.filter(account__account_id="A1").exists()


def test_a_team_member_is_a_manager(programme):
    assert AccountTeamMember.objects.filter(person=programme["people"]["Olga"]).exists()
    assert services.manages(programme["users"]["Olga"], programme["accounts"]["A1"])
    assert not services.manages(programme["users"]["Sam"], programme["accounts"]["A1"])


def test_a_kam_cannot_make_themselves_sponsor_and_sign(programme, login):
    """The org app's assignment service refuses; the sign-off would be refused anyway."""
    alice = programme["users"]["Alice"]
    a1 = Account.objects.get(account_id="A1")
    response = api_as(alice).patch(
        "/api/accounts/A1/", {"sponsor": "P-Alice", "version": a1.version}, format="json"
    )
    assert response.status_code in (400, 403)
    a1.refresh_from_db()
    assert a1.sponsor == programme["people"]["Sam"]
    data = {
        "name": a1.name,
        "industry": a1.industry,
        "region": a1.region,
        "country": "",
        "parent": "",
        "kam": a1.kam.pk,
        "sponsor": programme["people"]["Alice"].pk,
        "notes": "",
        "version": a1.version,
    }
    login(alice).post("/accounts/A1/edit/", data)
    a1.refresh_from_db()
    assert a1.sponsor == programme["people"]["Sam"]
