"""The champion recomputes profitability and reads the price–cost matrix: one account in each
quadrant, and a click on a bubble opens that account."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from openkam.web.ingest import run_import
from openkam.web.people.models import Person


def poll(page, expression: str, timeout_s: float = 15.0) -> None:
    """Wait until ``expression`` is true. Not ``wait_for_function``: its polling evaluates a
    string in the page, which the Content Security Policy forbids ('unsafe-eval')."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

# Four accounts, each buying 10 × 100.00 at list in 2024; deliveries cost 1,000.00 / 100 =
# 10.00 each. By hand (net price = net ÷ gross, cost to serve = deliveries ÷ net sales):
#   PAS  no discount, 1 delivery     -> 100 %, 1.0 %   CAR  no discount, 30 deliveries -> 100 %, 30 %
#   BAR  400.00 off, 1 delivery      ->  60 %, 1.7 %   AGG  400.00 off, 30 deliveries  ->  60 %, 50 %
# Cuts: 3,200 / 4,000 = 80 % of list; 620 / 3,200 = 19.4 % of net sales: one per quadrant.
FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "PAS,Placid Foods,food,EMEA,\nCAR,Carriage Chemicals,chemicals,EMEA,\n"
    "BAR,Bargain Metals,metals,APAC,\nAGG,Aggressor Retail,retail,APAC,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
    "discount_amount,cogs_amount\n"
    "I1,1,2024-03-01,PAS,P1,10,100,0,500\nI2,1,2024-03-01,CAR,P1,10,100,0,500\n"
    "I3,1,2024-03-01,BAR,P1,10,100,400,500\nI4,1,2024-03-01,AGG,P1,10,100,400,500\n",
    "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
    "delivery,2024-01-01,2024-12-31,1000.00,100,delivery\n",
    "activities": "activity_date,account_id,pool,quantity\n"
    "2024-03-02,PAS,delivery,1\n2024-03-02,CAR,delivery,30\n"
    "2024-03-02,BAR,delivery,1\n2024-03-02,AGG,delivery,30\n",
}


@pytest.fixture
def data(transactional_db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    user = get_user_model().objects.create_user("chris", password="chris-secret-1")
    Person.objects.create(person_id="P1", name="Chris Champion", role="champion", user=user)
    for kind, text in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        run_import(kind, [path])


def test_recompute_and_open_an_account_from_the_matrix(live_server, page, sign_in, data):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("chris", "chris-secret-1")
    page.goto(f"{live_server.url}/insights/profitability/")
    page.click(".recompute button[type=submit]")
    page.wait_for_selector("#price-cost-chart", timeout=30_000)
    poll(page, "window.Chart && Chart.getChart(document.getElementById('price-cost-chart'))")
    drawn = page.evaluate(
        """() => Chart.getChart(document.getElementById('price-cost-chart')).data.datasets
                 .map(d => [d.label, d.data.map(p => p.id)])"""
    )
    assert drawn == [
        ["Carriage trade", ["CAR"]],
        ["Passive", ["PAS"]],
        ["Bargain basement", ["BAR"]],
        ["Aggressive", ["AGG"]],
    ]
    assert "80.0 % of list price" in page.locator("#price-cost").inner_text()
    page.locator("#price-cost").screenshot(path=str(SHOTS / "price-cost-matrix.png"))
    # Click the aggressive account's bubble where the chart drew it.
    box = page.locator("#price-cost-chart").bounding_box()
    point = page.evaluate(
        """() => { const el = Chart.getChart(document.getElementById('price-cost-chart'))
                     .getDatasetMeta(3).data[0]; return {x: el.x, y: el.y}; }"""
    )
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/accounts/AGG/")
    assert page.locator("h1").inner_text().startswith("Aggressor Retail")
