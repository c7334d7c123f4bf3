"""Organisation pages, and every path refusing a change that breaks a rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openkam.web.accounts.models import Account
from openkam.web.people.assignments import RuleViolation
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    CompetencyAssessment,
    CompetencyTarget,
    Person,
    ProgrammeRules,
    RuleException,
    SponsorVisit,
)
from openkam.web.portfolio import services as portfolio
from openkam.web.portfolio.models import CriteriaSet, Review


@pytest.fixture
def org(programme):
    Account.objects.filter(account_id="A2").update(key_status="key")
    return programme


def test_people_page_shows_each_load_against_the_rule(org, login):
    # Alice gets A3 too: 2 key accounts (hand count), inside 2–5; Bob has 1, under.
    Account.objects.filter(account_id="A3").update(key_status="key", kam=org["people"]["Alice"])
    page = login(org["users"]["Vera"]).get("/people/").content.decode()
    assert "KAM 2 of 2–5" in page and "KAM 1 of 2–5, under" in page
    assert "Sponsor 1 of 1–2" in page
    page = login(org["users"]["Vera"]).get("/people/?load=under").content.decode()
    assert "Bob" in page and "Alice" not in page
    page = login(org["users"]["Vera"]).get("/people/?function=key_account_management").content
    assert b"Sam" not in page and b"Bob" in page


def test_person_page_shows_gaps_training_history_and_visits(org, login):
    alice = org["people"]["Alice"]
    CompetencyTarget.objects.create(competency="financial_acumen", level=4)
    CompetencyAssessment.objects.create(
        person=alice, competency="financial_acumen", level=2, assessed_on=dt.date(2025, 1, 1)
    )
    Assignment.objects.create(
        account=org["accounts"]["A1"], role="kam", person=alice, start=dt.date(2023, 1, 1)
    )
    page = login(org["users"]["Vera"]).get("/person/P-Alice/").content.decode()
    # Target 4, level 2: a gap of 2.
    assert "−2" in page and "2023-01-01" in page and "Training" in page


def test_champion_sets_targets_assessments_training_and_the_champion(org, login):
    client = login(org["users"]["Chris"])
    data = {c: "" for c in ("planning", "influencing", "consultative", "technical")}
    data |= {"financial_acumen": "4", "customer_business": "3"}
    assert client.post("/people/targets/", data).status_code == 302
    assert dict(CompetencyTarget.objects.values_list("competency", "level")) == {
        "financial_acumen": 4,
        "customer_business": 3,
    }
    response = client.post(
        "/person/P-Alice/assess/",
        {"competency": "planning", "level": "3", "assessed_on": "2025-02-01", "notes": ""},
    )
    assert response.status_code == 302
    assert CompetencyAssessment.objects.get().assessed_by.name == "Chris"
    response = client.post(
        "/person/P-Olga/training/",
        {
            "course": "KAM for operations",
            "kam_training": "on",
            "date": "2025-02-01",
            "completed": "on",
        },
    )
    assert response.status_code == 302
    ceo = Person.objects.create(person_id="P-CEO", name="Cara CEO", executive_level="c_level")
    response = client.post(
        "/people/champion/",
        {"person": org["people"]["Chris"].pk, "since": "2024-01-01", "reports_to": ceo.pk},
    )
    assert response.status_code == 302
    assert ChampionAppointment.current().reports_to == ceo
    page = client.get("/people/").content.decode()
    assert "champion since 2024-01-01" in page and "Cara CEO" in page
    # A KAM may do none of this.
    alice = login(org["users"]["Alice"])
    assert alice.get("/people/targets/").status_code == 403
    assert alice.get("/person/P-Bob/assess/").status_code == 403
    assert alice.get("/people/champion/").status_code == 403


def test_rules_page_edits_by_the_champion_only(org, login):
    page = login(org["users"]["Alice"]).get("/people/rules/").content.decode()
    assert "KAM load: at most" in page and "Change the rules" not in page
    assert login(org["users"]["Alice"]).post("/people/rules/", {}).status_code == 403
    client = login(org["users"]["Chris"])
    form = {
        "kam_min_accounts": "2",
        "kam_max_accounts": "4",
        "kam_must_be_full_time": "on",
        "sponsor_min_level": "c_level",
        "sponsor_min_accounts": "1",
        "sponsor_max_accounts": "2",
        "allow_exceptions": "on",
        "visit_every_days": "91",
        "version": ProgrammeRules.current().version,
    }
    assert client.post("/people/rules/", form).status_code == 302
    assert ProgrammeRules.current().kam_max_accounts == 4
    bad = client.post("/people/rules/", {**form, "kam_min_accounts": "6", "version": 2})
    assert bad.status_code == 200 and "above the maximum" in bad.content.decode()


def test_home_lists_rules_broken_and_overdue_visits(org, login):
    RuleException.objects.create(
        person=org["people"]["Bob"], rule="kam_min_accounts", reason="Bob is new"
    )
    Assignment.objects.create(
        account=org["accounts"]["A1"],
        role="sponsor",
        person=org["people"]["Sam"],
        start=dt.date(2024, 1, 1),
    )
    SponsorVisit.objects.create(
        account=org["accounts"]["A1"], sponsor=org["people"]["Sam"], date=dt.date(2024, 3, 1)
    )
    page = login(org["users"]["Chris"]).get("/").content.decode()
    assert "Programme rules broken now" in page
    assert "Alice carries 1 key account as KAM; the rule is at least 2" in page
    assert "Accepted as an exception: “Bob is new”" in page
    # Last contact 2024-03-01, every 91 days: due 2024-05-31, overdue today.
    assert "Sponsor contacts overdue" in page and "2024-05-31" in page
    # Sam's own home: his sponsorships and the next contact due.
    page = login(org["users"]["Sam"]).get("/").content.decode()
    assert "My sponsorships" in page and "Plans waiting for my sign-off" in page


def test_account_form_refuses_a_breaking_change_and_takes_an_exception(org, login):
    client = login(org["users"]["Chris"])
    a1 = Account.objects.get(account_id="A1")
    form = {
        "name": a1.name,
        "industry": a1.industry,
        "region": a1.region,
        "country": "",
        "parent": "",
        "kam": org["people"]["Vera"].pk,
        "sponsor": org["people"]["Sam"].pk,
        "notes": "",
        "version": a1.version,
    }
    response = client.post("/accounts/A1/edit/", form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vera (viewer) has no key account management role" in page
    assert "Exception: why this change may break a programme rule" in page
    assert Account.objects.get(account_id="A1").kam.name == "Alice"
    response = client.post("/accounts/A1/edit/", {**form, "exception_reason": "Trial"})
    assert response.status_code == 302
    assert Account.objects.get(account_id="A1").kam.name == "Vera"


def test_a_kam_sees_kam_and_sponsor_but_cannot_change_them(org, login):
    client = login(org["users"]["Alice"])
    page = client.get("/accounts/A1/edit/").content.decode()
    assert "Exception" not in page and "disabled" in page
    a1 = Account.objects.get(account_id="A1")
    form = {
        "name": "Renamed",
        "industry": a1.industry,
        "region": a1.region,
        "country": "",
        "parent": "",
        "kam": org["people"]["Alice"].pk,
        "sponsor": org["people"]["Alice"].pk,  # ignored: the field is disabled for her
        "notes": "",
        "version": a1.version,
    }
    assert client.post("/accounts/A1/edit/", form).status_code == 302
    a1.refresh_from_db()
    assert a1.name == "Renamed" and a1.sponsor.name == "Sam"
    assert client.get("/people/assign/A1/").status_code == 403


def test_assign_page_refuses_then_accepts_with_an_exception(org, login):
    client = login(org["users"]["Chris"])
    data = {"kam": "P-Bob", "sponsor": "P-Sam", "effective": "2025-07-01", "reason": "move"}
    response = client.post("/people/assign/A1/", data)
    page = response.content.decode()
    # Alice would drop from 1 to 0 key accounts: a take-away below the minimum.
    assert "Refused" in page and "Alice would carry 0 key accounts as KAM" in page
    assert Account.objects.get(account_id="A1").kam.name == "Alice"
    response = client.post("/people/assign/A1/", {**data, "exception_reason": "Alice leaves"})
    assert response.status_code == 302
    rows = Assignment.objects.filter(account__account_id="A1", role="kam")
    assert [(r.person.name, r.start, r.end) for r in rows] == [("Bob", dt.date(2025, 7, 1), None)]
    page = client.get("/accounts/A1/").content.decode()
    assert "KAM and sponsor" in page and "Alice leaves" in page


def test_sponsor_logs_a_visit_on_the_page(org, login):
    client = login(org["users"]["Sam"])
    contact = org["accounts"]["A1"].contacts.get()
    response = client.post(
        "/people/visits/add/?account=A1",
        {
            "account": "A1",
            "sponsor": org["people"]["Sam"].pk,
            "date": "2025-03-01",
            "kind": "visit",
            "people_met": [contact.pk],
            "notes": "Met procurement",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert SponsorVisit.objects.get().people_met.get() == contact
    assert "Met procurement" in client.get("/people/visits/").content.decode()
    assert login(org["users"]["Alice"]).get("/people/visits/add/").status_code == 403


def _review(rows: list[dict]) -> Review:
    criteria = portfolio.current_criteria()
    if criteria.pk is None:  # reading the defaults creates no row; a review needs one
        criteria.save()
    return Review.objects.create(
        label="R", criteria=criteria, result={"accounts": rows, "objective": 0}
    )


def test_applying_a_review_refuses_a_breaking_end_state(org):
    chris = org["users"]["Chris"]
    # The review gives both key accounts to Alice and nothing to Bob: Bob drops to 0.
    rows = [
        {
            "account_id": "A1",
            "decision": "key",
            "kam": "P-Alice",
            "sponsor": "P-Sam",
            "reasons": ["kept"],
        },
        {
            "account_id": "A2",
            "decision": "key",
            "kam": "P-Alice",
            "sponsor": "P-Sam",
            "reasons": ["moved"],
        },
    ]
    review = _review(rows)
    with pytest.raises(RuleViolation, match="Bob would carry 0 key accounts as KAM"):
        portfolio.apply_review(review, chris)
    review.refresh_from_db()
    assert review.status == "draft"
    assert Account.objects.get(account_id="A2").kam.name == "Bob"
    # Accepted with the champion's reason, the set goes through and the history says so.
    portfolio.apply_review(review, chris, exception_reason="Bob moves to the new market team")
    a2 = Assignment.objects.get(account__account_id="A2", role="kam", end__isnull=True)
    assert (a2.person.name, a2.source) == ("Alice", "review")
    assert CriteriaSet.objects.exists()


def test_effective_dates_cannot_go_backwards(org, login):
    client = login(org["users"]["Chris"])
    ok = client.post(
        "/people/assign/A2/",
        {"kam": "P-Bob", "sponsor": "P-Sam", "effective": "2025-01-01", "reason": ""},
    )
    assert ok.status_code == 302
    page = client.post(
        "/people/assign/A2/",
        {"kam": "P-Bob", "sponsor": "", "effective": "2024-06-01", "reason": ""},
    ).content.decode()
    assert "before the current sponsor&#x27;s start 2025-01-01" in page
    with pytest.raises(ValidationError):
        from openkam.web.people.assignments import assign

        assign(org["accounts"]["A2"], sponsor=None, effective=dt.date(2024, 6, 1), actor="t")


def test_champion_edits_a_persons_place_but_not_their_role(org, login):
    client = login(org["users"]["Chris"])
    bob = Person.objects.get(name="Bob")
    response = client.post(
        "/person/P-Bob/edit/",
        {
            "name": "Bob",
            "email": "",
            "title": "Senior KAM",
            "role": "admin",  # ignored: only an administrator changes roles
            "function": "key_account_management",
            "executive_level": "",
            "full_time_kam": "on",
            "reports_to": org["people"]["Chris"].pk,
            "active": "on",
            "version": bob.version,
        },
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.title, bob.role, bob.reports_to.name) == ("Senior KAM", "kam", "Chris")


def test_champion_adds_a_person(org, login):
    client = login(org["users"]["Chris"])
    response = client.post(
        "/people/add/",
        {
            "person_id": "P-Nina",
            "name": "Nina",
            "email": "nina@x.example",
            "title": "Key Account Manager",
            "role": "viewer",
            "function": "key_account_management",
            "executive_level": "",
            "full_time_kam": "on",
            "reports_to": org["people"]["Chris"].pk,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    nina = Person.objects.get(person_id="P-Nina")
    assert (nina.full_time_kam, nina.reports_to.name, nina.role) == (True, "Chris", "viewer")
    assert login(org["users"]["Alice"]).get("/people/add/").status_code == 403


def test_every_person_id_has_its_page(org, login):
    """Person ids that are the names of the programme's pages (``add``, ``rules``,
    ``targets``, ``champion``, ``visits``, ``assign``) reach the person, not the page; the
    address before (``/people/<id>/``) redirects to the person's page."""
    from openkam.web.people.models import Person

    client = login(org["users"]["Chris"])
    for pid in ("add", "rules", "targets", "champion", "visits", "assign"):
        Person.objects.create(person_id=pid, name=f"Person {pid}", role="viewer")
        page = client.get(f"/person/{pid}/")
        assert page.status_code == 200 and f"Person {pid}" in page.content.decode()
        assert client.get(f"/person/{pid}/edit/").status_code == 200
    # The programme's pages are where they were.
    assert "Programme rules" in client.get("/people/rules/").content.decode()
    moved = client.get("/people/P-Alice/")
    assert (moved.status_code, moved["Location"]) == (301, "/person/P-Alice/")
    # The People menu entry stays active on a person's page.
    assert client.get("/person/P-Alice/").context["nav_items"]
    active = [
        i["label"] for i in client.get("/person/P-Alice/").context["nav_items"] if i["active"]
    ]
    assert active == ["People"]
