"""Cost pools read as names on the pages (``kam_time`` → "KAM time"); the pool id stays in
links, the API and the CSV download."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient
from test_profitability_settings import FILES as WITH_PAYMENT_TERMS

from openkam.web.profitability.display import pool_label, quantity_text


@pytest.mark.parametrize(
    ("pool", "label"),
    [
        ("kam_time", "KAM time"),
        ("dedicated_stock", "Dedicated stock"),
        ("expedited_delivery", "Expedited delivery"),
        ("credit_cost", "Credit cost of payment terms"),
        ("delivery", "Delivery"),
        ("order_handling", "Order handling"),
        ("edi_orders", "EDI orders"),
        ("DHL_express", "DHL express"),  # an importer's own capitals stay
        ("  sales__visits ", "Sales visits"),
        ("Kühne_transport", "Kühne transport"),
        ("", ""),
        (None, ""),
    ],
)
def test_pool_label(pool, label):
    assert pool_label(pool) == label


# The payment-terms ledger of test_profitability_settings (so that M1 has a credit cost)
# with its delivery pool renamed kam_time and its capacity cut to 8 hours: the 10 hours the
# accounts use go over it, so the run warns about the pool.
FILES = {
    **WITH_PAYMENT_TERMS,
    "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
    "kam_time,2024-01-01,2024-12-31,1000.00,8,hour\n",
    "activities": "activity_date,account_id,pool,quantity\n"
    "2024-03-02,L1,kam_time,3\n2024-04-02,L2,kam_time,2\n2024-05-02,M1,kam_time,5\n",
}


@pytest.fixture
def client(import_files, recompute_profitability, programme, login):
    import_files(FILES)
    recompute_profitability()
    return login(programme["users"]["Vera"])


def visible(html: str) -> str:
    """The page's text without its tags, attributes and scripts."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_account_page_names_the_pools_and_links_by_id(client):
    page = client.get("/accounts/M1/").content.decode()
    text = visible(page)
    assert "KAM time" in text and "Credit cost of payment terms" in text
    assert "kam_time" not in text and "credit_cost" not in text
    # The drill-down link and the title carry the pool id.
    assert '/insights/accounts/M1/activities/?pool=kam_time&amp;period=2024"' in page
    assert 'title="Cost pool kam_time"' in page
    # The chart's series: label for the legend, pool id (and its colour) kept.
    trend = json.loads(re.search(r'id="cts-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert {(s["pool"], s["label"]) for s in trend["series"]} == {
        ("kam_time", "KAM time"),
        ("credit_cost", "Credit cost of payment terms"),
    }


def test_drill_down_and_profitability_page_name_the_pool(client):
    drill = client.get("/insights/accounts/M1/activities/?pool=kam_time&period=2024")
    assert drill.status_code == 200
    assert "<h1" in drill.content.decode() and "KAM time" in visible(drill.content.decode())
    page = client.get("/insights/profitability/").content.decode()
    text = visible(page)
    assert "KAM time" in text and "kam_time" not in text
    # The unused-capacity card, and the warning of the pool over its capacity.
    assert '<td title="Cost pool kam_time">KAM time</td>' in page
    assert re.search(r">KAM time</span> 2024: activities use 10 hour", page)


def test_api_and_csv_keep_the_pool_id(client, programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    assert [p["pool"] for p in api.get("/api/profitability/pools/").json()] == ["kam_time"]
    rows = api.get("/api/profitability/?period=2024&account_id=M1").json()["results"]
    assert set(rows[0]["cost_by_pool"]) == {"kam_time", "credit_cost"}
    response = client.get("/insights/profitability/?year=2024&format=csv")
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert "kam_time" in header and "credit_cost" in header
    assert "KAM time" not in header


@pytest.mark.parametrize(
    "value, text",
    [
        # Driver quantities carry 3 decimals in the ledger (NUMERIC(18,3)); a person reads
        # them without the trailing zeros the activities page used to show ("52.500").
        (Decimal("52.500"), "52.5"),
        (Decimal("1200.000"), "1,200"),
        (Decimal("0.125"), "0.125"),
        (Decimal("-3.000"), "-3"),
        (7, "7"),
        (None, ""),
    ],
)
def test_quantity_text(value, text):
    assert quantity_text(value) == text
