"""The drill-down pages behind an account's waterfall: invoice lines and activity records.

Their totals are the stored figures of a computed run to the cent, they page newest first
(100 a page, the page asked for clamped to the pages there are), and a malformed period
gets a page of its own, with the way back to the account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openkam.web.profitability.models import AccountPeriodFigures

DAY = dt.date(2024, 1, 1)

# M1 bought 150 times in 2024, a line a day from 1 January: 3 × 33.3333 = 99.9999 gross,
# 0.50 discount, 60.00 cogs (no payment terms, so no credit cost). Rebates 20.00 + 7.77.
INVOICES = "".join(
    f"I{i:04d},1,{DAY + dt.timedelta(days=i)},M1,P1,3,33.3333,0.50,60.00\n" for i in range(150)
)
# Pool "handling" (month pools): January 100.00 for 3 order lines, February 100.00 for 6.
#   M1: 1 + 1 lines in January, 1 in February. Per record 33.33 + 33.33 + 16.67 = 83.33;
#   the waterfall's cells (pool month, account, period) round once each: January
#   round(200 / 3) = 66.67, February round(100 / 6) = 16.67, so 83.34 for 2024 and 2024-Q1.
#   L1 uses the same pool months (its own cells).
# Pool "visits": 1,000.00 for 1,000 visits in 2024; M1 made 205 visits, one a day.
ACTIVITIES = (
    "2024-01-05,M1,handling,1,H1\n2024-01-20,M1,handling,1,H2\n"
    "2024-02-10,M1,handling,1,H3\n2024-01-07,L1,handling,1,H4\n"
    + "".join(f"{DAY + dt.timedelta(days=i)},M1,visits,1,V{i:03d}\n" for i in range(205))
)
FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "L1,Lumen Group,food,EMEA,\nM1,Mistral,chemicals,APAC,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount\n"
    + INVOICES
    + "J1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00\n",
    "rebates": "account_id,rebate_date,amount\nM1,2024-03-31,7.77\nM1,2024-06-30,20.00\n",
    "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
    "handling,2024-01-01,2024-01-31,100.00,3,order line\n"
    "handling,2024-02-01,2024-02-29,100.00,6,order line\n"
    "visits,2024-01-01,2024-12-31,1000.00,1000,visit\n",
    "activities": "activity_date,account_id,pool,quantity,activity_id\n" + ACTIVITIES,
}


@pytest.fixture
def computed(import_files, recompute_profitability):
    import_files(FILES)
    return recompute_profitability()


@pytest.fixture
def viewer(computed, programme, login):
    return login(programme["users"]["Vera"])  # a viewer may read the drill-downs


def stored(run, period: str, account: str = "M1") -> AccountPeriodFigures:
    return AccountPeriodFigures.objects.get(
        computation=run, account_key=account, period=period, rolled_up=False
    )


def activities(client, query: str):
    return client.get(f"/insights/accounts/M1/activities/?{query}")


# Activity records ------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2024", "2024-Q1", "2024-02", "2024-01"])
def test_activities_total_is_the_stored_cost_of_the_pool(computed, viewer, period):
    figure = Decimal(str(stored(computed, period).cost_by_pool["handling"])).quantize(
        Decimal("0.01")
    )
    response = activities(viewer, f"pool=handling&period={period}")
    assert response.status_code == 200
    assert response.context["totals"]["allocated"] == figure
    assert f"<strong>{figure} EUR</strong>" in response.content.decode()


def test_activities_total_rounds_per_month_not_per_record(computed, viewer):
    assert stored(computed, "2024").cost_by_pool["handling"] == 83.34
    page = activities(viewer, "pool=handling&period=2024").content.decode()
    assert "<strong>83.34 EUR</strong>" in page  # not 83.33, the sum of the rounded records
    assert "splits it over the accounts" in page and "by largest remainder" in page
    assert "Σ rate × quantity = 83.3333" in page
    # Each record: its month's rate to 4 decimals (the exact fraction beside it) × quantity.
    assert "33.3333 per order line" in page and 'title="100.00 ÷ 3 order line"' in page
    assert "16.6667 per order line" in page
    # The cells that add up to the total, each rounded to the cent.
    cells = activities(viewer, "pool=handling&period=2024").context["totals"]["cells"]
    assert [(c["cell"], c["allocated"]) for c in cells] == [
        ("2024-01", Decimal("66.67")),
        ("2024-02", Decimal("16.67")),
    ]


def test_activities_show_the_driver_unit(computed, viewer):
    page = activities(viewer, "pool=handling&period=2024").content.decode()
    assert "3 records" in page and "driver unit: order line" in page
    assert "Quantity (order line)" in page


def test_activities_page_newest_first_with_totals_over_all(computed, viewer):
    first = activities(viewer, "pool=visits&period=2024")
    dates = [r["activity_date"] for r in first.context["records"]]
    assert len(dates) == 100 and dates == sorted(dates, reverse=True)
    assert dates[0] == DAY + dt.timedelta(days=204)
    assert (first.context["page"], first.context["pages"]) == (1, 3)
    assert first.context["totals"]["records"] == 205
    assert first.context["totals"]["allocated"] == Decimal("205.00")
    assert "page 1 of 3" in first.content.decode()
    assert "Older →" in first.content.decode()
    last = activities(viewer, "pool=visits&period=2024&page=3")
    assert [r["activity_id"] for r in last.context["records"]] == [
        "V004",
        "V003",
        "V002",
        "V001",
        "V000",
    ]
    assert last.context["totals"]["records"] == 205
    ids = {r["activity_id"] for page in (1, 2, 3) for r in page_records(viewer, page)}
    assert len(ids) == 205  # every record once


def page_records(client, page: int) -> list[dict]:
    return activities(client, f"pool=visits&period=2024&page={page}").context["records"]


@pytest.mark.parametrize(("asked", "shown"), [("99999", 3), ("4", 3), ("0", 1), ("-2", 1)])
def test_activities_page_is_clamped(computed, viewer, asked, shown):
    response = activities(viewer, f"pool=visits&period=2024&page={asked}")
    assert response.status_code == 200
    assert response.context["page"] == shown
    assert response.context["records"], "a clamped page is never empty"
    assert f"page {shown} of 3" in response.content.decode()


# Invoice lines ---------------------------------------------------------------------------


def lines(client, query: str):
    return client.get(f"/insights/accounts/M1/lines/?{query}")


@pytest.mark.parametrize("asked", ["99999", "3"])
def test_lines_page_past_the_end_shows_the_last_page(computed, viewer, asked):
    response = lines(viewer, f"period=2024&page={asked}")
    assert response.status_code == 200
    assert (response.context["page"], response.context["pages"]) == (2, 2)
    shown = [r["invoice_id"] for r in response.context["lines"]]
    assert len(shown) == 50 and shown[0] == "I0049" and shown[-1] == "I0000"
    page = response.content.decode()
    assert "page 2 of 2" in page and "I0000/1" in page and "← Newer" in page


def test_lines_first_page(computed, viewer):
    response = lines(viewer, "period=2024&page=0")
    assert response.context["page"] == 1
    assert response.context["lines"][0]["invoice_id"] == "I0149"


@pytest.mark.parametrize("period", ["2024", "2024-Q1", "2024-03", "2024-06"])
def test_lines_kpis_tie_out_to_the_stored_waterfall(computed, viewer, period):
    figures = stored(computed, period)
    response = lines(viewer, f"period={period}")
    totals = response.context["totals"]
    assert totals["net_sales"] == figures.net_sales
    assert totals["gross_margin"] == figures.gross_margin
    assert response.context["rebates_total"] == figures.rebates
    page = response.content.decode()
    assert "= net sales" in page and "= gross margin" in page
    assert f"{figures.gross_margin:,.2f}" in page


def test_lines_of_the_year_by_hand(computed, viewer):
    # Each line 3 × 33.3333 = 99.9999 is 100.00 as the invoice prints it (rounded once per
    # line), so 150 lines gross 15,000.00; − 75.00 discounts = 14,925.00 invoiced;
    # − 27.77 rebates = 14,897.23 net sales; − 9,000.00 cogs = 5,897.23 gross margin.
    figures = stored(computed, "2024")
    assert (figures.net_sales, figures.gross_margin) == (Decimal("14897.23"), Decimal("5897.23"))
    page = lines(viewer, "period=2024").content.decode()
    assert "14,897.23 EUR" in page and "5,897.23 EUR" in page


def test_lines_margin_column_says_it_is_before_rebates(computed, viewer):
    page = lines(viewer, "period=2024").content.decode()
    assert 'title="Invoiced − COGS; rebates are per account">Margin before rebates</th>' in page
    assert "<th>Margin</th>" not in page


def test_lines_of_a_mix_row_stop_at_the_margin_before_rebates(computed, viewer):
    response = lines(viewer, "period=2024&mix=product&key=P1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "= net sales" not in page and "= gross margin" not in page
    assert "= margin before rebates" in page


# A malformed period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/insights/accounts/M1/lines/?period=2024-13",
        "/insights/accounts/M1/lines/?period=",
        "/insights/accounts/M1/activities/?pool=handling&period=2024-13",
        "/insights/accounts/M1/activities/?pool=handling&period=24",
    ],
)
def test_a_malformed_period_gets_a_page_with_the_way_back(computed, viewer, url):
    response = viewer.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert 'class="sidebar"' in page  # the site's own page, from base.html
    assert "Not a period" in page and "2024-Q1" in page
    assert 'href="/accounts/M1/"' in page and "Back to Mistral" in page


def test_an_unknown_mix_dimension_gets_the_same_page(computed, viewer):
    response = lines(viewer, "period=2024&mix=colour&key=red")
    assert response.status_code == 400
    assert "Unknown mix dimension" in response.content.decode()
    assert 'href="/accounts/M1/"' in response.content.decode()
