"""The insight pages keep what they derive from a run (and render) per process: a write to
what they show (an account's name or status, a person's name, a product, the ledger, a new
run) shows on the next request."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from test_profitability_web import FILES  # the hand-computed ledger

from openkam.web.accounts.models import Account
from openkam.web.accounts.services import update_account
from openkam.web.people.services import update_person


@pytest.fixture
def computed(import_files, recompute_profitability):
    import_files(FILES)
    return recompute_profitability()


def _profitability(client, query: str = "") -> str:
    response = client.get(f"/insights/profitability/{query}")
    assert response.status_code == 200
    return response.content.decode()


def _without_tokens(page: str) -> str:
    """The page without its CSRF tokens (masked afresh on every response)."""
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", page)


def test_an_account_renamed_shows_in_the_table_and_the_matrix(computed, programme, login):
    client = login(programme["users"]["Chris"])
    before = _profitability(client)
    assert _without_tokens(before) == _without_tokens(_profitability(client))  # kept
    assert "Mistral" in before and "Sirocco" not in before
    account = Account.objects.get(account_id="M1")
    update_account(account, {"name": "Sirocco"}, account.version, programme["users"]["Chris"])
    after = _profitability(client)
    table = after[after.index('id="profit-table"') :]
    chart = after[after.index('id="price-cost-data"') :]
    assert "Sirocco" in table and "Mistral" not in table
    assert "Sirocco" in chart and "Mistral" not in after
    # The table alone (the filters' requests) too.
    partial = client.get("/insights/profitability/?partial=1", HTTP_HX_REQUEST="true")
    assert "Sirocco" in partial.content.decode()


def test_a_new_key_account_moves_between_segments(computed, programme, login):
    client = login(programme["users"]["Chris"])
    page = _profitability(client)
    segments = page[page.index('id="segments"') : page.index('id="product-mix"')]
    assert ">Not key</a>" in segments and ">Key account</a>" not in segments
    account = Account.objects.get(account_id="M1")
    update_account(account, {"key_status": "key"}, account.version, programme["users"]["Chris"])
    after = _profitability(client)
    segments = after[after.index('id="segments"') : after.index('id="product-mix"')]
    assert ">Key account</a>" in segments
    # The table's status filter reads the new status.
    table = _profitability(client, "?key_status=key")
    assert "Mistral" in table[table.index('id="profit-table"') :]


def test_a_manager_renamed_shows_in_the_segments_by_manager(computed, programme, login):
    chris = programme["users"]["Chris"]
    client = login(chris)
    account = Account.objects.get(account_id="M1")
    update_account(account, {"kam": programme["people"]["Alice"]}, account.version, chris)
    assert "Alice" in _profitability(client, "?by=kam")
    alice = programme["people"]["Alice"]
    update_person(alice, {"name": "Alicia"}, alice.version, chris)
    page = _profitability(client, "?by=kam")
    segments = page[page.index('id="segments"') : page.index('id="product-mix"')]
    assert "Alicia" in segments


def test_a_product_renamed_and_an_import_show_in_the_mix(computed, programme, login, import_files):
    client = login(programme["users"]["Chris"])
    assert "Widget" in _profitability(client, "?mix=product")
    import_files({"products": "product_id,name,product_line\nP1,Gadget,widgets\n"})
    page = _profitability(client, "?mix=product")
    mix = page[page.index('id="product-mix"') :]
    assert "Gadget" in mix and "Widget" not in mix
    # Another invoice line in 2024: the ledger moved on, and the mix with it.
    import_files(
        {
            "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
            "unit_list_price,discount_amount,cogs_amount\n"
            "I9,1,2024-07-01,M1,P1,1000,10,0,1.00\n"
        }
    )
    again = _profitability(client, "?mix=product")
    assert again[again.index('id="product-mix"') :] != mix


def test_a_new_run_replaces_the_kept_figures(
    computed, programme, login, import_files, recompute_profitability
):
    client = login(programme["users"]["Chris"])
    assert "390 EUR" in _profitability(client)  # net sales 2024
    import_files(
        {
            "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
            "unit_list_price,discount_amount,cogs_amount\n"
            "I9,1,2024-07-01,M1,P1,1000,10,0,1.00\n"
        }
    )
    assert "390 EUR" in _profitability(client)  # the run's figures until a recompute
    recompute_profitability()
    assert "10,390 EUR" in _profitability(client)


def test_a_kept_page_asks_the_database_little(computed, programme, login):
    client = login(programme["users"]["Vera"])
    _profitability(client)
    with CaptureQueriesContext(connection) as queries:
        _profitability(client)
    # Session and user, the settings, the current and latest run, the versions of the
    # accounts and products: nothing that reads the figures or the accounts themselves.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "profitability_accountperiodfigures" not in sql
    assert len(queries.captured_queries) <= 10


@pytest.fixture
def selection_programme(programme):
    """The selection tests' small programme (rules the three accounts can meet)."""
    from test_selection import SMALL

    from openkam.web.people.models import Person, ProgrammeRules
    from openkam.web.portfolio import services

    Person.objects.filter(role="kam").update(full_time_kam=True)
    Person.objects.filter(role="sponsor").update(executive_level="c_level")
    ProgrammeRules.objects.create(kam_min_accounts=1, kam_max_accounts=2)
    services.save_criteria(SMALL, programme["users"]["Chris"], "small programme")
    return programme


def test_the_selection_page_shows_the_newest_review_and_its_state(selection_programme, login):
    from openkam.web.portfolio import services

    chris = selection_programme["users"]["Chris"]
    client = login(chris)
    Account.objects.filter(account_id="A1").update(key_status="not_key", kam=None, sponsor=None)
    first = services.create_review(chris, "First look")
    page = client.get("/selection/").content.decode()
    assert "First look" in page and "Review the changes and apply" in page
    assert _without_tokens(page) == _without_tokens(client.get("/selection/").content.decode())
    services.apply_review(first, chris)
    page = client.get("/selection/").content.decode()
    assert "(applied," in page and "Review the changes and apply" not in page
    # A second review: its own body (the first one proposed A1 as key; A1 is key now).
    services.create_review(chris, "Second look")
    page = client.get("/selection/").content.decode()
    assert "Second look" in page
    assert "None: every account keeps its key status, KAM and sponsor." in page
    assert _without_tokens(page) != _without_tokens(
        client.get("/selection/?show=key_now").content.decode()
    )


@pytest.fixture
def clv_values(programme):
    """Given: a finished CLV run valuing A1 (key) at 5,000, A2 at 7,000, A3 at -100."""
    from decimal import Decimal

    from django.utils import timezone

    from openkam.web.core.models import Computation
    from openkam.web.lifetime_value.models import AccountValue

    run = Computation.objects.create(
        kind="clv", status="done", is_current=True, params={}, finished=timezone.now()
    )
    for key, value in (("A1", 5000), ("A2", 7000), ("A3", -100)):
        AccountValue.objects.create(
            computation=run,
            account_key=key,
            clv_contribution=Decimal(value),
            clv_revenue=Decimal(value * 3),
            probability_alive=0.9,
        )
    return run


def test_the_clv_table_shows_renamed_and_new_key_accounts(clv_values, programme, login):
    chris = programme["users"]["Chris"]
    client = login(chris)
    page = client.get("/insights/clv/").content.decode()
    assert "Borealis Chemicals</a></td>" in page  # A2, not key
    assert _without_tokens(page) == _without_tokens(client.get("/insights/clv/").content.decode())
    account = Account.objects.get(account_id="A2")
    update_account(account, {"name": "Borealis Polymers"}, account.version, chris)
    page = client.get("/insights/clv/").content.decode()
    assert "Borealis Polymers</a></td>" in page and "Borealis Chemicals" not in page
    assert "Borealis" not in client.get("/insights/clv/?key=1").content.decode()
    account.refresh_from_db()
    update_account(account, {"key_status": "key"}, account.version, chris)
    page = client.get("/insights/clv/?key=1").content.decode()
    assert 'Borealis Polymers</a> <span class="badge key">Key</span>' in page
