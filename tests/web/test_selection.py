"""Key account selection in the web app: criteria versions, scores, overrides, reviews."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openkam.engine.selection import SelectionInfeasible, config_to_dict, default_config
from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.people.models import Person, ProgrammeRules
from openkam.web.portfolio import services
from openkam.web.portfolio.models import Override, Review

SMALL = config_to_dict(default_config())
SMALL["programme"] = {"min_accounts": 1, "max_accounts": 3, "kam_min": 1, "kam_max": 2}
SMALL["hysteresis"] = {"entry": 0.0, "exit": 0.0, "reviews": 2}
SMALL["economics"] = {"kam_cost": 0.0, "account_cost": 0.0}


@pytest.fixture
def small(programme):
    """Given: programme rules small enough for the three-account fixture; the KAMs are
    full-time KAMs and the sponsor a C-level executive, as the programme rules require."""
    Person.objects.filter(role="kam").update(full_time_kam=True)
    Person.objects.filter(role="sponsor").update(executive_level="c_level")
    ProgrammeRules.objects.create(kam_min_accounts=1, kam_max_accounts=2)
    services.save_criteria(SMALL, programme["users"]["Chris"], "small programme")
    return programme


def test_criteria_are_versioned_and_only_the_champion_changes_them(programme):
    chris, alice = programme["users"]["Chris"], programme["users"]["Alice"]
    v1 = services.current_criteria()
    v2 = services.save_criteria(SMALL, chris, "smaller")
    assert (v1.number, v2.number) == (1, 2)
    with pytest.raises(PermissionDenied):
        services.save_criteria(SMALL, alice)
    with pytest.raises(ValidationError, match="exit threshold"):
        services.save_criteria({"hysteresis": {"entry": 3, "exit": 5}}, chris)


def test_override_without_a_reason_is_refused(programme):
    chris = programme["users"]["Chris"]
    a2 = programme["accounts"]["A2"]
    with pytest.raises(ValidationError, match="written reason"):
        services.add_override(a2, "key", "   ", chris)
    with pytest.raises(PermissionDenied):
        services.add_override(a2, "key", "a reason", programme["users"]["Alice"])
    services.add_override(a2, "key", "Strategic entry into Asia", chris)
    event = AuditEvent.objects.filter(account_key="A2", message__contains="override").get()
    assert event.changes["reason"] == "Strategic entry into Asia"


def test_kam_scores_own_account_only(programme):
    alice = programme["users"]["Alice"]
    score = services.record_score(programme["accounts"]["A1"], "satisfaction", 4, "NPS 45", alice)
    assert score.value == 4
    with pytest.raises(PermissionDenied):
        services.record_score(programme["accounts"]["A2"], "satisfaction", 4, "", alice)
    with pytest.raises(ValidationError, match="between 1 and 5"):
        services.record_score(programme["accounts"]["A1"], "satisfaction", 9, "", alice)
    stage = services.record_score(
        programme["accounts"]["A1"], "relationship_stage", "interdependent", "", alice
    )
    assert stage.value == 4.0


def test_review_snapshots_and_applies_decisions(small):
    chris = small["users"]["Chris"]
    # A3 is a subsidiary: selected with its parent, not on its own.
    Account.objects.filter(account_id="A1").update(key_status="not_key", kam=None, sponsor=None)
    services.add_override(small["accounts"]["A2"], "not_key", "Exiting the segment", chris)
    review = services.create_review(chris, "2025 yearly")
    rows = {r["account_id"]: r for r in review.rows()}
    assert set(rows) == {"A1", "A2"}
    assert rows["A2"]["decision"] == "not_key" and rows["A2"]["binding"] == ["override"]
    assert review.overrides[0]["reason"] == "Exiting the segment"
    assert review.status == "draft" and review.criteria.number == 2
    services.apply_review(review, chris)
    a1 = Account.objects.get(account_id="A1")
    assert a1.key_status == "key" and a1.kam.role == "kam" and a1.sponsor.role == "sponsor"
    assert AuditEvent.objects.filter(account_key="A1", message__startswith="2025 yearly").exists()
    with pytest.raises(ValidationError, match="applied already"):
        services.apply_review(review, chris)


def test_infeasible_settings_give_a_clear_error(small):
    Person.objects.filter(role="kam").update(active=False)
    with pytest.raises(SelectionInfeasible, match="no active key account manager"):
        services.create_review(small["users"]["Chris"])


def test_pages_render(small, login, django_capture_on_commit_callbacks):
    chris = small["users"]["Chris"]
    client = login(chris)
    assert "No selection review yet" in client.get("/selection/").content.decode()
    # The review is computed by a background task (run at once by the test task backend).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/selection/run/", {"label": "Q1"})
    assert response.status_code == 302 and response["Location"] == "/selection/"
    review = Review.objects.get()
    assert review.label == "Q1"
    page = client.get("/selection/").content.decode()
    assert "Selection matrix" in page and "Acme Foods" in page
    points = client.get(f"/selection/reviews/{review.pk}/matrix/").json()["points"]
    assert {p[3] for p in points} <= {"A1", "A2"}
    assert client.get(f"/selection/reviews/{review.pk}/").status_code == 200
    client.post(f"/selection/reviews/{review.pk}/apply/")
    second = services.create_review(chris, "Q2")
    page = client.get(f"/selection/reviews/compare/?a={review.pk}&b={second.pk}").content.decode()
    assert "Q1 → Q2" in page
    assert "version 2" in client.get("/selection/criteria/").content.decode()
    assert client.get("/selection/accounts/A1/").status_code == 200
    assert "Key account selection" in client.get("/accounts/A1/").content.decode()


def test_override_form_refuses_empty_reason(small, login):
    client = login(small["users"]["Chris"])
    response = client.post(
        "/selection/accounts/A2/override/", {"decision": "key", "reason": ""}, follow=True
    )
    assert "written reason" in response.content.decode()
    assert not Override.objects.exists()


def test_viewer_cannot_run_a_review(small, login):
    client = login(small["users"]["Vera"])
    client.post("/selection/run/")
    assert not Review.objects.exists()


def test_api(small, login):
    client = login(small["users"]["Chris"])
    r = client.post(
        "/api/selection/overrides/",
        {"account": "A2", "decision": "key", "reason": ""},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = client.post(
        "/api/selection/reviews/", {"label": "API", "apply": True}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    decisions = client.get(f"/api/selection/reviews/{r.json()['id']}/decisions/").json()["results"]
    assert {d["account_id"] for d in decisions} == {"A1", "A2"}
    assert client.get("/api/selection/criteria/").json()["count"] == 2
    vera = login(small["users"]["Vera"])
    assert (
        vera.post("/api/selection/reviews/", {}, content_type="application/json").status_code == 403
    )
