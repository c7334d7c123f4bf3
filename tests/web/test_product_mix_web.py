"""The product mix on the account page, the Profitability page, the lines drill-down, the
API and the CLI: the same hand-computed figures everywhere.

By hand, 2024 (CSV below):
  widgets (P1): L1 10 × 12.50 = 125.00 − 5.00 discount, cogs 60.00; L2 4 × 50 = 200.00,
      cogs 80.00 → gross 325.00, discounts 5.00, invoiced 320.00, cogs 140.00, margin 180.00
  gadgets (P2): L1 2 × 30 = 60.00, cogs 20.00; M1 1 × 100 − 10.00, cogs 95.00 → gross
      160.00, discounts 10.00, invoiced 150.00, cogs 115.00, margin 35.00
  shares of 470.00 invoiced: 68.09 % and 31.91 %; gross margin 56.25 % and 23.33 %;
  discount rates 5 / 325 = 1.54 % and 10 / 160 = 6.25 %.
  L1 by buying unit: Plant North 125.00 − 5.00, cogs 60.00; none 60.00, cogs 20.00.
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient
from typer.testing import CliRunner

from openkam.cli import app
from openkam.engine.profitability import UNLISTED
from openkam.web.accounts.models import Account

FILES = {
    "accounts": "account_id,name,industry,region,parent_account_id\n"
    "L1,Lumen Group,food,EMEA,\nL2,Lumen Iberia,food,EMEA,L1\nM1,Mistral,chemicals,APAC,\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\nP2,Gadget,gadgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount,business_unit\n"
    "I1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00,Plant North\n"
    "I1,2,2024-03-01,L1,P2,2,30,0,20.00,\n"
    "I2,1,2024-04-01,L2,P1,4,50,0,80.00,\n"
    "I3,1,2024-05-01,M1,P2,1,100,10.00,95.00,\n",
    "rebates": "account_id,rebate_date,amount\nM1,2024-06-30,20.00\n",
}
MONEY = ("gross_sales", "discounts", "invoiced_sales", "cogs", "invoice_margin")


@pytest.fixture
def ledger(import_files):
    return import_files(FILES)


@pytest.fixture
def api(programme):
    client = APIClient()
    client.force_authenticate(programme["users"]["Vera"])  # a viewer reads the mix
    return client


def _by_key(rows):
    return {r["key"]: r for r in rows}


def test_api_mix_by_product_line(ledger, api):
    out = api.get("/api/profitability/mix/?period=2024").json()
    assert (out["by"], out["period"], out["scope"], out["account_id"]) == (
        "product_line",
        "2024",
        "all",
        None,
    )
    rows = _by_key(out["rows"])
    assert [rows["widgets"][k] for k in MONEY] == [325.0, 5.0, 320.0, 140.0, 180.0]
    assert [rows["gadgets"][k] for k in MONEY] == [160.0, 10.0, 150.0, 115.0, 35.0]
    assert [r["key"] for r in out["rows"]] == ["widgets", "gadgets"]  # by gross margin
    assert (rows["widgets"]["share_pct"], rows["widgets"]["invoice_margin_pct"]) == (68.09, 56.25)
    assert (rows["gadgets"]["discount_pct"], rows["gadgets"]["invoice_margin_pct"]) == (6.25, 23.33)
    assert (rows["widgets"]["accounts"], rows["gadgets"]["accounts"]) == (2, 2)
    assert out["totals"]["invoiced_sales"] == 470.0 and out["totals"]["accounts"] == 3


def test_api_mix_of_key_accounts_and_of_one_account(ledger, api):
    Account.objects.filter(account_id="M1").update(key_status="key")
    key = api.get("/api/profitability/mix/?period=2024&scope=key").json()
    # Only M1's gadget line: 100 − 10 = 90 invoiced, cogs 95 → margin −5.00 (−5.56 %).
    assert [(r["key"], r["invoice_margin"], r["invoice_margin_pct"]) for r in key["rows"]] == [
        ("gadgets", -5.0, -5.56)
    ]
    units = api.get("/api/profitability/mix/?period=2024-Q1&account_id=L1&by=business_unit")
    rows = _by_key(units.json()["rows"])
    assert [rows["Plant North"][k] for k in MONEY] == [125.0, 5.0, 120.0, 60.0, 60.0]
    assert [rows["(none)"][k] for k in MONEY] == [60.0, 0.0, 60.0, 20.0, 40.0]
    assert units.json()["scope"] is None


def test_one_accounts_mix_follows_the_product_list(ledger, api):
    """An account's mix is kept per process: a product moved to another line moves in it
    on the next request (by hand, L1 2024: P1 125.00 − 5.00, cogs 60.00 → margin 60.00;
    P2 60.00, cogs 20.00 → margin 40.00)."""
    from openkam.web.accounts.models import Product

    url = "/api/profitability/mix/?period=2024&account_id=L1"
    before = _by_key(api.get(url).json()["rows"])
    assert (before["widgets"]["invoice_margin"], before["gadgets"]["invoice_margin"]) == (
        60.0,
        40.0,
    )
    Product.objects.filter(product_id="P2").update(product_line="widgets")
    after = api.get(url).json()["rows"]
    assert [(r["key"], r["invoice_margin"], r["lines"]) for r in after] == [("widgets", 100.0, 2)]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("by=colour&period=2024", 400, "by"),
        ("scope=friends&period=2024", 400, "scope"),
        ("period=2024-13", 400, "period"),
        ("period=", 400, "period"),  # no period and no run to take the latest year from
        ("period=2024&account_id=NOPE", 404, "detail"),
    ],
)
def test_api_mix_bad_input(ledger, api, query, status, field):
    response = api.get(f"/api/profitability/mix/?{query}")
    assert response.status_code == status
    assert field in response.json()


def test_api_mix_without_invoices(programme, api, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert api.get("/api/profitability/mix/?period=2024").status_code == 404


@pytest.fixture
def computed(ledger, recompute_profitability):
    return recompute_profitability()


def test_account_panel_compares_with_all_accounts(computed, programme, login):
    page = login(programme["users"]["Vera"]).get("/accounts/L1/")
    panel = next(p for p in page.context["panels"] if p["template"].endswith("_account_mix.html"))
    mix = panel["context"]["mix"]
    rows = _by_key(mix["rows"])
    # L1's own: widgets 125 − 5 = 120, cogs 60; gadgets 60, cogs 20 (of 180 invoiced).
    assert (rows["widgets"]["invoice_margin"], rows["gadgets"]["invoice_margin"]) == (60.0, 40.0)
    assert rows["widgets"]["share_pct"] == 66.67
    # Beside each row, the same line over all accounts.
    assert rows["gadgets"]["all"]["discount_pct"] == 6.25
    html = page.content.decode()
    assert "Product mix 2024" in html
    assert "/insights/accounts/L1/lines/?period=2024&mix=product_line&key=widgets" in html
    by_product = login(programme["users"]["Vera"]).get("/accounts/L1/?mix_by=product")
    assert "Gadget" in by_product.content.decode()


def test_lines_of_one_row_of_the_mix(computed, programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/insights/accounts/L1/lines/?period=2024&mix=product_line&key=widgets")
    assert page.status_code == 200
    totals = page.context["totals"]
    assert (totals["lines"], str(totals["invoiced_sales"]), str(totals["invoice_margin"])) == (
        1,
        "120.00",
        "60.00",
    )
    assert page.context["rebates"] == []  # rebates are per account, not per product line
    assert "product line widgets" in page.content.decode()
    unlisted = client.get(
        f"/insights/accounts/M1/lines/?period=2024&mix=product_line&key={UNLISTED}"
    )
    assert unlisted.context["totals"]["lines"] == 0
    assert (
        client.get("/insights/accounts/L1/lines/?period=2024&mix=colour&key=x").status_code == 400
    )


def test_profitability_page_card(computed, programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/insights/profitability/")
    assert [r["key"] for r in page.context["mix"]["rows"]] == ["widgets", "gadgets"]
    assert page.context["mix"]["rows"][0]["bar_pct"] == 100.0  # the widest share
    Account.objects.filter(account_id="M1").update(key_status="key")
    key = client.get("/insights/profitability/?scope=key&mix=product")
    assert [(r["key"], r["name"]) for r in key.context["mix"]["rows"]] == [("P2", "Gadget")]
    # An unknown choice falls back to the default rather than failing the page.
    odd = client.get("/insights/profitability/?scope=friends&mix=colour")
    assert (odd.context["mix_scope"], odd.context["mix_by"]) == ("all", "product_line")


def test_cli_mix(ledger, monkeypatch):
    monkeypatch.setenv("OPENKAM_DATA_DIR", str(ledger))
    runner = CliRunner()
    result = runner.invoke(app, ["profitability", "--mix", "product_line", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {r["key"]: r["invoice_margin"] for r in out["rows"]} == {
        "widgets": 180.0,
        "gadgets": 35.0,
    }
    one = runner.invoke(
        app,
        ["profitability", "--mix", "product", "--account", "M1", "--to", "2024-04-30", "--json"],
    )
    assert json.loads(one.output)["rows"] == []  # M1's only line is of 2024-05-01
    table = runner.invoke(app, ["profitability", "--mix", "business_unit", "--account", "L1"])
    assert table.exit_code == 0 and "Plant North" in table.output
    for args, message in [
        (["--mix", "colour"], "--mix must be one of"),
        (["--mix", "product", "--from", "2024-02-30"], "is not a date"),
        (["--mix", "product", "--account", "NOPE"], "unknown account"),
        (["--mix", "product", "--whale"], "different reports"),
        (["--mix", "product", "--from", "2024-05-01", "--to", "2024-01-01"], "is after"),
    ]:
        bad = runner.invoke(app, ["profitability", *args])
        assert bad.exit_code == 2 and message in bad.output, (args, bad.output)


def test_the_mix_follows_the_accounts_own_years(
    ledger, import_files, recompute_profitability, programme, login
):
    # N1 bought once, in 2023; the run's years are 2023 and 2024. Its Profitability panel
    # shows 2023, and so must its mix (not the run's last year, in which N1 has nothing).
    import_files(
        {
            "accounts": "account_id,name,industry,region,parent_account_id\nN1,Nadir,food,EMEA,\n",
            "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
            "unit_list_price,discount_amount,cogs_amount\nJ9,1,2023-06-01,N1,P1,2,10,0,8.00\n",
        }
    )
    recompute_profitability()
    page = login(programme["users"]["Vera"]).get("/accounts/N1/")
    panel = next(p for p in page.context["panels"] if p["template"].endswith("_account_mix.html"))
    assert panel["context"]["year"] == "2023"
    assert [r["invoiced_sales"] for r in panel["context"]["mix"]["rows"]] == [20.0]


def test_mix_refusals(computed, api, programme, login, tmp_path, monkeypatch):
    assert api.get("/api/profitability/mix/?period=2030").status_code == 404
    lines = "/api/profitability/lines/?account_id=L1&period=2024&mix=product_line&key="
    assert api.get(lines).status_code == 400
    page = login(programme["users"]["Vera"])
    assert page.get("/insights/accounts/L1/lines/?period=2024&mix=product&key=").status_code == 400
    # A search of spaces filters nothing: no "this view" line.
    assert page.get("/insights/profitability/?q=%20%20").context["view_totals"] is None
    # The filters carry the cards' choices, so the address they push keeps them.
    html = page.get("/insights/profitability/?mix=product&scope=key").content.decode()
    assert '<input type="hidden" name="mix" value="product">' in html
    runner = CliRunner()
    monkeypatch.setenv("OPENKAM_DATA_DIR", str(tmp_path / "empty"))
    empty = runner.invoke(app, ["profitability", "--mix", "product"])
    assert empty.exit_code == 1 and "import invoices first" in empty.output


def test_the_card_downloads_as_csv(computed, programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/insights/profitability/?mix=product")
    assert "format=mix.csv" in page.content.decode()
    response = client.get("/insights/profitability/?mix=product&format=mix.csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="product-mix-2024-all-product.csv"'
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("key,name,product_line,lines,accounts,quantity,currency,gross_sales")
    # By hand (header of this module): P1 = widgets, P2 = gadgets.
    assert lines[1:] == [
        "P1,Widget,widgets,2,2,14.0,EUR,325.00,5.00,320.00,140.00,180.00,68.09,1.54,56.25",
        "P2,Gadget,gadgets,2,2,3.0,EUR,160.00,10.00,150.00,115.00,35.00,31.91,6.25,23.33",
    ]
