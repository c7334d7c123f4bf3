"""Profitability in the web app: recompute in the background, store, show, serve by API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from openkam.web.core.models import Computation
from openkam.web.ingest import run_import
from openkam.web.profitability.models import AccountPeriodFigures, PoolPeriodFigures

# A hand-computed ledger for 2024 (no payment dates, so no credit cost):
#   delivery pool: cost 1,000.00 for capacity 100 deliveries -> 10.00 a delivery
#   L1 (parent of L2): 10 x 12.50 = 125.00 gross - 5.00 discount = 120.00 net; cogs 60.00;
#       3 deliveries = 30.00 -> net contribution 30.00 (25.0 %)
#   L2: 4 x 50.00 = 200.00 net; cogs 80.00; 2 deliveries = 20.00 -> 100.00 (50.0 %)
#   M1: 1 x 100.00 - 10.00 = 90.00 invoiced - 20.00 rebate = 70.00 net; cogs 95.00;
#       5 deliveries = 50.00 -> -75.00 (-107.14 %)
#   L1 with L2: net sales 320.00, net contribution 130.00
#   pool: allocated 100.00, unused 900.00
#   whale: L2 100, L1 30, M1 -75; total 55 -> 181.8 %, 236.4 %, 100 %: peak 236.36 %
FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "L1,Lumen Group,food,EMEA,\nL2,Lumen Iberia,food,EMEA,L1\nM1,Mistral,chemicals,APAC,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,discount_amount,cogs_amount\n"
    "I1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00\n"
    "I2,1,2024-04-01,L2,P1,4,50,0,80.00\n"
    "I3,1,2024-05-01,M1,P1,1,100,10.00,95.00\n",
    "rebates": "account_id,rebate_date,amount\nM1,2024-06-30,20.00\n",
    "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
    "delivery,2024-01-01,2024-12-31,1000.00,100,delivery\n",
    "activities": "activity_date,account_id,pool,quantity\n"
    "2024-03-02,L1,delivery,3\n2024-04-02,L2,delivery,2\n2024-05-02,M1,delivery,5\n",
}


@pytest.fixture
def ledger(import_files):
    return import_files(FILES)


@pytest.fixture
def computed(ledger, recompute_profitability):
    return recompute_profitability()


def test_recompute_stores_the_hand_computed_waterfall(computed):
    rows = {
        (r.account_key, r.rolled_up): r
        for r in AccountPeriodFigures.objects.filter(
            computation=computed, grain="year", period="2024"
        )
    }
    m1 = rows["M1", False]
    assert (m1.gross_sales, m1.discounts, m1.invoiced_sales, m1.rebates, m1.net_sales) == (
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("90.00"),
        Decimal("20.00"),
        Decimal("70.00"),
    )
    assert (m1.cogs, m1.gross_margin, m1.cost_to_serve, m1.net_contribution) == (
        Decimal("95.00"),
        Decimal("-25.00"),
        Decimal("50.00"),
        Decimal("-75.00"),
    )
    assert m1.contribution_margin_pct == pytest.approx(-107.14, abs=0.01)
    assert rows["L1", False].net_contribution == Decimal("30.00")
    assert rows["L1", True].net_sales == Decimal("320.00")
    assert rows["L1", True].net_contribution == Decimal("130.00")
    # The run's summary counts the accounts' own rows only: 30 + 100 − 75 = 55.00.
    summary = computed.summary
    assert (summary["years"], summary["accounts"]) == (["2024"], 3)
    assert summary["totals_by_year"]["2024"]["net_contribution"] == 55.0
    assert summary["totals_by_year"]["2024"]["net_sales"] == 390.0
    pool = PoolPeriodFigures.objects.get(computation=computed, pool="delivery")
    assert (pool.cost, pool.allocated, pool.unused) == (
        Decimal("1000.00"),
        Decimal("100.00"),
        Decimal("900.00"),
    )
    assert computed.summary["whale"]["peak_pct"] == pytest.approx(236.36, abs=0.01)


def test_profitability_page_sorts_filters_and_shows_the_whale(computed, programme, login):
    client = login(programme["users"]["Vera"])

    def table(query: str) -> str:
        # The portfolio table (the matrix above it names every account of the period).
        page = client.get(f"/insights/profitability/?{query}").content.decode()
        return page[page.index('id="profit-table"') :]

    page = client.get("/insights/profitability/?sort=net_contribution").content.decode()
    assert "236 %" in page
    assert "900" in page  # unused capacity reported
    rows = table("sort=net_contribution")
    assert rows.index("Mistral") < rows.index("Lumen Group")  # worst first
    rows = table("industry=chemicals")
    assert "Mistral" in rows and "Lumen Iberia" not in rows
    # A quarter of the year: only L1 invoiced in 2024-Q1.
    rows = table("year=2024&grain=quarter&period=2024-Q1")
    assert "Lumen Group" in rows and "Mistral" not in rows and "Lumen Iberia" not in rows


def test_account_panel_and_drill_down(computed, programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/accounts/M1/").content.decode()
    assert "waterfall-chart" in page and "-75" in page
    # Net contribution per quarter: M1 bought only in 2024-Q2 (−75.00, −107.14 % of 70.00,
    # given to the chart to the 1 decimal its tooltip shows); the axis has every quarter of
    # the run (L1 bought in Q1), empty where M1 has nothing.
    assert (
        '"labels": ["2024-Q1", "2024-Q2"], "contribution": [0.0, -75.0], '
        '"margin_pct": [null, -107.1]'
    ) in page
    drill = client.get(
        "/insights/accounts/M1/activities/?pool=delivery&period=2024"
    ).content.decode()
    assert "2024-05-02" in drill and "50.00" in drill
    assert (
        client.get("/insights/accounts/M1/activities/?pool=delivery&period=24").status_code == 400
    )


def test_viewer_cannot_recompute(ledger, programme, login):
    response = login(programme["users"]["Vera"]).post("/insights/recompute/profitability/")
    assert response.status_code == 403
    assert not Computation.objects.exists()


def test_api_serves_the_same_numbers(computed, programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    rows = api.get("/api/profitability/?period=2024&account_id=M1").json()["results"]
    assert [(r["account_id"], r["net_contribution"]) for r in rows] == [("M1", "-75.00")]
    assert api.get("/api/profitability/whale/").json()["peak_pct"] == pytest.approx(
        236.36, abs=0.01
    )
    pools = api.get("/api/profitability/pools/").json()
    assert pools[0]["unused"] == "900.00"
    assert api.post("/api/profitability/recompute/").status_code == 403


def test_figures_say_when_the_ledger_has_moved_on(computed, ledger, programme, login):
    # Right after a recompute the figures are up to date; an import makes them stale, on
    # the page and in the API, until the next recompute.
    client = login(programme["users"]["Alice"])
    api = APIClient()
    api.force_authenticate(programme["users"]["Alice"])
    notice = "New records in the ledger since"
    assert notice not in client.get("/insights/profitability/").content.decode()
    assert api.get(f"/api/runs/{computed.pk}/").json()["ledger_changed"] is False
    late = ledger / "late.csv"
    late.write_text(
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
        "discount_amount,cogs_amount\nI9,1,2024-12-01,M1,P1,1,10,0,5.00\n"
    )
    run_import("invoices", [late])
    assert notice in client.get("/insights/profitability/").content.decode()
    assert api.get(f"/api/runs/{computed.pk}/").json()["ledger_changed"] is True


def test_only_the_latest_runs_keep_their_rows(
    computed, programme, login, django_capture_on_commit_callbacks
):
    # Every recompute stores its own rows; those of runs older than the last three go.
    client = login(programme["users"]["Alice"])
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/insights/recompute/profitability/")
    runs = list(Computation.objects.filter(kind="profitability").order_by("pk"))
    assert len(runs) == 4 and all(r.status == "done" for r in runs)
    assert not AccountPeriodFigures.objects.filter(computation=runs[0]).exists()
    assert not PoolPeriodFigures.objects.filter(computation=runs[0]).exists()
    per_run = AccountPeriodFigures.objects.filter(computation=runs[1]).count()
    assert per_run > 0
    for run in runs[2:]:
        assert AccountPeriodFigures.objects.filter(computation=run).count() == per_run
    assert runs[0].summary["years"] == ["2024"]  # the run itself and its summary stay


def test_invoice_lines_behind_the_waterfall(computed, programme, login):
    # M1 in 2024 (header): 1 × 100.00 gross, 10.00 discount, 90.00 invoiced, cogs 95.00,
    # and a 20.00 rebate: the drill-down's totals are the stored waterfall's.
    client = login(programme["users"]["Vera"])  # a viewer may read it
    panel = client.get("/accounts/M1/").content.decode()
    assert "/insights/accounts/M1/lines/?period=2024" in panel
    page = client.get("/insights/accounts/M1/lines/?period=2024").content.decode()
    assert "I3/1" in page and "2024-05-01" in page
    for figure in ("100.00", "10.00", "90.00", "95.00", "20.00", "-5.00"):
        assert figure in page, figure
    stored = AccountPeriodFigures.objects.get(
        computation=computed, account_key="M1", period="2024", rolled_up=False
    )
    assert (stored.gross_sales, stored.discounts, stored.cogs) == (
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("95.00"),
    )
    assert client.get("/insights/accounts/M1/lines/?period=2024-13").status_code == 400
    assert client.get("/insights/accounts/NOPE/lines/?period=2024").status_code == 404
    # The same through the API.
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    out = api.get("/api/profitability/lines/?account_id=M1&period=2024-Q2").json()
    assert out["totals"] == {
        "lines": 1,
        "gross_sales": "100.00",
        "discounts": "10.00",
        "cogs": "95.00",
        "invoiced_sales": "90.00",
        "invoice_margin": "-5.00",  # 90.00 − 95.00
    }
    assert [r["invoice_id"] for r in out["lines"]] == ["I3"]
    assert [r["amount"] for r in out["rebates"]] == ["20.00"]
    assert api.get("/api/profitability/lines/?account_id=M1&period=Q2").status_code == 400
    assert api.get("/api/profitability/lines/?account_id=NOPE&period=2024").status_code == 404


def test_change_against_the_period_before(
    ledger, programme, login, django_capture_on_commit_callbacks
):
    # L2 also bought in Q1: 1 × 50.00 with cogs 20.00, no activities: 30.00 in 2024-Q1.
    # In Q2 it made 100.00 (header), so its change is +70.00; M1 and the others had
    # nothing in Q1: "new".
    extra = ledger / "q1.csv"
    extra.write_text(
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
        "discount_amount,cogs_amount\nI0,1,2024-02-01,L2,P1,1,50,0,20.00\n"
    )
    run_import("invoices", [extra])
    client = login(programme["users"]["Alice"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/insights/recompute/profitability/")
    page = client.get(
        "/insights/profitability/?year=2024&grain=quarter&period=2024-Q2&sort=-change"
    ).content.decode()
    assert "+70" in page and "the same account's in 2024-Q1" in page
    table = page[page.index('id="profitability"') :]
    assert table.index("Lumen Iberia") < table.index("Mistral")  # known changes first
    export = client.get(
        "/insights/profitability/?year=2024&grain=quarter&period=2024-Q2&format=csv"
    ).content.decode("utf-8-sig")
    l2 = next(line for line in export.splitlines() if line.startswith("L2,"))
    assert ",30.00,70.00," in l2


# The customer profitability matrix of the ledger above, 2024, by hand:
#   L1 pays 120 / 125 = 96 % of list, costs 30 / 120 = 25 %; L2 100 % and 10 %;
#   M1 70 / 100 = 70 % and 50 / 70 = 71.43 %.
#   Cuts: net 390 / gross 425 = 91.76 %; cost to serve 100 / 390 = 25.64 %.
#   L1 and L2 are passive (high price, low cost); M1 is aggressive (low price, high cost).
def test_price_cost_matrix_on_the_page_and_in_the_api(computed, programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/insights/profitability/").content.decode()
    assert "price-cost-chart" in page
    assert "91.8 % of list price" in page and "25.6 % of net sales" in page
    # The account page says where the account sits, against the portfolio's ratios.
    panel = client.get("/accounts/M1/").content.decode()
    assert "<strong>Aggressive</strong>" in panel
    assert "pays 70.0 % of list price (portfolio 91.8 %)" in panel
    assert "costs 71.4 % of its net sales to serve (portfolio 25.6 %)" in panel
    # The portfolio table says each account's quadrant, and lists one quadrant on demand.
    table = client.get("/insights/profitability/?quadrant=aggressive").content.decode()
    table = table[table.index('id="profit-table"') :]
    assert "Mistral" in table and "Lumen" not in table and "Aggressive" in table
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    out = api.get("/api/profitability/matrix/").json()
    assert (out["grain"], out["period"]) == ("year", "2024")
    assert (out["net_price_pct"], out["cost_to_serve_pct"]) == (91.76, 25.64)
    placed = {a["account_id"]: a["quadrant"] for a in out["accounts"]}
    assert placed == {"L1": "passive", "L2": "passive", "M1": "aggressive"}
    quadrants = {q["quadrant"]: q for q in out["quadrants"]}
    assert (quadrants["passive"]["accounts"], quadrants["passive"]["net_contribution"]) == (
        2,
        130.0,
    )
    assert quadrants["aggressive"]["contribution_margin_pct"] == pytest.approx(-107.14)
    # One quarter: only L1 invoiced in 2024-Q1, so it is the whole portfolio by itself.
    q1 = api.get("/api/profitability/matrix/?grain=quarter&period=2024-Q1").json()
    assert [a["account_id"] for a in q1["accounts"]] == ["L1"]
    assert api.get("/api/profitability/matrix/?period=1999").status_code == 404
    assert api.get("/api/profitability/matrix/?grain=week").status_code == 400


def test_price_cost_matrix_before_any_recompute(ledger, programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    assert api.get("/api/profitability/matrix/").status_code == 404


# By segment, 2024, by hand from the ledger above (A1–A3 of the programme have no figures):
#   food = L1 + L2: net sales 320.00, cost to serve 50.00 (15.625 %), contribution 130.00
#     (40.625 %), nobody losing money (percentages round half to even, as the margins do); chemicals = M1: 70.00, 50.00 (71.43 %), −75.00, one
#   key status: all three are not key: 390.00 net sales, 55.00 contribution (14.10 %)
def test_profitability_by_segment_on_the_page_and_in_the_api(computed, programme, login):
    page = login(programme["users"]["Vera"]).get("/insights/profitability/?by=industry")
    assert page.context["segment_by"] == "industry"
    assert [(g["segment"], g["net_contribution"]) for g in page.context["segments"]] == [
        ("food", 130.0),
        ("chemicals", -75.0),
    ]
    assert "40.6 %" in page.content.decode()
    # Each industry links to the table filtered to it.
    assert page.context["segments"][0]["table_query"] == (
        "year=2024&grain=year&period=2024&industry=food"
    )
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    out = api.get("/api/profitability/segments/?by=industry&period=2024").json()
    assert out["segments"][0] == {
        "segment": "food",
        "accounts": 2,
        "losing_accounts": 0,
        "net_sales": 320.0,
        "gross_margin": 180.0,
        "cost_to_serve": 50.0,
        "net_contribution": 130.0,
        "cts_pct": 15.62,
        "contribution_margin_pct": 40.62,
    }
    assert out["segments"][1]["losing_accounts"] == 1
    default = api.get("/api/profitability/segments/").json()
    assert (default["by"], default["period"]) == ("key_status", "2024")
    assert [
        (g["segment"], g["accounts"], g["contribution_margin_pct"]) for g in default["segments"]
    ] == [("Not key", 3, 14.1)]
    assert api.get("/api/profitability/segments/?by=colour").status_code == 400
    assert api.get("/api/profitability/segments/?period=1999").status_code == 404


def test_whale_curve_of_one_period(computed, programme, login):
    # 2024-Q2 holds L2 (+100.00: its invoice and deliveries are in April) and M1 (−75.00,
    # May and June); total 25.00, so the curve peaks at 100 / 25 = 400 % after half the
    # accounts. Over the whole run (all of 2024, with L1) it peaks at 236.36 %.
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    q2 = api.get("/api/profitability/whale/?grain=quarter&period=2024-Q2").json()
    assert (q2["period"], q2["peak_pct"], q2["peak_account_share_pct"]) == ("2024-Q2", 400.0, 50.0)
    assert api.get("/api/profitability/whale/").json()["peak_pct"] == pytest.approx(236.36)
    assert api.get("/api/profitability/whale/?period=1999").status_code == 404
    page = login(programme["users"]["Vera"]).get(
        "/insights/profitability/?year=2024&grain=quarter&period=2024-Q2"
    )
    text = page.content.decode()
    assert "the curve peaks at 400 %" in text and "Over all years: 236 %" in text


def test_portfolio_per_quarter_on_the_page_and_in_the_api(computed, programme, login):
    # By hand: 2024-Q1 holds L1 (net sales 120.00, contribution 30.00); 2024-Q2 holds L2
    # (200.00, 100.00) and M1 (70.00, −75.00): 270.00 and 25.00, a 9.26 % margin (9.3 in
    # the chart, which shows 1 decimal; the API keeps 2).
    page = login(programme["users"]["Vera"]).get("/insights/profitability/")
    assert page.context["trend"] == {
        "labels": ["2024-Q1", "2024-Q2"],
        "contribution": [30.0, 25.0],
        "margin_pct": [25.0, 9.3],
    }
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    out = api.get("/api/profitability/trend/").json()
    assert out["grain"] == "quarter"
    assert out["periods"][1] == {
        "period": "2024-Q2",
        "net_sales": "270.00",
        "cost_to_serve": "70.00",
        "net_contribution": "25.00",
        "margin_pct": 9.26,
    }
    assert api.get("/api/profitability/trend/?grain=year").json()["periods"][0]["net_sales"] == (
        "390.00"
    )
    assert api.get("/api/profitability/trend/?grain=week").status_code == 400


def test_unused_capacity_follows_the_period_shown(computed, programme, login):
    # The delivery pool has one period, the year 2024 (cost 1,000.00, allocated 100.00): it
    # lies within 2024, but reaches beyond any quarter of it, where it is only counted.
    client = login(programme["users"]["Vera"])
    year = client.get("/insights/profitability/?year=2024").context
    assert [(p["pool"], p["unused"]) for p in year["pools"]] == [("delivery", Decimal("900.00"))]
    assert year["longer_pools"] == 0
    q1 = client.get("/insights/profitability/?year=2024&grain=quarter&period=2024-Q1")
    assert q1.context["pools"] == [] and q1.context["longer_pools"] == 1
    assert "1 pool period reaches beyond 2024-Q1" in q1.content.decode()


def test_a_search_without_matches_keeps_the_page(computed, programme, login):
    page = login(programme["users"]["Vera"]).get("/insights/profitability/?q=zzzz")
    html = page.content.decode()
    assert "No account matches." in html and 'name="q" value="zzzz"' in html
    assert "No figures for this year" not in html


def test_cards_are_the_portfolio_and_the_view_has_its_own_totals(computed, programme, login):
    client = login(programme["users"]["Vera"])
    whole = client.get("/insights/profitability/")
    filtered = client.get("/insights/profitability/?industry=chemicals")
    # The cards: all accounts, 30 + 100 − 75 = 55.00, however the table is filtered.
    assert whole.context["totals"]["net_contribution"] == Decimal("55.00")
    assert filtered.context["totals"]["net_contribution"] == Decimal("55.00")
    assert whole.context["view_totals"] is None
    # The filtered view: M1 alone.
    assert filtered.context["view_totals"]["net_contribution"] == Decimal("-75.00")
    assert "This view: 1 account" in filtered.content.decode()


def test_ratio_of_cost_to_serve_is_not_cut_to_a_whole_number(computed, programme, login):
    page = login(programme["users"]["Vera"]).get("/insights/profitability/?sort=cts_pct")
    rows = {r.account_key: r for r in page.context["page"]}
    # M1: cost to serve 50.00 of net sales 70.00 = 71.43 % (SQLite would divide the stored
    # whole numbers as integers: 71); L1: 30.00 of 120.00 = 25 %.
    assert rows["M1"].cts_pct == pytest.approx(71.4286, abs=1e-3)
    assert [r.account_key for r in page.context["page"]] == ["L2", "L1", "M1"]


def test_change_without_a_period_before(computed, programme, login):
    html = login(programme["users"]["Vera"]).get("/insights/profitability/").content.decode()
    # The ledger starts in 2024: nothing to compare with, which is not "new".
    assert "No figures in 2023 to compare with" in html and ">new<" not in html


def test_recompute_pressed_twice_answers_in_place(ledger, programme, login):
    client = login(programme["users"]["Alice"])
    first = client.post("/insights/recompute/profitability/", HTTP_HX_REQUEST="true")
    assert first.status_code == 200  # queued: the task runs on commit, not in this test
    second = client.post("/insights/recompute/profitability/", HTTP_HX_REQUEST="true")
    html = second.content.decode()
    assert second.status_code == 200 and 'id="run-status"' in html
    assert "<html" not in html  # a fragment, not a whole page inside the status box


def test_waterfall_chart_has_subtotals(computed, programme, login):
    page = login(programme["users"]["Vera"]).get("/accounts/M1/")
    panel = next(p for p in page.context["panels"] if "waterfall" in p["context"])
    bars = {b["label"]: b for b in panel["context"]["waterfall"]}
    # M1: 100.00 − 10.00 − 20.00 = 70.00 net sales; − 95.00 cogs = −25.00 gross margin,
    # both drawn from zero; − 50.00 cost to serve = −75.00.
    assert (bars["Net sales"]["from"], bars["Net sales"]["to"]) == (0.0, 70.0)
    assert bars["Gross margin"]["to"] == -25.0 and bars["Gross margin"]["sub"]
    assert (bars["Cost to serve"]["from"], bars["Cost to serve"]["to"]) == (-25.0, -75.0)
    assert bars["Net contribution"]["to"] == -75.0


def test_another_period_keeps_the_filters(computed, programme, login):
    page = login(programme["users"]["Vera"]).get(
        "/insights/profitability/?industry=food&sort=-margin&by=industry"
    )
    kept = dict(page.context["keep_filters"])
    assert kept == {"industry": ["food"], "sort": ["-margin"], "by": ["industry"]}
    assert "by" not in dict(page.context["segment_keep"])


def test_refusals_and_missing_pages_are_pages(ledger, programme, login):
    client = login(programme["users"]["Vera"])
    refused = client.post("/insights/recompute/profitability/")
    html = refused.content.decode()
    assert refused.status_code == 403
    assert "Viewers cannot start recomputations." in html and 'class="sidebar"' in html
    missing = client.get("/accounts/NOPE/")
    assert missing.status_code == 404 and "No Account matches" in missing.content.decode()
    nowhere = client.get("/no/such/page/")
    assert "There is nothing at this address." in nowhere.content.decode()
