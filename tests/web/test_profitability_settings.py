"""The profitability settings (the annual cost of capital) and the CSV export of the table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from openkam.web.core.models import AuditEvent, Computation
from openkam.web.profitability.models import AccountPeriodFigures, ProfitabilitySettings

# The hand ledger of test_profitability_web, with payment terms: every invoice is paid 73
# days (a fifth of a year) after it was issued, so credit cost = invoiced × rate / 5:
#   L1 120.00 invoiced -> 24 × rate: 1.92 at 8 %, 2.40 at 10 %
#   L2 200.00          -> 40 × rate: 3.20 at 8 %, 4.00 at 10 %
#   M1  90.00          -> 18 × rate: 1.44 at 8 %, 1.80 at 10 %
#   N1 (chemicals, Q3) 40.00 invoiced, cogs 10.00, no payment dates, no activities: no cost
#       to serve at all -> net contribution 30.00 (75 %)
# M1 at 8 %: cost to serve 50.00 deliveries + 1.44 credit = 51.44, net contribution -76.44
# (-109.20 % of 70.00 net sales; cost to serve 73.49 % of net sales).
FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "L1,Lumen Group,food,EMEA,\nL2,Lumen Iberia,food,EMEA,L1\nM1,Mistral,chemicals,APAC,\n"
    "N1,Nordkem,chemicals,EMEA,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,discount_amount,cogs_amount,due_date,paid_date\n"
    "I1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00,2024-03-31,2024-05-13\n"
    "I2,1,2024-04-01,L2,P1,4,50,0,80.00,2024-05-01,2024-06-13\n"
    "I3,1,2024-05-01,M1,P1,1,100,10.00,95.00,2024-05-31,2024-07-13\n"
    "I4,1,2024-07-01,N1,P1,1,40,0,10.00,,\n",
    "rebates": "account_id,rebate_date,amount\nM1,2024-06-30,20.00\n",
    "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
    "delivery,2024-01-01,2024-12-31,1000.00,100,delivery\n",
    "activities": "activity_date,account_id,pool,quantity\n"
    "2024-03-02,L1,delivery,3\n2024-04-02,L2,delivery,2\n2024-05-02,M1,delivery,5\n",
}

RATE_MESSAGE = "Give the annual rate as a fraction between 0 and 1, e.g. 0.08."


@pytest.fixture
def ledger(import_files):
    return import_files(FILES)


@pytest.fixture
def recompute(ledger, programme, django_capture_on_commit_callbacks):
    """Recompute from the page as Alice (a KAM) and return the finished run."""

    def run() -> Computation:
        client = APIClient()
        client.force_login(programme["users"]["Alice"])
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/insights/recompute/profitability/").status_code == 302
        done = Computation.objects.filter(kind="profitability").first()
        assert done.status == "done", done.error
        return done

    return run


def figures(run, account: str, period: str = "2024") -> AccountPeriodFigures:
    return AccountPeriodFigures.objects.get(
        computation=run, account_key=account, period=period, rolled_up=False
    )


# --- the setting on the page -------------------------------------------------------------


def test_a_new_rate_changes_the_credit_cost_from_the_next_recompute(recompute, programme, login):
    first = recompute()
    assert first.params == {"cost_of_capital": "0.0800"}
    m1 = figures(first, "M1")
    assert m1.cost_by_pool == {"delivery": 50.0, "credit_cost": 1.44}
    assert (m1.cost_to_serve, m1.net_contribution) == (Decimal("51.44"), Decimal("-76.44"))
    old_credit = {a: figures(first, a).cost_by_pool["credit_cost"] for a in ("L1", "L2", "M1")}
    assert old_credit == {"L1": 1.92, "L2": 3.20, "M1": 1.44}

    client = login(programme["users"]["Chris"])  # the champion
    page = client.get("/insights/profitability/").content.decode()
    assert 'name="cost_of_capital"' in page
    assert "Credit cost of payment terms at 8.00 % a year" in page
    response = client.post(
        "/insights/profitability/?year=2024", {"cost_of_capital": "0.10", "version": 1}
    )
    assert response.status_code == 302 and response.url == "/insights/profitability/?year=2024"
    saved = ProfitabilitySettings.load()
    assert (saved.cost_of_capital, saved.version) == (Decimal("0.1000"), 2)
    # Until the next recompute the figures stay those at 8 %, and the page says so.
    page = client.get("/insights/profitability/").content.decode()
    assert "Credit cost of payment terms at 8.00 % a year" in page
    assert "setting now 10.00 % — recompute to apply" in page

    second = recompute()
    assert second.params == {"cost_of_capital": "0.1000"}
    new_credit = {a: figures(second, a).cost_by_pool["credit_cost"] for a in ("L1", "L2", "M1")}
    assert new_credit == {"L1": 2.40, "L2": 4.00, "M1": 1.80}
    for account in new_credit:  # proportional to the rate: 10 / 8
        assert new_credit[account] == pytest.approx(old_credit[account] * 10 / 8, abs=0.005)
    m1 = figures(second, "M1")
    assert (m1.cost_to_serve, m1.net_contribution) == (Decimal("51.80"), Decimal("-76.80"))
    assert figures(second, "N1").cost_by_pool == {}  # not sold on credit
    page = client.get("/insights/profitability/").content.decode()
    assert "Credit cost of payment terms at 10.00 % a year" in page
    assert "recompute to apply" not in page


def test_the_change_is_in_the_audit_trail(ledger, programme, login):
    client = login(programme["users"]["Chris"])
    client.post("/insights/profitability/", {"cost_of_capital": "0.095", "version": 1})
    event = AuditEvent.objects.get(content_type__model="profitabilitysettings", action="update")
    assert event.user == programme["users"]["Chris"]
    assert event.changes == {"cost_of_capital": ["0.0800", "0.0950"]}
    assert "cost of capital 9.50 % a year" in event.object_repr
    home = client.get("/").content.decode()
    assert "profitability settings" in home and "0.0950" in home


def test_a_stale_form_is_refused_with_the_difference(ledger, programme, login):
    client = login(programme["users"]["Chris"])
    assert (
        client.post(
            "/insights/profitability/", {"cost_of_capital": "0.09", "version": 1}
        ).status_code
        == 302
    )
    # A second tab still holds version 1.
    stale = client.post("/insights/profitability/", {"cost_of_capital": "0.12", "version": 1})
    page = stale.content.decode()
    assert stale.status_code == 200 and "Someone else saved" in page
    assert ProfitabilitySettings.load().cost_of_capital == Decimal("0.0900")
    # The form now holds the version the user has seen, so saving again goes through.
    assert 'name="version" value="2"' in page
    again = client.post("/insights/profitability/", {"cost_of_capital": "0.12", "version": 2})
    assert again.status_code == 302
    assert ProfitabilitySettings.load().cost_of_capital == Decimal("0.1200")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.5", RATE_MESSAGE),
        ("1", RATE_MESSAGE),
        ("-0.01", RATE_MESSAGE),
        ("abc", "Enter a number."),
    ],
)
def test_an_invalid_rate_is_explained(ledger, programme, login, value, message):
    client = login(programme["users"]["Chris"])
    response = client.post("/insights/profitability/", {"cost_of_capital": value, "version": 1})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ProfitabilitySettings.load().version == 1


def test_others_see_the_rate_but_no_form(recompute, programme, login):
    recompute()
    for name in ("Vera", "Alice"):  # a viewer, and a KAM who may recompute
        client = login(programme["users"][name])
        page = client.get("/insights/profitability/").content.decode()
        assert "Credit cost of payment terms at 8.00 % a year" in page
        assert "the champion or an admin sets the rate" in page
        assert 'name="cost_of_capital"' not in page
        response = client.post(
            "/insights/profitability/", {"cost_of_capital": "0.10", "version": 1}
        )
        assert response.status_code == 403
    assert ProfitabilitySettings.load().version == 1


def test_runs_from_before_the_setting_show_the_default(recompute, programme, login):
    run = recompute()
    Computation.objects.filter(pk=run.pk).update(params={})
    ProfitabilitySettings.objects.update(cost_of_capital=Decimal("0.08"))
    page = login(programme["users"]["Vera"]).get("/insights/profitability/").content.decode()
    assert "Credit cost of payment terms at 8.00 % a year" in page
    assert "recompute to apply" not in page


# --- the setting in the API --------------------------------------------------------------


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_reads_and_changes_the_settings(
    recompute, programme, django_capture_on_commit_callbacks
):
    url = "/api/profitability/settings/"
    viewer, kam, champion = (api_as(programme["users"][n]) for n in ("Vera", "Alice", "Chris"))
    assert viewer.get(url).json() == {"cost_of_capital": "0.0800", "version": 1}
    # The browsable API shows the settings and, to the champion, a form to change them.
    assert 'name="cost_of_capital"' in champion.get(url, HTTP_ACCEPT="text/html").content.decode()
    assert viewer.get(url, HTTP_ACCEPT="text/html").status_code == 200
    assert (
        viewer.put(url, {"cost_of_capital": "0.1", "version": 1}, format="json").status_code == 403
    )
    assert (
        kam.patch(url, {"cost_of_capital": "0.1", "version": 1}, format="json").status_code == 403
    )

    response = champion.put(url, {"cost_of_capital": "0.1", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"cost_of_capital": "0.1000", "version": 2}
    # Sending the same rate again changes nothing and keeps the version.
    same = champion.patch(url, {"cost_of_capital": "0.10", "version": 2}, format="json")
    assert same.json() == {"cost_of_capital": "0.1000", "version": 2}

    stale = champion.put(url, {"cost_of_capital": "0.07", "version": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"] == {"cost_of_capital": "0.1000", "version": 2}
    assert body["current_version"] == 2
    assert body["conflicts"] == {"cost_of_capital": {"theirs": "0.1000", "yours": "0.0700"}}

    missing = champion.patch(url, {"cost_of_capital": "0.07"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    for bad in ("1.5", "abc", "-0.5"):
        response = champion.put(url, {"cost_of_capital": bad, "version": 2}, format="json")
        assert response.status_code == 400, bad
        assert "cost_of_capital" in response.json()
    assert champion.put(url, {"cost_of_capital": "1.5", "version": 2}, format="json").json() == {
        "cost_of_capital": [RATE_MESSAGE]
    }
    assert ProfitabilitySettings.load().cost_of_capital == Decimal("0.1000")

    # The API's recompute records and applies the rate too.
    with django_capture_on_commit_callbacks(execute=True):
        started = kam.post("/api/profitability/recompute/")
    assert started.status_code == 202
    assert started.json()["params"] == {"cost_of_capital": "0.1000"}
    run = Computation.objects.get(pk=started.json()["id"])
    assert run.status == "done", run.error
    assert figures(run, "M1").cost_by_pool["credit_cost"] == 1.80


# --- the CSV export ----------------------------------------------------------------------


def read_csv(response) -> tuple[list[str], list[dict]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


HEADER = [
    "account_id",
    "account_name",
    "period",
    "currency",
    "gross_sales",
    "discounts",
    "invoiced_sales",
    "rebates",
    "net_sales",
    "cogs",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
    "contribution_margin_pct",
    "cts_pct",
    "previous_net_contribution",
    "change",
    "price_cost_quadrant",
]


def test_csv_export_is_the_table_with_every_figure(recompute, programme, login):
    run = recompute()
    client = login(programme["users"]["Vera"])  # reading is enough
    response = client.get("/insights/profitability/?year=2024&format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="profitability-2024.csv"'
    header, rows = read_csv(response)
    assert header == HEADER + ["credit_cost", "delivery"]
    # Own rows only (L1's rolled-up row is not in the table), best first as on the page.
    assert [r["account_id"] for r in rows] == ["L2", "N1", "L1", "M1"]
    m1 = rows[3]
    assert m1 == {
        "account_id": "M1",
        "account_name": "Mistral",
        "period": "2024",
        "currency": "EUR",
        "gross_sales": "100.00",
        "discounts": "10.00",
        "invoiced_sales": "90.00",
        "rebates": "20.00",
        "net_sales": "70.00",
        "cogs": "95.00",
        "gross_margin": "-25.00",
        "cost_to_serve": "51.44",
        "net_contribution": "-76.44",
        "contribution_margin_pct": "-109.20",
        "previous_net_contribution": "",  # nothing in 2023
        "change": "",
        # Cuts: net 430 / gross 465 = 92.5 % of list; cost to serve 106.56 / 430 = 24.8 %;
        # M1 pays 70 % and costs 73.5 %.
        "price_cost_quadrant": "aggressive",
        "cts_pct": "73.49",
        "credit_cost": "1.44",
        "delivery": "50.00",
    }
    stored = figures(run, "M1")
    for field in HEADER[4:13]:
        assert Decimal(m1[field]) == getattr(stored, field), field
    # An account without a pool has empty cells there, not zeros.
    n1 = rows[1]
    assert (n1["credit_cost"], n1["delivery"], n1["cost_to_serve"]) == ("", "", "0.00")
    assert n1["cts_pct"] == "0.00" and n1["contribution_margin_pct"] == "75.00"
    assert n1["price_cost_quadrant"] == "passive"  # pays 100 % of list, costs nothing

    # pandas reads it as numbers (the byte order mark for Excel does not get in the way).
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(response.content))
    assert list(frame.columns) == header
    assert frame["net_contribution"].sum() == pytest.approx(96.80 + 30 + 28.08 - 76.44)


def test_csv_export_follows_the_filters_the_sort_and_the_period(recompute, programme, login):
    recompute()
    client = login(programme["users"]["Vera"])
    query = "year=2024&industry=chemicals&sort=net_contribution"
    page = client.get(f"/insights/profitability/?{query}")
    shown = [r.account_key for r in page.context["page"]]
    _, rows = read_csv(client.get(f"/insights/profitability/?{query}&format=csv"))
    assert [r["account_id"] for r in rows] == shown == ["M1", "N1"]
    assert len(rows) == page.context["page"].paginator.count
    # The page links to exactly this download.
    html = page.content.decode()
    assert "Download CSV" in html
    link = html.split("Download CSV")[0].rsplit('href="?', 1)[1].split('"', 1)[0]
    assert "format=csv" in link and "industry=chemicals" in link and "sort=net_contribution" in link
    _, linked = read_csv(client.get("/insights/profitability/?" + link.replace("&amp;", "&")))
    assert [r["account_id"] for r in linked] == ["M1", "N1"]

    _, rows = read_csv(client.get("/insights/profitability/?year=2024&q=lumen&format=csv"))
    assert sorted(r["account_id"] for r in rows) == ["L1", "L2"]

    response = client.get(
        "/insights/profitability/?year=2024&grain=quarter&period=2024-Q3&format=csv"
    )
    assert 'filename="profitability-2024-Q3.csv"' in response["Content-Disposition"]
    header, rows = read_csv(response)
    assert header == HEADER  # no account of the quarter has a cost pool
    assert [(r["account_id"], r["period"], r["net_sales"]) for r in rows] == [
        ("N1", "2024-Q3", "40.00")
    ]


def test_csv_export_has_every_page(programme, login):
    run = Computation.objects.create(
        kind="profitability", status="done", is_current=True, summary={"years": ["2024"]}
    )
    money = dict.fromkeys(HEADER[4:12], Decimal("0.00"))  # gross sales … cost to serve
    AccountPeriodFigures.objects.bulk_create(
        AccountPeriodFigures(
            computation=run,
            account_key=f"X{i:03}",
            period="2024",
            net_contribution=Decimal(i),
            cost_by_pool={},
            **money,
        )
        for i in range(120)
    )
    client = login(programme["users"]["Vera"])
    # Rows without net sales have no CTS %: no division by zero (PostgreSQL would raise).
    page = client.get("/insights/profitability/?sort=-cts_pct")
    assert page.status_code == 200 and len(page.context["page"]) == 50
    _, rows = read_csv(client.get("/insights/profitability/?format=csv&page=2"))
    assert len(rows) == 120
    assert rows[0]["account_id"] == "X119" and rows[-1]["account_id"] == "X000"
    assert rows[0]["cts_pct"] == ""  # no net sales: no percentage


def test_csv_export_without_figures_is_not_found(ledger, programme, login):
    response = login(programme["users"]["Vera"]).get("/insights/profitability/?format=csv")
    assert response.status_code == 404


def test_the_demo_records_the_rate_too(ledger):
    from openkam.web.demo import compute_demo_figures

    ProfitabilitySettings.load_for_update()
    ProfitabilitySettings.objects.update(cost_of_capital=Decimal("0.1"))
    compute_demo_figures()  # (its CLV run fails on four accounts: recorded, not raised)
    run = Computation.objects.get(kind="profitability")
    assert run.status == "done" and run.params == {"cost_of_capital": "0.1000"}
    assert figures(run, "M1").cost_by_pool["credit_cost"] == 1.80


def test_plan_actuals_price_credit_at_the_rate_set(ledger, programme):
    """A plan's actual net contribution uses the cost of capital the champion set, as the
    Profitability page does. L1 with its subsidiary L2, 2024, by hand: 30.00 + 100.00 before
    credit; credit 1.92 + 3.20 at 8 % -> 124.88, 2.40 + 4.00 at 10 % -> 123.60."""
    import datetime as dt

    from openkam.web.accounts.models import Account
    from openkam.web.planning import services
    from openkam.web.planning.document import plan_document
    from openkam.web.profitability.services import update_settings

    chris, alice = programme["users"]["Chris"], programme["users"]["Alice"]
    Account.objects.filter(account_id="L1").update(kam=programme["people"]["Alice"])
    plan = services.plan_for(Account.objects.get(account_id="L1"))
    services.add_part(
        plan,
        "objectives",
        {"year": 2024, "metric": "net_contribution", "target": Decimal(100)},
        alice,
    )

    def actual() -> Decimal:
        doc = plan_document(plan, today=dt.date(2025, 2, 1))
        return doc["objectives"][0]["actual"]

    assert actual() == Decimal("124.88")
    update_settings({"cost_of_capital": Decimal("0.10")}, None, chris)
    assert actual() == Decimal("123.60")
