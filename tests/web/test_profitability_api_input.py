"""The profitability API answers bad input with a 400 that says what is wrong and what is
accepted (never an empty 200, a misleading 404 or a Python message), and documents exactly
the parameters it reads.

The figures are those of the hand-computed ledger of ``test_profitability_web``: 2024-Q1
holds L1 alone; 2024-Q2 holds L2 (+100.00) and M1 (−75.00), whose whale curve peaks at
400 %; the one delivery pool period is the year 2024.
"""

from __future__ import annotations

import pytest
import yaml
from rest_framework.test import APIClient
from test_profitability_web import FILES  # the hand-computed ledger (by hand there)

from openkam.web.core.models import Computation

PERIOD_FORMS = "use 2024, 2024-Q1 or 2024-01"


@pytest.fixture
def ledger(import_files):
    return import_files(FILES)


@pytest.fixture
def computed(ledger, recompute_profitability):
    return recompute_profitability()


@pytest.fixture
def api(programme):
    client = APIClient()
    client.force_authenticate(programme["users"]["Vera"])  # a viewer reads the figures
    return client


def message(response, field: str) -> str:
    body = response.json()
    assert field in body, body
    found = body[field]
    return " ".join(found) if isinstance(found, list) else found


# --- the list ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        ("grain=week", "grain", "use year, quarter or month"),
        ("period=2025-13", "period", PERIOD_FORMS),
        ("period=abc", "period", PERIOD_FORMS),
        ("period=0000", "period", PERIOD_FORMS),
        ("grain=year&period=2024-Q2", "grain", "give grain=quarter"),
        ("grain=month&period=2024", "grain", "give grain=year"),
        ("rolled_up=maybe", "rolled_up", "use true or false"),
    ],
)
def test_list_refuses_bad_filters(computed, api, query, field, text):
    response = api.get(f"/api/profitability/?{query}")
    assert response.status_code == 400, response.json()
    assert text in message(response, field)


def test_list_takes_the_grain_from_the_period(computed, api):
    out = api.get("/api/profitability/?period=2024-Q2&rolled_up=false").json()
    assert {(r["account_id"], r["grain"], r["period"]) for r in out["results"]} == {
        ("L2", "quarter", "2024-Q2"),
        ("M1", "quarter", "2024-Q2"),
    }
    # The same when the grain agrees; a month of it by its own label.
    same = api.get("/api/profitability/?grain=quarter&period=2024-Q2&rolled_up=false").json()
    assert same["count"] == out["count"] == 2
    april = api.get("/api/profitability/?period=2024-04&rolled_up=0").json()["results"]
    assert [(r["account_id"], r["grain"]) for r in april] == [("L2", "month")]
    # Without a period the grain still defaults to year; rolled_up takes true/false.
    years = api.get("/api/profitability/?rolled_up=true&account_id=L1").json()["results"]
    assert [(r["grain"], r["period"], r["net_sales"]) for r in years] == [
        ("year", "2024", "320.00")
    ]


# --- whale, matrix, segments -------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["whale", "matrix", "segments"])
@pytest.mark.parametrize("period", ["2025-13", "abc", "0000"])
def test_one_period_refuses_a_malformed_period(computed, api, endpoint, period):
    response = api.get(f"/api/profitability/{endpoint}/?period={period}")
    assert response.status_code == 400, response.json()
    assert PERIOD_FORMS in message(response, "period")


@pytest.mark.parametrize("endpoint", ["whale", "matrix", "segments"])
def test_one_period_refuses_a_bad_or_contradictory_grain(computed, api, endpoint):
    week = api.get(f"/api/profitability/{endpoint}/?grain=week")
    assert week.status_code == 400 and "use year, quarter or month" in message(week, "grain")
    both = api.get(f"/api/profitability/{endpoint}/?grain=year&period=2024-Q2")
    assert both.status_code == 400 and "give grain=quarter" in message(both, "grain")


def test_a_grain_alone_means_its_latest_period(computed, api):
    matrix = api.get("/api/profitability/matrix/?grain=quarter")
    assert matrix.status_code == 200, matrix.json()
    out = matrix.json()
    assert (out["grain"], out["period"]) == ("quarter", "2024-Q2")
    assert sorted(a["account_id"] for a in out["accounts"]) == ["L2", "M1"]
    whale = api.get("/api/profitability/whale/?grain=quarter").json()
    assert (whale["period"], whale["peak_pct"]) == ("2024-Q2", 400.0)
    segments = api.get("/api/profitability/segments/?grain=month")
    assert segments.status_code == 200, segments.json()
    assert segments.json()["period"] == "2024-06"  # M1's rebate, the last month with figures
    # A period alone brings its grain; the whole-run whale curve stays the default.
    q1 = api.get("/api/profitability/matrix/?period=2024-Q1").json()
    assert (q1["grain"], [a["account_id"] for a in q1["accounts"]]) == ("quarter", ["L1"])
    assert "period" not in api.get("/api/profitability/whale/").json()


@pytest.mark.parametrize("endpoint", ["whale", "matrix", "segments"])
def test_a_well_formed_period_without_figures_is_not_found(computed, api, endpoint):
    for period in ("1999", "1999-Q1", "1999-01"):
        response = api.get(f"/api/profitability/{endpoint}/?period={period}")
        assert response.status_code == 404, (period, response.json())


def test_a_grain_without_any_figures_is_not_found(ledger, programme, api):
    # A run with no figures at all (e.g. an empty ledger): nothing to default to.
    Computation.objects.create(kind="profitability", status="done", is_current=True)
    response = api.get("/api/profitability/matrix/?grain=month")
    assert response.status_code == 404
    assert "no month figures" in response.json()["detail"]


# --- the lines drill-down and the mix ----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "text"),
    [
        ("account_id=M1&period=2024&limit=abc", "limit", "whole number"),
        ("account_id=M1&period=2024&offset=abc", "offset", "whole number"),
        ("account_id=M1&period=2024&limit=1.5", "limit", "whole number"),
        ("account_id=M1&period=0000", "period", PERIOD_FORMS),
        ("account_id=M1&period=2024-13", "period", PERIOD_FORMS),
        ("account_id=M1", "period", PERIOD_FORMS),
        ("period=2024", "account_id", "Required"),
    ],
)
def test_lines_refuse_bad_input(computed, api, query, field, text):
    response = api.get(f"/api/profitability/lines/?{query}")
    assert response.status_code == 400, response.json()
    assert text in message(response, field)
    assert "out of range" not in message(response, field)
    assert "invalid literal" not in message(response, field)


def test_lines_still_page(computed, api):
    out = api.get("/api/profitability/lines/?account_id=M1&period=2024&limit=1&offset=0")
    assert out.status_code == 200
    assert [r["invoice_id"] for r in out.json()["lines"]] == ["I3"]


def test_mix_refuses_year_zero_in_words(ledger, api):
    response = api.get("/api/profitability/mix/?period=0000")
    assert response.status_code == 400
    assert PERIOD_FORMS in message(response, "period")


# --- the pools ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["20", "abc", "20245", "2024-Q1", "0000"])
def test_pools_refuse_a_year_that_is_not_four_digits(computed, api, year):
    response = api.get(f"/api/profitability/pools/?year={year}")
    assert response.status_code == 400, response.json()
    assert "4-digit year" in message(response, "year")


def test_pools_of_one_year(computed, api):
    assert [p["pool"] for p in api.get("/api/profitability/pools/?year=2024").json()] == [
        "delivery"
    ]
    assert api.get("/api/profitability/pools/?year=2025").json() == []
    every = api.get("/api/profitability/pools/").json()
    assert isinstance(every, list)  # a plain list, not a page
    assert set(every[0]) == {"pool", "period", "cost", "allocated", "unused", "extra", "currency"}
    assert every[0]["currency"] == "EUR"


def test_pools_reaching_across_years(
    import_files, programme, api, login, django_capture_on_commit_callbacks
):
    # A handling pool from mid-2023 to mid-2024 belongs to both years, whatever its label
    # starts with; the calendar-year delivery pool only to 2024.
    files = dict(FILES)
    files["cost-pools"] += "handling,2023-07-01,2024-06-30,500.00,50,pallet\n"
    import_files(files)
    with django_capture_on_commit_callbacks(execute=True):
        login(programme["users"]["Alice"]).post("/insights/recompute/profitability/")
    assert Computation.objects.get(kind="profitability").status == "done"

    def listed(year: str):
        return [
            (p["pool"], p["period"])
            for p in api.get(f"/api/profitability/pools/?year={year}").json()
        ]

    assert listed("2023") == [("handling", "2023-07-01/2024-06-30")]
    assert listed("2024") == [("delivery", "2024"), ("handling", "2023-07-01/2024-06-30")]
    assert listed("2022") == []


# --- the settings ------------------------------------------------------------------------


def test_put_settings_needs_the_rate(programme):
    champion = APIClient()
    champion.force_authenticate(programme["users"]["Chris"])
    url = "/api/profitability/settings/"
    response = champion.put(url, {"version": 1}, format="json")
    assert response.status_code == 400
    assert "Required with PUT" in message(response, "cost_of_capital")
    assert champion.get(url).json() == {"cost_of_capital": "0.0800", "version": 1}
    # PATCH stays partial; the version check stays as it was.
    assert champion.patch(url, {"version": 1}, format="json").status_code == 200
    changed = champion.put(url, {"cost_of_capital": "0.1", "version": 1}, format="json")
    assert changed.json() == {"cost_of_capital": "0.1000", "version": 2}
    stale = champion.put(url, {"cost_of_capital": "0.2", "version": 1}, format="json")
    assert stale.status_code == 409


# --- the schema --------------------------------------------------------------------------


def parameters(schema: dict, path: str, method: str = "get") -> set[str]:
    return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}


def test_schema_documents_what_the_endpoints_read(programme, login):
    response = login(programme["users"]["Vera"]).get("/api/schema/")
    schema = yaml.safe_load(response.content)
    listing = parameters(schema, "/api/profitability/")
    assert {"account_id", "grain", "period", "rolled_up", "ordering", "page"} <= listing
    assert "search" not in listing
    assert parameters(schema, "/api/profitability/pools/") == {"year"}
    pools = schema["paths"]["/api/profitability/pools/"]["get"]["responses"]["200"]
    assert pools["content"]["application/json"]["schema"]["type"] == "array"
    put = schema["paths"]["/api/profitability/settings/"]["put"]["requestBody"]
    ref = put["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "cost_of_capital" in schema["components"]["schemas"][ref]["required"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/profitability/whale/",
        "/api/profitability/whale/?period=2024",
        "/api/profitability/matrix/?period=2024",
        "/api/profitability/segments/?period=2024",
        "/api/profitability/trend/",
        "/api/profitability/mix/?period=2024",
        "/api/profitability/lines/?account_id=M1&period=2024",
    ],
)
def test_every_answer_names_its_currency(computed, api, endpoint):
    response = api.get(endpoint)
    assert response.status_code == 200, response.content
    assert response.json()["currency"] == "EUR"


def test_figures_and_runs_name_their_currency(computed, api):
    rows = api.get("/api/profitability/?period=2024").json()["results"]
    assert rows and {r["currency"] for r in rows} == {"EUR"}
    assert api.get(f"/api/runs/{computed.pk}/").json()["currency"] == "EUR"
