"""Partnerships, yearly programme reviews, readiness snapshots: services, pages, API, CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Contact
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.models import AuditEvent
from openkam.web.planning.models import Plan, ValueProposition
from openkam.web.programme import services
from openkam.web.programme.models import (
    Partnership,
    ProgrammeReview,
    ReadinessSettings,
    ReadinessSnapshot,
)

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


# --- partnerships -----------------------------------------------------------------------------


def test_kam_records_the_customers_agreement(programme):
    alice, a1 = programme["users"]["Alice"], programme["accounts"]["A1"]
    plan = Plan.objects.create(account=a1)
    offer = ValueProposition.objects.create(plan=plan, solution="VMI", customer_gain="-15 % stock")
    carla = Contact.objects.get(contact_id="C1")
    p = services.set_partnership(
        a1,
        {"status": "agreed", "status_date": YESTERDAY, "agreed_by": carla},
        None,
        alice,
        benefits=[offer.pk],
    )
    assert (p.status, p.agreed_by, list(p.benefits.all())) == ("agreed", carla, [offer])
    event = AuditEvent.objects.filter(object_repr__startswith="Acme Foods: Agreed").first()
    assert event is not None and event.account_key == "A1"


def test_agreement_needs_who_agreed_from_the_same_account(programme):
    alice, a1, a2 = (
        programme["users"]["Alice"],
        programme["accounts"]["A1"],
        programme["accounts"]["A2"],
    )
    with pytest.raises(ValidationError, match="Say who"):
        services.set_partnership(a1, {"status": "agreed", "status_date": YESTERDAY}, None, alice)
    stranger = Contact.objects.create(contact_id="C9", account=a2, name="Other Buyer")
    with pytest.raises(ValidationError, match="not a contact of Acme Foods"):
        services.set_partnership(
            a1, {"status": "agreed", "status_date": YESTERDAY, "agreed_by": stranger}, None, alice
        )
    assert not Partnership.objects.exists()


def test_benefits_must_be_the_accounts_own_value_propositions(programme):
    alice, a1, a2 = (
        programme["users"]["Alice"],
        programme["accounts"]["A1"],
        programme["accounts"]["A2"],
    )
    other = ValueProposition.objects.create(
        plan=Plan.objects.create(account=a2), solution="x", customer_gain="y"
    )
    with pytest.raises(ValidationError, match="value propositions of this account"):
        services.set_partnership(
            a1, {"status": "proposed", "status_date": YESTERDAY}, None, alice, benefits=[other.pk]
        )


def test_only_the_accounts_editors_record_it(programme):
    bob, a1 = programme["users"]["Bob"], programme["accounts"]["A1"]
    with pytest.raises(PermissionDenied):
        services.set_partnership(a1, {"status": "proposed", "status_date": YESTERDAY}, None, bob)


def test_a_stale_edit_is_refused(programme):
    alice, a1 = programme["users"]["Alice"], programme["accounts"]["A1"]
    p = services.set_partnership(a1, {"status": "proposed", "status_date": YESTERDAY}, None, alice)
    services.set_partnership(a1, {"status": "in_discussion"}, p.version, alice)
    with pytest.raises(ConcurrentEditError):
        services.set_partnership(a1, {"status": "paused"}, p.version, alice)
    assert Partnership.objects.get().status == "in_discussion"


def test_partnership_page_and_panel(programme, login):
    client = login(programme["users"]["Alice"])
    page = client.get("/accounts/A1/")
    assert "no agreement" in page.content.decode()
    response = client.post(
        "/programme/partnerships/A1/",
        {
            "status": "agreed",
            "status_date": YESTERDAY.isoformat(),
            "agreed_by": Contact.objects.get().pk,
        },
    )
    assert response.status_code == 302
    assert Partnership.objects.get().status == "agreed"
    assert "Agreed" in client.get("/accounts/A1/").content.decode()
    # Bob manages A2, not A1: he reads the page but may not post.
    bob = login(programme["users"]["Bob"])
    assert bob.get("/programme/partnerships/A1/").status_code == 200
    assert bob.post("/programme/partnerships/A1/", {"status": "declined"}).status_code == 403


def test_home_lists_key_accounts_without_agreement(programme, login):
    home = login(programme["users"]["Chris"]).get("/").content.decode()
    assert "without the customer" in home and "Acme Foods" in home


# --- the yearly review ----------------------------------------------------------------------


def test_champion_opens_and_closes_the_yearly_review(programme):
    chris = programme["users"]["Chris"]
    first = services.open_review(2025, chris)
    assert first.gathered["key_accounts"] == 1
    assert set(first.gathered["readiness"]) == {str(n) for n in range(1, 8)}
    with pytest.raises(ValidationError, match="Close the open"):
        services.open_review(2026, chris)
    with pytest.raises(ValidationError, match="decisions"):
        services.close_review(first, "", first.version, chris)
    services.close_review(first, "Add an operations lead to every team.", first.version, chris)
    first.refresh_from_db()
    assert first.status == "closed" and first.signed_by == programme["people"]["Chris"]
    second = services.open_review(2026, chris)
    assert second.previous == first
    with pytest.raises(ValidationError, match="closed review cannot"):
        services.update_review(first, {"decisions": "rewrite history"}, first.version, chris)


def test_only_the_programme_roles_open_reviews(programme):
    with pytest.raises(PermissionDenied):
        services.open_review(2026, programme["users"]["Alice"])


def test_review_pages(programme, login):
    client = login(programme["users"]["Chris"])
    assert client.post("/programme/reviews/open/", {"year": "twenty"}).status_code == 302
    assert not ProgrammeReview.objects.exists()
    assert client.post("/programme/reviews/open/", {"year": "2026"}).status_code == 302
    review = ProgrammeReview.objects.get()
    page = client.get("/programme/reviews/2026/")
    assert page.status_code == 200 and "Decisions" in page.content.decode()
    client.post(
        "/programme/reviews/2026/",
        {"action": "close", "decisions": "Keep going.", "version": review.version},
    )
    assert ProgrammeReview.objects.get().status == "closed"
    assert client.get("/programme/reviews/1999/").status_code == 404


# --- readiness snapshots ---------------------------------------------------------------------


def test_reading_creates_no_rows(programme, login):
    client = login(programme["users"]["Vera"])
    assert client.get("/programme/").status_code == 200
    assert client.get("/programme/settings/").status_code == 200
    assert client.get("/api/programme/readiness/").status_code == 200
    assert not ReadinessSnapshot.objects.exists()
    assert not ReadinessSettings.objects.exists()


def test_a_change_that_moves_a_step_is_recorded(
    programme, settings, django_capture_on_commit_callbacks
):
    settings.OPENKAM_READINESS_AUTO = True
    alice, a1 = programme["users"]["Alice"], programme["accounts"]["A1"]
    carla = Contact.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_partnership(a1, {"status": "proposed", "status_date": YESTERDAY}, None, alice)
    first = ReadinessSnapshot.objects.get()
    # The only key account agreeing moves step 4's partnership check; step 4 stays 'partly'
    # (a programme of one key account is below its bounds), so no new snapshot is kept...
    with django_capture_on_commit_callbacks(execute=True):
        services.set_partnership(a1, {"status": "agreed", "agreed_by": carla}, None, alice)
    assert ReadinessSnapshot.objects.count() == 1
    # ...while appointing the champion, reporting to the CEO, moves step 3 to met.
    from openkam.web.people.models import ChampionAppointment, Person

    ceo = Person.objects.create(person_id="CEO", name="Cora", executive_level="c_level")
    ChampionAppointment.objects.create(
        person=programme["people"]["Chris"], since=YESTERDAY, reports_to=ceo
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.set_partnership(a1, {"notes": "signed MoU"}, None, alice)
    latest = ReadinessSnapshot.objects.order_by("-id").first()
    assert ReadinessSnapshot.objects.count() == 2
    assert (first.statuses["3"], latest.statuses["3"]) == ("partly", "met")


def test_readiness_settings_by_the_champion_only(programme, login):
    kam = login(programme["users"]["Alice"])
    assert (
        kam.put(
            "/api/programme/readiness/settings/",
            {"target_share": "0.5", "version": 1},
            content_type="application/json",
        ).status_code
        == 403
    )
    chris = login(programme["users"]["Chris"])
    ok = chris.put(
        "/api/programme/readiness/settings/",
        {"target_share": "0.50", "version": 1},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert str(ReadinessSettings.current().target_share) == "0.50"
    stale = chris.put(
        "/api/programme/readiness/settings/",
        {"target_share": "0.60", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = chris.put(
        "/api/programme/readiness/settings/",
        {
            "min_key_accounts": 30,
            "max_key_accounts": 10,
            "version": ReadinessSettings.current().version,
        },
        content_type="application/json",
    )
    assert bad.status_code == 400


# --- API and CLI ---------------------------------------------------------------------------


def test_api_readiness_and_partnerships(programme, login):
    client = login(programme["users"]["Alice"])
    out = client.get("/api/programme/readiness/").json()
    assert [s["step"] for s in out["steps"]] == list(range(1, 8))
    created = client.post(
        "/api/partnerships/",
        {"account_id": "A1", "status": "proposed", "status_date": YESTERDAY.isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    other = client.post(
        "/api/partnerships/",
        {"account_id": "A2", "status": "proposed", "status_date": YESTERDAY.isoformat()},
        content_type="application/json",
    )
    assert other.status_code == 403
    updated = client.patch(
        "/api/partnerships/A1/",
        {"status": "agreed", "agreed_by": "C1", "version": 1},
        content_type="application/json",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["agreed_by"] == "C1"
    stale = client.patch(
        "/api/partnerships/A1/", {"status": "paused", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    # An id past PostgreSQL's integer column (found by the API fuzz): a 400 that names the
    # field, not a database error.
    huge = client.patch(
        "/api/partnerships/A1/",
        {"benefits": [2**37 + 1], "version": 2},
        content_type="application/json",
    )
    assert huge.status_code == 400 and "benefits" in huge.json(), huge.content


def test_api_programme_review(programme, login):
    chris = login(programme["users"]["Chris"])
    opened = chris.post("/api/programme/reviews/", {"year": 2026}, content_type="application/json")
    assert opened.status_code == 201, opened.content
    closed = chris.post(
        "/api/programme/reviews/2026/close/",
        {"decisions": "Proceed.", "version": opened.json()["version"]},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    kam = login(programme["users"]["Alice"])
    assert (
        kam.post(
            "/api/programme/reviews/", {"year": 2027}, content_type="application/json"
        ).status_code
        == 403
    )


def test_cli_readiness_json(programme, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    result = CliRunner().invoke(app, ["readiness", "--json", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["as_of"] == "2026-06-30"
    assert [s["step"] for s in out["steps"]] == list(range(1, 8))
    assert all(s["status"] in {"met", "partly", "not_met"} for s in out["steps"])
    bad = CliRunner().invoke(app, ["readiness", "--as-of", "June"])
    assert bad.exit_code == 2 and "not a date" in bad.output
