"""Pages round a percentage once, from the money, not again from the engine's 2 decimals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from openkam.web.profitability.display import percent_of, rounded_percent

# One account, one invoice line, by hand: 1 × 400.00 at list price, no discount, rebate or
# cost to serve; cost of goods 311.01. Net sales 400.00, net contribution 88.99, and the
# margin before rebates of the product mix is the same 88.99:
#   88.99 / 400.00 = 22.2475 % exactly, which is 22.2 % to 1 decimal.
# Double rounding gives a different digit: the engine's 2 decimals make it 22.25 (the
# API's value) and 22.25 to 1 decimal is 22.3.
FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\nD1,Dunmore,food,EMEA,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount\nI1,1,2024-03-01,D1,P1,1,400.00,0,311.01\n",
}


def test_percent_of_is_the_exact_ratio():
    assert percent_of(Decimal("88.99"), Decimal("400.00")) == Decimal("22.2475")
    assert percent_of(88.99, 400.0) == Decimal("22.2475")  # floats read as the decimals
    assert percent_of(1, 3) == Decimal(100) / 3
    # No ratio over a base ≤ 0 (as engine money.percent), nor without a figure.
    assert percent_of(5, 0) is None and percent_of(5, -10) is None
    assert percent_of(None, 10) is None and percent_of(5, None) is None
    assert rounded_percent(88.99, 400) == 22.2
    assert rounded_percent(-88.99, 400) == -22.2
    assert rounded_percent(30, 120) == 25.0 and rounded_percent(1, 0) is None


@pytest.fixture
def client(import_files, recompute_profitability, programme, login):
    import_files(FILES)
    recompute_profitability()
    return login(programme["users"]["Vera"])


def test_the_api_keeps_its_two_decimals(client, programme):
    api = APIClient()
    api.force_authenticate(programme["users"]["Vera"])
    (row,) = api.get("/api/profitability/?period=2024&account_id=D1").json()["results"]
    assert (row["net_sales"], row["net_contribution"]) == ("400.00", "88.99")
    assert row["contribution_margin_pct"] == 22.25  # the premise: rounded to 2 decimals


def test_the_pages_show_22_2_not_22_3(client):
    page = client.get("/insights/profitability/?year=2024&by=industry").content.decode()
    for card in ("profit-table", "segments", "price-cost", "product-mix"):
        # Each card from its id to the next card.
        html = page[page.index(f'id="{card}"') :]
        html = html[: html.index("</section>")] if card != "profit-table" else html
        assert "22.2 %" in html, card
        assert "22.3 %" not in html, card
    account = client.get("/accounts/D1/").content.decode()
    assert "(22.2 %)" in account and "22.3" not in account
    # The chart of net contribution per quarter gets the margin rounded once too.
    assert re.search(r'"margin_pct": \[22\.2\]', account)
