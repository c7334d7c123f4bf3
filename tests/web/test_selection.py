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


def test_api(small, login, django_capture_on_commit_callbacks):
    client = login(small["users"]["Chris"])
    r = client.post(
        "/api/selection/overrides/",
        {"account": "A2", "decision": "key", "reason": ""},
        content_type="application/json",
    )
    assert r.status_code == 400
    # The review is computed by the task worker, never on the request: 202 with the run,
    # whose params name the new review once it is done (here the task runs at commit).
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/selection/reviews/",
            {"label": "API", "apply": True},
            content_type="application/json",
        )
    assert r.status_code == 202, r.content
    run = client.get(f"/api/runs/{r.json()['id']}/").json()
    assert run["status"] == "done", run
    review = Review.objects.get(pk=run["params"]["review"])
    assert review.label == "API" and review.status == Review.Status.APPLIED
    assert run["params"]["accounts_changed"] >= 0
    decisions = client.get(f"/api/selection/reviews/{review.pk}/decisions/").json()["results"]
    assert {d["account_id"] for d in decisions} == {"A1", "A2"}
    assert client.get("/api/selection/criteria/").json()["count"] == 2
    vera = login(small["users"]["Vera"])
    assert (
        vera.post("/api/selection/reviews/", {}, content_type="application/json").status_code == 403
    )


@pytest.fixture
def many(small):
    """Given: 120 more top-level accounts (no ledger: every score comes from the rules for
    missing values), so a review has 122 rows, more than two pages."""
    Account.objects.bulk_create(
        Account(account_id=f"M{i:03d}", name=f"Many {i:03d}", industry="food", region="EMEA")
        for i in range(120)
    )
    return small


def test_review_pages_are_paginated_and_filterable(many, login):
    chris = many["users"]["Chris"]
    review = services.create_review(chris, "Big")
    assert review.row_set.count() == 122
    client = login(chris)
    page = client.get(f"/selection/reviews/{review.pk}/")
    html = page.content.decode()
    # One page of 50 rows; the response stays small whatever the number of accounts.
    assert html.count('<td class="small why">') == 50
    assert len(page.content) < 300_000
    assert "page 1 of 3" in html
    html = client.get(f"/selection/reviews/{review.pk}/?page=3").content.decode()
    assert html.count('<td class="small why">') == 22
    html = client.get(f"/selection/reviews/{review.pk}/?q=Many+007").content.decode()
    assert html.count('<td class="small why">') == 1 and "M007" in html
    html = client.get(f"/selection/reviews/{review.pk}/?show=key_now").content.decode()
    assert html.count('<td class="small why">') == 1 and "Acme Foods" in html
    # Nobody scored the new accounts' strength: not assessed, and the matrix says so.
    html = client.get(f"/selection/reviews/{review.pk}/?show=not_assessed").content.decode()
    assert "not assessed" in html and "122 accounts not assessed" in html
    assert client.get(f"/selection/reviews/{review.pk}/matrix/").json() == {"points": []}
    assert len(client.get("/selection/").content) < 300_000


def test_review_api_lists_summaries_and_pages_the_decisions(many, login):
    chris = many["users"]["Chris"]
    client = login(chris)
    for label in ("R1", "R2", "R3"):
        services.create_review(chris, label)
    listing = client.get("/api/selection/reviews/")
    assert listing.status_code == 200
    body = listing.content.decode()
    # Summaries: no account rows in the list, whatever the portfolio's size.
    assert "M007" not in body and len(listing.content) < 60_000
    review = listing.json()["results"][0]
    decisions = client.get(review["decisions_url"]).json()
    assert decisions["count"] == 122 and len(decisions["results"]) == 50
    row = decisions["results"][0]
    assert {"current_decision", "current_kam", "current_sponsor", "changes"} <= set(row)
    changed = client.get(review["decisions_url"] + "?changed=false").json()
    assert changed["count"] == 122


def test_the_same_review_twice_proposes_no_assignment_change(small):
    chris = small["users"]["Chris"]
    Account.objects.filter(account_id="A1").update(key_status="not_key", kam=None, sponsor=None)
    first = services.create_review(chris, "Q1")
    assert first.row_set.filter(changed=True).exists()
    services.apply_review(first, chris)
    second = services.create_review(chris, "Q2")
    assert list(second.row_set.filter(changed=True).values_list("account_id", flat=True)) == []
    assert services.compare_reviews(first, second) == []
    assert services.pending_changes(second) == []


def test_applying_asks_for_confirmation_and_lists_the_changes(small, login):
    chris = small["users"]["Chris"]
    Account.objects.filter(account_id="A1").update(key_status="not_key", kam=None, sponsor=None)
    review = services.create_review(chris, "Q1")
    client = login(chris)
    html = client.get(f"/selection/reviews/{review.pk}/apply/").content.decode()
    # By hand: A1 and A2 both gain 0 (no ledger); the programme needs one key account and
    # the tie goes to continuity: A2 already has a KAM (Bob), who keeps it.
    assert "Apply Q1?" in html and "It has no sponsor today: Sam takes it" in html
    pending = services.pending_changes(review)
    assert [(r["account_id"], [d["field"] for d in r["diffs"]]) for r in pending] == [
        ("A2", ["decision", "sponsor"])
    ]
    # A POST without the confirmation changes nothing.
    client.post(f"/selection/reviews/{review.pk}/apply/")
    review.refresh_from_db()
    assert review.status == "draft"
    client.post(f"/selection/reviews/{review.pk}/apply/", {"confirm": "yes"})
    review.refresh_from_db()
    assert review.status == "applied"
    a2 = Account.objects.get(account_id="A2")
    assert (a2.key_status, a2.kam.name, a2.sponsor.name) == ("key", "Bob", "Sam")


def test_compare_lists_kam_changes_with_their_reason(small):
    chris = small["users"]["Chris"]
    first = services.create_review(chris, "Q1")
    services.apply_review(first, chris)
    # Alice is no longer a full-time KAM: her account must go to Bob.
    Person.objects.filter(name="Alice").update(full_time_kam=False)
    second = services.create_review(chris, "Q2")
    rows = services.compare_reviews(first, second)
    kam = [d for r in rows for d in r["diffs"] if d["field"] == "kam"]
    assert kam and kam[0]["from_name"] == "Alice" and kam[0]["to_name"] == "Bob"
    assert "not a full-time KAM" in kam[0]["reason"]


def _criteria_post(config, **changes):
    """The criteria form's POST data for ``config`` with ``changes`` applied."""
    data = {
        "name": config["name"],
        "based_on": services.current_criteria().number,
        "note": "test",
        "attractiveness_threshold": config["attractiveness_threshold"],
        "strength_threshold": config["strength_threshold"],
        "min_accounts": config["programme"]["min_accounts"],
        "max_accounts": config["programme"]["max_accounts"],
        **config["hysteresis"],
        **{k: v for k, v in config["economics"].items() if k != "continuity_bonus"},
        "c-TOTAL_FORMS": len(config["criteria"]),
        "c-INITIAL_FORMS": len(config["criteria"]),
    }
    for i, c in enumerate(config["criteria"]):
        for k, v in c.items():
            if k == "scale":
                data[f"c-{i}-scale_low"], data[f"c-{i}-scale_high"] = v
            else:
                data[f"c-{i}-{k}"] = v
    data.update(changes)
    return data


def test_criteria_form_edits_weights_and_removes_and_adds_criteria(small, login):
    client = login(small["users"]["Chris"])
    config = services.current_criteria().config
    page = client.get("/selection/criteria/").content.decode()
    assert 'name="c-0-weight"' in page and "Share" in page
    data = _criteria_post(config, **{"c-0-weight": 5, "c-1-DELETE": "on"})
    data.update(
        {
            "c-TOTAL_FORMS": len(config["criteria"]) + 1,
            f"c-{len(config['criteria'])}-key": "innovation",
            f"c-{len(config['criteria'])}-label": "Innovation partner",
            f"c-{len(config['criteria'])}-axis": "attractiveness",
            f"c-{len(config['criteria'])}-source": "assessed",
            f"c-{len(config['criteria'])}-weight": 1,
            f"c-{len(config['criteria'])}-direction": "higher",
            f"c-{len(config['criteria'])}-normalisation": "scale",
            f"c-{len(config['criteria'])}-missing": "median",
            f"c-{len(config['criteria'])}-scale_low": 1,
            f"c-{len(config['criteria'])}-scale_high": 5,
        }
    )
    response = client.post("/selection/criteria/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = services.current_criteria().config
    keys = [c["key"] for c in saved["criteria"]]
    assert saved["criteria"][0]["weight"] == 5
    assert config["criteria"][1]["key"] not in keys and "innovation" in keys


def test_criteria_form_refuses_bad_rules_and_stale_edits(small, login):
    client = login(small["users"]["Chris"])
    config = services.current_criteria().config
    html = client.post(
        "/selection/criteria/", _criteria_post(config, entry=3, exit=5)
    ).content.decode()
    assert "exit threshold must not exceed the entry threshold" in html
    stale = _criteria_post(config, based_on=1)
    html = client.post("/selection/criteria/", stale).content.decode()
    assert "changed while you edited them" in html
    assert services.current_criteria().number == 2
    # The CLI's file stays available.
    assert client.get("/selection/criteria/file/").json()["name"] == config["name"]


def test_a_review_that_breaks_a_rule_is_applied_only_with_a_reason(small, login):
    # The champion takes A1 (Alice's only key account) out of the programme: A2 enters with
    # Bob, and Alice is left with no key account, under the minimum of 1 (people.rules):
    # applying is refused until the champion writes why the programme accepts it.
    chris = small["users"]["Chris"]
    services.add_override(small["accounts"]["A1"], "not_key", "Exit agreed with the CEO", chris)
    review = services.create_review(chris, "Q1")
    # By the time it is applied Alice is a full-time KAM again: handing her only account to
    # Bob now leaves an eligible KAM under the minimum (an ineligible one handing over
    # would be the fix, not a breach).
    Person.objects.filter(name="Alice").update(full_time_kam=True)
    client = login(chris)
    html = client.get(f"/selection/reviews/{review.pk}/apply/").content.decode()
    assert "Programme rules this would break" in html and "Alice" in html
    response = client.post(f"/selection/reviews/{review.pk}/apply/", {"confirm": "yes"})
    assert response.status_code == 400 and "Not applied" in response.content.decode()
    review.refresh_from_db()
    assert review.status == "draft"
    client.post(
        f"/selection/reviews/{review.pk}/apply/",
        {"confirm": "yes", "exception_reason": "Alice moves to the new market team in May"},
    )
    review.refresh_from_db()
    assert review.status == "applied"
    assert Account.objects.get(account_id="A1").key_status == "not_key"
    assert Account.objects.get(account_id="A2").key_status == "key"


def test_stored_rows_are_compact_and_read_back_as_the_engine_wrote_them(small):
    chris = small["users"]["Chris"]
    built = services.build_recommendation(services.current_criteria(saved=True))
    engine_rows = {r["account_id"]: r for r in built[0]["accounts"]}
    review = services.save_review(chris, "Q1", services.current_criteria(), built)
    stored = review.row_set.get(account_id="A1").data["contributions"]["attractiveness"][0]
    assert isinstance(stored, list) and len(stored) == 4
    for row in review.rows():
        assert row["contributions"] == engine_rows[row["account_id"]]["contributions"]


def test_a_review_in_the_api_list_weighs_the_same_whatever_its_candidates(small, login):
    """The list gives summaries: 2 candidates or 122, one review's entry is the same size
    (give or take the digits of its counts)."""
    import json

    chris = small["users"]["Chris"]
    client = login(chris)
    services.create_review(chris, "R1")
    few = client.get("/api/selection/reviews/").json()["results"][0]
    Account.objects.bulk_create(
        Account(account_id=f"M{i:03d}", name=f"Many {i:03d}", industry="food", region="EMEA")
        for i in range(120)
    )
    services.create_review(chris, "R2")
    listing = client.get("/api/selection/reviews/").json()["results"]
    many = next(r for r in listing if r["label"] == "R2")
    assert few["label"] == "R1" and many["id"] != few["id"]
    size = len(json.dumps(few)), len(json.dumps(many))
    assert abs(size[1] - size[0]) < 200, size
    detail = client.get(f"/api/selection/reviews/{many['id']}/").content
    assert b"M007" not in detail and len(detail) < 2 * size[0]


def test_an_account_leaving_the_programme_ends_its_kam_and_sponsor(small, login):
    """Given: A1 is key (Alice KAM, Sam sponsor), and the champion excludes it with a
    reason; A2 (Bob's, no sponsor) takes its place. When the review is applied, A1's KAM and
    sponsor assignments end on the day (kept in the history), the confirmation lists them
    with the reason, and Alice, left with no key account under the minimum of 1, is shown."""
    import datetime as dt

    from openkam.web.people.models import Assignment

    chris = small["users"]["Chris"]
    a1 = small["accounts"]["A1"]
    # A1's holders have a history from an earlier day (else a same-day end deletes them).
    start = dt.date.today() - dt.timedelta(days=30)
    for role, person in (("kam", "Alice"), ("sponsor", "Sam")):
        Assignment.objects.create(
            account=a1, role=role, person=small["people"][person], start=start, reason="set up"
        )
    services.add_override(a1, "not_key", "Customer moved to a tender-only model", chris)
    review = services.create_review(chris, "Q3")
    pending = {r["account_id"]: r for r in services.pending_changes(review)}
    a1_diffs = {d["field"]: d for d in pending["A1"]["diffs"]}
    assert set(a1_diffs) == {"decision", "kam", "sponsor"}
    assert (a1_diffs["kam"]["from_name"], a1_diffs["kam"]["to_name"]) == ("Alice", "nobody")
    assert (a1_diffs["sponsor"]["from_name"], a1_diffs["sponsor"]["to"]) == ("Sam", None)
    assert a1_diffs["kam"]["reason"] == (
        "The account leaves the key account programme: the KAM assignment ends on "
        f"{dt.date.today().isoformat()}, when the review is applied (kept in the assignment "
        "history)."
    )
    assert "tender-only" in a1_diffs["decision"]["reason"]
    # The capacity rules are re-checked: Alice would carry no key account (minimum 1).
    violations = services.apply_violations(review)
    assert [(v.rule, v.person_name) for v in violations] == [("kam_min_accounts", "Alice")]
    page = login(chris).get(f"/selection/reviews/{review.pk}/apply/").content.decode()
    assert "Alice would carry 0 key accounts as KAM" in page
    assert "the sponsor assignment ends on" in page
    # Applying without a reason is refused (nothing changes); with one it goes through.
    from openkam.web.people.assignments import RuleViolation

    with pytest.raises(RuleViolation):
        services.apply_review(review, chris)
    assert Account.objects.get(account_id="A1").kam_id == small["people"]["Alice"].pk
    services.apply_review(review, chris, exception_reason="Alice takes over A4 next month")
    a1.refresh_from_db()
    assert (a1.key_status, a1.kam, a1.sponsor) == ("not_key", None, None)
    ended = Assignment.objects.filter(account=a1).order_by("role")
    assert [(a.role, a.person.name, a.start, a.end) for a in ended] == [
        ("kam", "Alice", start, dt.date.today()),
        ("sponsor", "Sam", start, dt.date.today()),
    ]
    event = AuditEvent.objects.filter(account_key="A1", action="update").latest("id")
    assert "KAM Alice → nobody" in event.message and "tender-only" in event.message


def test_scores_page_writes_estimates_as_money(programme, login):
    # Given: Alice estimates A1's potential at 250,000 and scores its satisfaction 4.
    alice = programme["users"]["Alice"]
    services.record_score(programme["accounts"]["A1"], "potential", 250000, "", alice)
    services.record_score(programme["accounts"]["A1"], "satisfaction", 4, "", alice)
    html = login(alice).get("/selection/accounts/A1/").content.decode()
    # Then the estimate carries the reporting currency (latest and history); the score not.
    assert html.count("250,000 EUR") == 2
    assert "satisfaction = 4" in html
    assert "4 EUR" not in html
