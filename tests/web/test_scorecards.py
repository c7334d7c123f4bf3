"""Scorecards in the web app: crediting stored month figures by the assignment history to
the cent, ΔCLV between two snapshots, plan attainment on hand-made plans, who sees what on
pages, API and exports, the weights and their revenue warning, recording, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.core.models import Computation
from openkam.web.people.models import Assignment, Person
from openkam.web.planning.models import Action, Objective, Plan
from openkam.web.profitability.models import AccountPeriodFigures
from openkam.web.scorecards import services
from openkam.web.scorecards.models import ClvSnapshot, ClvSnapshotValue, Scorecard

D = Decimal


def figures(run, account: str, period: str, grain: str, sales, cogs, cts):
    sales, cogs, cts = D(sales), D(cogs), D(cts)
    AccountPeriodFigures.objects.create(
        computation=run,
        account_key=account,
        grain=grain,
        period=period,
        gross_sales=sales,
        discounts=0,
        invoiced_sales=sales,
        rebates=0,
        net_sales=sales,
        cogs=cogs,
        gross_margin=sales - cogs,
        cost_to_serve=cts,
        net_contribution=sales - cogs - cts,
    )


@pytest.fixture
def ledger(programme):
    """Given: the profitability engine's stored figures for 2025 (and 2024) of A1 and A2 —
    A1 sells 1,000.00 a month, 600.00 cost of goods, 100.33 cost to serve; its year row,
    rounded once, says 12,000.03 net sales and 1,203.97 cost to serve. A2 sells 500.00 a
    month at a loss (cost to serve 450.00). A1 changes KAM on 1 July 2025 (Alice → Bob);
    Bob holds A2 all along; Sam sponsors A1."""
    run = Computation.objects.create(
        kind="profitability", status="done", is_current=True, summary={"years": ["2025"]}
    )
    for m in range(1, 13):
        figures(run, "A1", f"2025-{m:02d}", "month", "1000.00", "600.00", "100.33")
        figures(run, "A2", f"2025-{m:02d}", "month", "500.00", "100.00", "450.00")
        figures(run, "A1", f"2024-{m:02d}", "month", "900.00", "600.00", "100.00")
    figures(run, "A1", "2025", "year", "12000.03", "7200.00", "1203.97")
    figures(run, "A2", "2025", "year", "6000.00", "1200.00", "5400.00")
    figures(run, "A1", "2024", "year", "10800.00", "7200.00", "1200.00")
    p, a = programme["people"], programme["accounts"]
    Assignment.objects.create(
        account=a["A1"], role="kam", person=p["Alice"], start=dt.date(2024, 1, 1),
        end=dt.date(2025, 7, 1),
    )  # fmt: skip
    Assignment.objects.create(
        account=a["A1"], role="kam", person=p["Bob"], start=dt.date(2025, 7, 1)
    )
    Assignment.objects.create(
        account=a["A2"], role="kam", person=p["Bob"], start=dt.date(2024, 1, 1)
    )
    Assignment.objects.create(
        account=a["A1"], role="sponsor", person=p["Sam"], start=dt.date(2024, 1, 1)
    )
    return run


def card(data, person_id, role="kam"):
    return next(p for p in data["people"] if p["person_id"] == person_id and p["role"] == role)


def test_months_held_crediting_to_the_cent(ledger):
    data = services.compute(services.resolve_period("2025"))
    alice, bob = card(data, "P-Alice"), card(data, "P-Bob")
    a1_alice = next(a for a in alice["accounts"] if a["account_id"] == "A1")
    a1_bob = next(a for a in bob["accounts"] if a["account_id"] == "A1")
    # By hand: 6 months each; the year row's 3 extra cents of net sales split 1.5/1.5 →
    # 2 to the earlier holder (Alice), 1 to Bob; the 1 extra cent of cost to serve to Alice.
    assert (a1_alice["months_held"], a1_bob["months_held"]) == (6, 6)
    assert a1_alice["net_sales"] == D("6000.02")
    assert a1_bob["net_sales"] == D("6000.01")
    # Alice: 6,000.02 − 3,600.00 − 601.99 = 1,798.03; Bob's A1 part: 1,798.03.
    assert a1_alice["net_contribution"] == D("1798.03")
    assert a1_bob["net_contribution"] == D("1798.03")
    # The two parts add up to A1's year: 12,000.03 − 7,200.00 − 1,203.97 = 3,596.06.
    assert a1_alice["net_contribution"] + a1_bob["net_contribution"] == D("3596.06")
    # Bob also holds A2 all year: 12 × (500 − 100 − 450) = −600.00; his total 1,198.03.
    assert bob["net_contribution"] == D("1198.03")
    # Ranks: Alice first by contribution, Bob first by revenue (12,000.01 against 6,000.02).
    assert (alice["rank_by_contribution"], bob["rank_by_contribution"]) == (1, 2)
    assert (alice["rank_by_revenue"], bob["rank_by_revenue"]) == (2, 1)
    # The change on 2024: Alice held A1 all of 2024: 10,800 − 7,200 − 1,200 = 2,400.00.
    assert alice["net_contribution_prior"] == D("2400.00")
    assert alice["net_contribution_change"] == D("-601.97")


def test_the_default_period_is_the_last_complete_year(ledger):
    assert services.resolve_period(None).label == "2025"
    # January 2026 arrives: 2026 is a year to date, and 2025 stays the default.
    figures(ledger, "A1", "2026-01", "month", "10.00", "1.00", "1.00")
    assert services.available_periods()[:2] == ["2026-YTD", "2026-Q1"]
    assert services.resolve_period(None).label == "2025"
    assert services.resolve_period("2026-YTD").months == ["2026-01"]
    # Recorded periods of every kind read back in time order.
    for label in ("2026-YTD", "2025", "2025-Q4", "2025-Q1"):
        services.record(services.resolve_period(label), actor="test")
    alice = Person.objects.get(person_id="P-Alice")
    assert [h.period for h in services.history(alice, "kam")] == ["2025-Q1", "2025"]
    bob = Person.objects.get(person_id="P-Bob")
    assert [h.period for h in services.history(bob, "kam")] == [
        "2025-Q1",
        "2025-Q4",
        "2025",
        "2026-YTD",
    ]


def test_a_quarter_is_credited_from_its_own_row(ledger):
    # No quarter rows are stored here: the quarter is the sum of its months. Q3 is Bob's.
    data = services.compute(services.resolve_period("2025-Q3"))
    assert {p["person_id"] for p in data["people"] if p["role"] == "kam"} == {"P-Bob"}
    a1 = next(a for a in card(data, "P-Bob")["accounts"] if a["account_id"] == "A1")
    # 3 × (1,000.00 − 600.00 − 100.33) = 899.01
    assert (a1["months_held"], a1["net_contribution"]) == (3, D("899.01"))


def snapshot(as_of: str, values: dict[str, str | None]) -> ClvSnapshot:
    snap = ClvSnapshot.objects.create(as_of=dt.date.fromisoformat(as_of), source="as_of")
    for k, v in values.items():
        ClvSnapshotValue.objects.create(
            snapshot=snap, account_key=k, clv_contribution=None if v is None else D(v)
        )
    return snap


def test_delta_clv_between_two_snapshots(ledger):
    # Given: snapshots at the end of 2024 and of 2025 (and one mid-2025, not a bound).
    snapshot("2024-12-31", {"A1": "40000.00", "A2": "5000.00"})
    snapshot("2025-06-30", {"A1": "1.00", "A2": "1.00"})
    snapshot("2025-12-31", {"A1": "50000.01", "A2": "4000.00"})
    data = services.compute(services.resolve_period("2025"))
    assert data["clv_snapshots"] == {"start": "2024-12-31", "end": "2025-12-31"}
    # By hand: A1 built 10,000.01, split 6:6 → 5,000.01 to Alice (the earlier part gets the
    # odd cent) and 5,000.00 to Bob; A2 lost 1,000.00, all Bob's: Bob −1,000 + 5,000 = 4,000.
    assert card(data, "P-Alice")["delta_clv"] == D("5000.01")
    assert card(data, "P-Bob")["delta_clv"] == D("4000.00")
    # Without a snapshot before the period there is no ΔCLV, not a zero.
    data = services.compute(services.resolve_period("2024"))
    assert card(data, "P-Alice")["delta_clv"] is None


def test_plan_attainment_on_hand_made_plans(ledger, programme):
    a = programme["accounts"]
    plan1 = Plan.objects.create(account=a["A1"])
    plan2 = Plan.objects.create(account=a["A2"])
    # A1 (year contribution 3,596.06): a contribution target of 3,000 is met, a net sales
    # target of 20,000 is not. A2 (−600.00): a contribution target of 0 is not met.
    Objective.objects.create(plan=plan1, year=2025, metric="net_contribution", target=3000)
    Objective.objects.create(plan=plan1, year=2025, metric="net_sales", target=20000)
    Objective.objects.create(plan=plan2, year=2025, metric="net_contribution", target=0)
    # Actions due in 2025: one on A1 in March (Alice's then), done (marked done before
    # its due date: created done, and its last change is backdated below); one on A2 in
    # May, still open (Bob's, late). A dropped one does not count.
    done = Action.objects.create(plan=plan1, title="QBR", due=dt.date(2025, 3, 31), status="done")
    Action.objects.filter(pk=done.pk).update(updated=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    Action.objects.create(plan=plan2, title="Cut deliveries", due=dt.date(2025, 5, 31))
    Action.objects.create(plan=plan2, title="Dropped", due=dt.date(2025, 5, 31), status="dropped")
    data = services.compute(services.resolve_period("2025"), today=dt.date(2026, 1, 15))
    # By hand, Alice: A1's two objectives weigh 6/12 each → 0.5 met of 1.0; one action on
    # time of 1 → (0.5 + 1) / (1.0 + 1) = 75 %.
    assert card(data, "P-Alice")["plan_attainment_pct"] == pytest.approx(75.0)
    # Bob: A1's objectives 0.5 met of 1.0, A2's objective 0 of 1 (12/12), A2's action
    # open (0 of 1) → 0.5 / 3 = 16.67 %.
    assert card(data, "P-Bob")["plan_attainment_pct"] == pytest.approx(50 / 3)


def _api(user):
    from django.contrib.auth import get_user_model

    client = APIClient()
    # A fresh copy: the fixture's user object keeps its person as it was first read.
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def test_who_sees_what_pages_api_exports(ledger, programme, client):
    users, people = programme["users"], programme["people"]
    # An executive without the champion's role (a C-level viewer) sees everything too.
    Person.objects.filter(pk=people["Vera"].pk).update(executive_level="c_level")
    # Sam sponsors A1 without an executive level (an exception to the programme's rule):
    # the sponsor's rule, not the executives', decides what he sees.
    Person.objects.filter(pk=people["Sam"].pk).update(executive_level="")
    ceo = users["Vera"]
    cases = {
        # user: (may see Alice, may see Bob, sees the dashboard)
        "Alice": (True, False, False),  # a KAM sees their own
        "Bob": (False, True, False),
        "Sam": (True, True, False),  # the sponsor of A1: its KAMs in 2025 (Alice, Bob)
        "Chris": (True, True, True),  # the champion
        "Olga": (False, False, False),  # an operations person: nobody's
    }
    for name, (alice, bob, dash) in cases.items():
        client.force_login(users[name])
        for who, allowed in (("P-Alice", alice), ("P-Bob", bob)):
            for url in (
                f"/scorecards/{who}/?period=2025",
                f"/scorecards/{who}/export.pdf?period=2025",
                f"/scorecards/{who}/export.xlsx?period=2025",
            ):
                assert client.get(url).status_code == (200 if allowed else 403), (name, url)
            api = _api(users[name]).get(f"/api/scorecards/{who}/?period=2025")
            assert api.status_code == (200 if allowed else 403), (name, who)
        listed = _api(users[name]).get("/api/scorecards/?period=2025&role=kam").json()
        assert {p["person_id"] for p in listed["people"]} == {
            pid for pid, ok in (("P-Alice", alice), ("P-Bob", bob)) if ok
        }
        page = client.get("/scorecards/?period=2025").content.decode()
        assert ("Alice" in page) == alice
        assert client.get("/scorecards/dashboard/?period=2025").status_code == (
            200 if dash else 403
        )
        assert _api(users[name]).get("/api/scorecards/dashboard/?period=2025").status_code == (
            200 if dash else 403
        )
    client.force_login(ceo)
    assert client.get("/scorecards/dashboard/?period=2025").status_code == 200
    assert client.get("/scorecards/P-Alice/?period=2025").status_code == 200


def test_the_api_list_has_the_contracts_keys(ledger, programme):
    data = _api(programme["users"]["Chris"]).get("/api/scorecards/?period=2025").json()
    assert set(data) == {"period", "currency", "people"}
    alice = next(p for p in data["people"] if p["person_id"] == "P-Alice")
    assert set(alice) == {
        "person_id", "name", "role", "accounts", "net_sales", "net_contribution",
        "contribution_margin_pct", "cost_to_serve_pct", "delta_clv", "plan_attainment_pct",
        "rank_by_contribution", "rank_by_revenue", "score",
    }  # fmt: skip
    assert set(alice["accounts"][0]) == {
        "account_id",
        "months_held",
        "net_sales",
        "net_contribution",
    }
    assert alice["net_contribution"] == 1798.03
    # The detail and the dashboard answer what their schema says.
    from openkam.web.scorecards.api import DashboardSerializer, ScorecardDetailSerializer

    detail = _api(programme["users"]["Chris"]).get("/api/scorecards/P-Alice/?period=2025")
    checked = ScorecardDetailSerializer(data=detail.json())
    assert checked.is_valid(), checked.errors
    dash = _api(programme["users"]["Chris"]).get("/api/scorecards/dashboard/?period=2025")
    checked = DashboardSerializer(data=dash.json())
    assert checked.is_valid(), checked.errors


def test_bad_period_is_a_clear_400(ledger, programme, client):
    client.force_login(programme["users"]["Chris"])
    response = client.get("/scorecards/?period=2025-Q7")
    assert response.status_code == 400
    assert "unknown period" in response.content.decode()
    api = _api(programme["users"]["Chris"]).get("/api/scorecards/?period=nonsense")
    assert api.status_code == 400 and "period" in api.json()


def test_weights_only_the_champion_sets_them_and_revenue_warns(ledger, programme):
    chris, alice = programme["users"]["Chris"], programme["users"]["Alice"]
    current = _api(chris).get("/api/scorecards/weights/").json()
    assert current["revenue_warning"] is None
    heavy = {**{k: 0 for k in services.engine.MEASURES}, "net_contribution": 60, "net_sales": 40}
    refused = _api(alice).put(
        "/api/scorecards/weights/", {**heavy, "version": current["version"]}, format="json"
    )
    assert refused.status_code == 403
    bad = _api(chris).put(
        "/api/scorecards/weights/",
        {**heavy, "net_sales": 50, "version": current["version"]},
        format="json",
    )
    assert bad.status_code == 400 and "110" in json.dumps(bad.json())
    ok = _api(chris).put(
        "/api/scorecards/weights/", {**heavy, "version": current["version"]}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    assert "should not be judged on top-line results" in ok.json()["revenue_warning"]
    stale = _api(chris).put(
        "/api/scorecards/weights/", {**heavy, "version": current["version"]}, format="json"
    )
    assert stale.status_code == 409
    data = services.compute(services.resolve_period("2025"))
    assert "top-line" in data["revenue_warning"]


def test_recording_keeps_a_history_and_needs_the_champion(ledger, programme):
    alice, chris = programme["users"]["Alice"], programme["users"]["Chris"]
    assert _api(alice).post("/api/scorecards/record/?period=2025").status_code == 403
    response = _api(chris).post("/api/scorecards/record/?period=2025")
    assert response.status_code == 200 and response.json()["recorded"] == 3  # 2 KAMs, 1 sponsor
    row = Scorecard.objects.get(period="2025", person__person_id="P-Alice", role="kam")
    assert row.net_contribution == D("1798.03")
    history = _api(alice).get("/api/scorecards/history/?person=P-Alice").json()
    assert [h["period"] for h in history] == ["2025"]
    assert _api(chris).get("/api/scorecards/history/?person=P-Bob&role=sponsor").json() == []
    bad = _api(chris).get("/api/scorecards/history/?person=P-Bob&role=boss")
    assert bad.status_code == 400
    assert _api(alice).get("/api/scorecards/history/?person=P-Bob").status_code == 403


def test_cli_json(ledger, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    result = CliRunner().invoke(
        app, ["scorecard", "--period", "2025", "--person", "P-Bob", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["period"] == "2025" and out["currency"] == "EUR"
    bob = out["people"][0]
    assert bob["net_contribution"] == 1198.03
    assert {a["account_id"]: a["months_held"] for a in bob["accounts"]} == {"A1": 6, "A2": 12}
    bad = CliRunner().invoke(app, ["scorecard", "--period", "20x5"])
    assert bad.exit_code == 2 and "unknown period" in bad.output


def test_exports_open(ledger, programme, client):
    import io

    from openpyxl import load_workbook

    client.force_login(programme["users"]["Chris"])
    pdf = client.get("/scorecards/P-Bob/export.pdf?period=2025")
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get("/scorecards/P-Bob/export.xlsx?period=2025")
    wb = load_workbook(io.BytesIO(xlsx.content))
    accounts = wb["Accounts"]
    rows = {r[0]: r for r in accounts.iter_rows(min_row=2, values_only=True)}
    assert rows["A1"][5] == pytest.approx(1798.03)


def test_endpoints_are_typed_in_the_openapi_schema(programme, login):
    import yaml

    schema = yaml.safe_load(login(programme["users"]["Vera"]).get("/api/schema/").content)
    for path in (
        "/api/scorecards/",
        "/api/scorecards/{person_id}/",
        "/api/scorecards/dashboard/",
        "/api/scorecards/weights/",
        "/api/scorecards/history/",
        "/api/scorecards/record/",
    ):
        assert path in schema["paths"], path
    card = schema["components"]["schemas"]["ScorecardDetail"]["properties"]
    assert card["delta_clv"]["type"] == "number" and card["delta_clv"]["nullable"] is True
    assert card["rank_by_contribution"]["type"] == "integer"
    assert "PersonScorecard" in schema["components"]["schemas"]


def test_the_programme_dashboard_by_hand(ledger, programme):
    # Given: A3, held by nobody, sold 2,000.00 in 2025 with 1,000.00 cost of goods and
    # 400.00 cost to serve (contribution 600.00); CLV at the end of 2025: A1 50,000, A2
    # 4,000 (a loss-maker worth keeping), A3 6,000.
    figures(ledger, "A3", "2025", "year", "2000.00", "1000.00", "400.00")
    figures(ledger, "A3", "2025-06", "month", "2000.00", "1000.00", "400.00")
    snapshot("2024-12-31", {"A1": "40000.00", "A2": "5000.00", "A3": "6000.00"})
    snapshot("2025-12-31", {"A1": "50000.00", "A2": "4000.00", "A3": "6000.00"})
    from openkam.web.scorecards.dashboard import dashboard

    data = dashboard(services.resolve_period("2025"))
    # Key accounts A1 + A2: net sales 12,000.03 + 6,000.00 = 18,000.03 of 20,000.03
    # = 90.0 %; contribution 3,596.06 − 600.00 = 2,996.06 of 3,596.06 = 83.3 %;
    # CLV 54,000 of 60,000 = 90 %.
    assert data["shares"]["revenue"] == pytest.approx(18000.03 / 20000.03 * 100)
    assert data["shares"]["contribution"] == pytest.approx(2996.06 / 3596.06 * 100)
    assert data["shares"]["clv"] == pytest.approx(90.0)
    assert data["programme"]["net_contribution"] == D("2996.06")
    assert data["rest"]["net_contribution"] == D("600.00")
    (loss,) = data["loss_makers"]
    assert (loss["account_id"], loss["net_contribution"], loss["justified"]) == (
        "A2",
        D("-600.00"),
        True,
    )
    assert loss["trend"] == "no prior figure"
    # Whale curve: A1 (3,596.06), A3 (600.00), A2 (−600.00): the key accounts at ranks 1
    # and 3; the curve peaks after 2 accounts at 4,196.06 / 3,596.06 = 116.7 %.
    assert [k["rank"] for k in data["whale"]["key_accounts"]] == [1, 3]
    assert data["whale"]["peak_rank"] == 2
    assert data["whale"]["peak_pct"] == pytest.approx(4196.06 / 3596.06 * 100)


@pytest.mark.slow
def test_on_a_generated_supplier_snapshots_and_the_years_add_up(db, tmp_path, settings):
    """Given: a small generated supplier loaded as the demo loads it (its assignment
    history starts with the ledger), profitability and CLV computed, the demo's scorecard
    seeding run."""
    from openkam.engine.synth import generate
    from openkam.web.demo import compute_demo_figures, load_demo
    from openkam.web.scorecards.demo import seed_scorecards

    settings.DATA_DIR = tmp_path
    generate(tmp_path, seed=3, accounts=120, lines=40_000, start=dt.date(2023, 1, 1), years=3)
    load_demo(tmp_path)
    assert "lifetime value" in compute_demo_figures()
    # A handover on 1 July 2024 on one key account, through the assignments as stored.
    first = Assignment.objects.filter(role="kam", end__isnull=True).order_by("account_id").first()
    other = Person.objects.filter(role="kam").exclude(pk=first.person_id).first()
    Assignment.objects.filter(pk=first.pk).update(end=dt.date(2024, 7, 1))
    Assignment.objects.create(
        account_id=first.account_id, role="kam", person=other, start=dt.date(2024, 7, 1)
    )
    periods = seed_scorecards()
    assert "2024" in periods and Scorecard.objects.filter(period="2024").exists()
    # The CLV run was kept as a snapshot on its ledger's last day, and the year ends before
    # were computed on the ledger cut at those days.
    kept = dict(ClvSnapshot.objects.values_list("as_of", "source"))
    assert kept[dt.date(2023, 12, 31)] == "as_of" and kept[dt.date(2024, 12, 31)] == "as_of"
    assert "run" in kept.values()
    cut = ClvSnapshot.objects.get(as_of=dt.date(2023, 12, 31))
    run = ClvSnapshot.objects.get(source="run")
    assert cut.values.count() <= run.values.count()
    # Every key account's year is credited in full: the holders' parts add up to the
    # account's stored year row to the cent, whoever held it.
    data = services.compute(services.resolve_period("2024"))
    parts: dict[str, Decimal] = {}
    for p in data["people"]:
        if p["role"] == "kam":
            for a in p["accounts"]:
                parts[a["account_id"]] = parts.get(a["account_id"], D(0)) + a["net_contribution"]
    rows = dict(
        AccountPeriodFigures.objects.filter(
            computation__is_current=True, grain="year", period="2024", rolled_up=False
        ).values_list("account_key", "net_contribution")
    )
    rolled = dict(
        AccountPeriodFigures.objects.filter(
            computation__is_current=True, grain="year", period="2024", rolled_up=True
        ).values_list("account_key", "net_contribution")
    )
    assert parts
    for account, total in parts.items():
        assert total == rolled.get(account, rows[account]), account
    split = [
        a
        for p in data["people"]
        for a in p["accounts"]
        if a["account_id"] == first.account.account_id and p["role"] == "kam"
    ]
    assert sorted(a["months_held"] for a in split) == [6, 6]
    # ΔCLV of 2024 runs from the 2023-12-31 snapshot to the 2024-12-31 one.
    assert data["clv_snapshots"] == {"start": "2023-12-31", "end": "2024-12-31"}


def test_weights_page_record_button_and_snapshots_page(ledger, programme, client):
    users = programme["users"]
    client.force_login(users["Alice"])
    # A KAM reads the weights but may not change them, record scores or see snapshots.
    page = client.get("/scorecards/weights/").content.decode()
    assert "Only the KAM champion" in page
    assert client.post("/scorecards/weights/", {"net_sales": 100}).status_code == 403
    assert client.post("/scorecards/record/?period=2025").status_code == 403
    assert client.get("/scorecards/snapshots/").status_code == 403
    client.force_login(users["Chris"])
    form = {m: 0 for m in services.engine.MEASURES}
    form.update(net_contribution=70, net_sales=30, revenue_warning_share=10, version=1)
    response = client.post("/scorecards/weights/", form, follow=True)
    assert "should not be judged on top-line results" in response.content.decode()
    # Weights that do not add up are refused with the sum said.
    form.update(net_sales=40, version=2)
    page = client.post("/scorecards/weights/", form).content.decode()
    assert "add up to 110 %" in page
    response = client.post("/scorecards/record/?period=2025", follow=True)
    assert "Recorded 3 scorecards for 2025" in response.content.decode()
    assert client.get("/scorecards/snapshots/").status_code == 200
    # A snapshot before the figures begin is refused with the reason, not a traceback.
    page = client.post("/scorecards/snapshots/", {"as_of": "2020-01-01"})
    assert page.status_code == 200
    assert "no history on or before 2020-01-01: the figures start in 2024-01" in (
        page.content.decode()
    )
    # The revenue warning stands on every scorecard page too.
    assert "top-line" in client.get("/scorecards/P-Alice/?period=2025").content.decode()


def test_coverage_and_sponsor_visits_by_hand(ledger, programme):
    from openkam.web.accounts.models import Contact
    from openkam.web.people.models import SponsorVisit
    from openkam.web.relationships.models import ContactProfile, Relationship

    a, p = programme["accounts"], programme["people"]
    # Given: A1's decision makers are Carla (economic buyer, we know her: strength 3) and
    # Tom (technical buyer, strength 2: not covered); Lea (influence 4) has left and Uli is
    # a user of little influence: neither counts. A2's economic buyer Eva is known well (4).
    carla = Contact.objects.get(contact_id="C1")
    tom = Contact.objects.create(contact_id="C2", account=a["A1"], name="Tom")
    lea = Contact.objects.create(contact_id="C3", account=a["A1"], name="Lea")
    uli = Contact.objects.create(contact_id="C4", account=a["A1"], name="Uli")
    eva = Contact.objects.create(contact_id="C5", account=a["A2"], name="Eva")
    for contact, role, influence, left in [
        (carla, "economic_buyer", 5, False),
        (tom, "technical_buyer", 3, False),
        (lea, "influencer", 4, True),
        (uli, "user", 2, False),
        (eva, "economic_buyer", 4, False),
    ]:
        ContactProfile.objects.update_or_create(
            contact=contact,
            defaults={"buying_role": role, "influence": influence, "left_company": left},
        )
    Relationship.objects.create(contact=carla, person=p["Alice"], strength=3)
    Relationship.objects.create(contact=tom, person=p["Bob"], strength=2)
    Relationship.objects.create(contact=uli, person=p["Bob"], strength=5)
    Relationship.objects.create(contact=eva, person=p["Bob"], strength=4)
    # Sam (sponsor of A1 since 2024, the programme's cadence of 91 days) visited A1 on
    # 2025-02-10, 2025-05-05 and 2025-09-09.
    for day in ("2025-02-10", "2025-05-05", "2025-09-09"):
        SponsorVisit.objects.create(account=a["A1"], sponsor=p["Sam"], date=day)
    data = services.compute(services.resolve_period("2025"), today=dt.date(2026, 1, 15))
    alice, bob, sam = card(data, "P-Alice"), card(data, "P-Bob"), card(data, "P-Sam", "sponsor")
    # Coverage, by hand: Alice (A1) 1 of 2 = 50 %; Bob (A1 and A2) 2 of 3 = 66.7 %.
    assert (alice["coverage"]["covered"], alice["coverage"]["decision_makers"]) == (1, 2)
    assert bob["coverage_pct"] == pytest.approx(200 / 3)
    # Visits: Alice held A1 181 days (1 January – 30 June): ⌈181 / 91⌉ = 2 owed, 2 made
    # (February, May) = 100 %. Bob held it 184 days: 3 owed, 1 made (September) = 33.3 %;
    # A2 has no sponsor, so it owes none. Sam: 365 days, ⌈365 / 91⌉ = 5 owed, 3 made = 60 %.
    assert (alice["sponsor_visits"]["expected"], alice["sponsor_visits"]["kept"]) == (2, 2)
    assert bob["sponsor_visits_pct"] == pytest.approx(100 / 3)
    assert sam["sponsor_visits_pct"] == pytest.approx(60.0)


def test_operations_commitments_kept_credited_to_the_holder(ledger, programme, monkeypatch, client):
    # Given: the operations app measured A1's monthly OTIF commitment in five months of
    # 2025 (kept in February and March, broken in May, kept in August and October) and a
    # month without orders; A2's quarterly one was kept in Q1 and broken in Q3; a 2024
    # period lies outside the scorecard's year.
    rows = [
        ("A1", "2024-12", "kept"),
        ("A1", "2025-02", "kept"),
        ("A1", "2025-03", "kept"),
        ("A1", "2025-04", "no data"),
        ("A1", "2025-05", "broken"),
        ("A1", "2025-08", "kept"),
        ("A1", "2025-10", "kept"),
        ("A2", "2025-Q1", "kept"),
        ("A2", "2025-Q3", "broken"),
    ]
    from django.core.cache import cache

    from openkam.web.operations import services as operations

    cache.clear()  # measured statuses are cached until the ledger or a commitment changes
    monkeypatch.setattr(
        operations,
        "commitment_status",
        lambda accounts: [
            {
                "commitment_id": f"C-{a}",
                "account_id": a,
                "period": p,
                "status": st,
                "measure": "otif_pct",
                "value": 80.0 if st == "broken" else 100.0,
                "target": 95.0,
            }
            for a, p, st in rows
            if a in accounts
        ],
    )
    data = services.compute(services.resolve_period("2025"))
    alice, bob = card(data, "P-Alice"), card(data, "P-Bob")
    # By hand: Alice held A1 January–June: February, March kept, May broken → 2 of 3.
    broken_may = {
        "commitment_id": "C-A1",
        "account_id": "A1",
        "period": "2025-05",
        "measure": "otif_pct",
        "value": 80.0,
        "target": 95.0,
    }
    assert alice["commitments"] == {
        "measured": 3,
        "kept": 2,
        "pct": pytest.approx(200 / 3),
        "broken": [broken_may],
    }
    # Bob's broken period (A2 in Q3) is listed on his scorecard, linked to the commitment;
    # Alice's May is not (A1 was hers then).
    assert [b["period"] for b in card(data, "P-Bob")["commitments"]["broken"]] == ["2025-Q3"]
    client.force_login(programme["users"]["Chris"])
    page = client.get("/scorecards/P-Bob/?period=2025&role=kam").content.decode()
    assert "Operations commitments broken" in page
    assert 'href="/operations/commitments/C-A2/"' in page
    assert 'href="/operations/commitments/C-A1/"' not in page
    # Bob: A1's August and October kept, A2's Q1 kept and Q3 broken → 3 of 4 = 75 %.
    assert bob["commitments_kept_pct"] == pytest.approx(75.0)
    # In a quarter, only the periods inside it count: Q3 is Bob's August (kept) and A2's
    # Q3 (broken) → 1 of 2.
    q3 = services.compute(services.resolve_period("2025-Q3"))
    assert card(q3, "P-Bob")["commitments_kept_pct"] == pytest.approx(50.0)
