"""The accounts list answers questions: money columns from the stored figures, sortable and
filterable (loss-making, quadrant, year), with the page's figures read in a fixed number of
queries whatever the size of the list."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openkam.web.core.models import Computation
from openkam.web.lifetime_value.models import AccountValue
from openkam.web.portfolio.models import CriteriaSet, Review
from openkam.web.profitability.models import AccountPeriodFigures

MONEY = ("gross_sales", "discounts", "invoiced_sales", "rebates", "cogs", "gross_margin")
MONEY += ("cost_to_serve",)


def _figures(run, key, period, net_sales, contribution, rolled_up=False):
    values = {name: Decimal(0) for name in MONEY}
    AccountPeriodFigures.objects.create(
        computation=run,
        account_key=key,
        grain="year",
        period=period,
        rolled_up=rolled_up,
        net_sales=Decimal(net_sales),
        net_contribution=Decimal(contribution),
        # margin = net contribution / net sales, as the engine stores it
        contribution_margin_pct=float(Decimal(contribution) / Decimal(net_sales) * 100),
        **values,
    )


@pytest.fixture
def figures(programme):
    """Given: 2024 figures for A1 (own 1,000 / subtree 3,000), A2 (loss) and A3; 2023 for
    A2 only; CLV for A1; a review placing A1 in key development and A2 in opportunistic."""
    run = Computation.objects.create(
        kind="profitability",
        status="done",
        is_current=True,
        summary={"years": ["2023", "2024"]},
    )
    _figures(run, "A1", "2024", "10000", "1000")
    _figures(run, "A1", "2024", "20000", "3000", rolled_up=True)  # A1 with its A3
    _figures(run, "A2", "2024", "8000", "-2000")
    _figures(run, "A3", "2024", "10000", "2000")
    _figures(run, "A2", "2023", "5000", "500")
    clv = Computation.objects.create(kind="clv", status="done", is_current=True)
    AccountValue.objects.create(computation=clv, account_key="A1", clv_contribution=Decimal(9999))
    criteria = CriteriaSet.objects.create(number=1, config={})
    Review.objects.create(
        label="Spring review",
        criteria=criteria,
        result={
            "accounts": [
                {"account_id": "A1", "quadrant": "key_development"},
                {"account_id": "A2", "quadrant": "opportunistic"},
            ]
        },
    )
    return run


def _names(html: str) -> list[str]:
    return re.findall(r'<td class="account-cell"><a href="[^"]+">([^<]+)</a>', html)


def test_money_columns_show_the_last_complete_year_with_currency(figures, login, settings):
    settings.OPENKAM_REPORTING_CURRENCY = "CHF"
    html = login(_viewer()).get("/accounts/?year=2024").content.decode()
    # A1 shows its subtree (with A3): 20,000 net sales, 3,000 contribution, 15.0 % margin.
    assert "20,000 CHF" in html and "3,000 CHF" in html and "15.0 %" in html
    assert "-2,000 CHF" in html and "-25.0 %" in html  # A2's loss: -2,000 / 8,000
    assert "9,999 CHF" in html  # A1's lifetime value
    assert "Key development" in html and "Opportunistic" in html
    assert "not assessed" in html  # A3 was not in the review


def test_sort_by_net_contribution_both_ways_missing_last(figures, login):
    client = login(_viewer())
    up = _names(client.get("/accounts/?year=2024&sort=contribution").content.decode())
    assert up == ["Borealis Chemicals", "Acme Foods Iberia", "Acme Foods"]
    down = _names(client.get("/accounts/?year=2024&sort=-contribution").content.decode())
    assert down == ["Acme Foods", "Acme Foods Iberia", "Borealis Chemicals"]
    # In 2023 only A2 has figures: the accounts without any come last, either way.
    old = _names(client.get("/accounts/?year=2023&sort=-net_sales").content.decode())
    assert old[0] == "Borealis Chemicals"
    by_clv = _names(client.get("/accounts/?sort=-clv").content.decode())
    assert by_clv[0] == "Acme Foods"
    by_margin = _names(client.get("/accounts/?year=2024&sort=margin").content.decode())
    assert by_margin[0] == "Borealis Chemicals"  # -25 % < 15 % < 20 %


def test_filter_loss_makers_and_quadrant(figures, login):
    client = login(_viewer())
    assert _names(client.get("/accounts/?year=2024&result=loss").content.decode()) == [
        "Borealis Chemicals"
    ]
    # In 2023 A2 made a profit of 500.
    assert _names(client.get("/accounts/?year=2023&result=loss").content.decode()) == []
    assert _names(client.get("/accounts/?quadrant=key_development").content.decode()) == [
        "Acme Foods"
    ]
    profit = _names(client.get("/accounts/?year=2024&result=profit&sort=name").content.decode())
    assert profit == ["Acme Foods", "Acme Foods Iberia"]


def test_api_filters_the_same_way(figures, login):
    client = login(_viewer())
    rows = client.get("/api/accounts/?result=loss&year=2024").json()
    rows = rows.get("results", rows)
    assert [r["account_id"] for r in rows] == ["A2"]


def test_page_figures_take_a_fixed_number_of_queries(figures, login, programme):
    from openkam.web.accounts.models import Account

    client = login(_viewer())
    client.get("/accounts/?year=2024&sort=-contribution")  # warm caches (session, user)
    with CaptureQueriesContext(connection) as few:
        client.get("/accounts/?year=2024&sort=-contribution")
    Account.objects.bulk_create(
        Account(account_id=f"X{i:03d}", name=f"Zeta {i:03d}", region="EMEA") for i in range(60)
    )
    with CaptureQueriesContext(connection) as many:
        client.get("/accounts/?year=2024&sort=-contribution")
    assert len(many.captured_queries) == len(few.captured_queries)


def _viewer():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="vera")


@pytest.mark.parametrize("sort", ["-net_sales", "net_sales", "contribution", "-margin", "clv"])
def test_a_money_sort_pages_in_the_querys_order_from_the_stored_ranking(
    programme, login, monkeypatch, sort
):
    """The unfiltered list sorted by a money column comes from a ranking worked out once
    per run (accounts.figure_sort); page by page it is the query's order: ties by id, the
    roll-up winning over the account's own row, accounts without a figure (or with a null
    one) last by id — across the boundary between the two, with pages of 3."""
    from openkam.web.accounts import figure_sort
    from openkam.web.accounts.models import Account
    from openkam.web.accounts.views import _ordered

    run = Computation.objects.create(
        kind="profitability", status="done", is_current=True, summary={"years": ["2024"]}
    )
    clv = Computation.objects.create(kind="clv", status="done", is_current=True)
    Account.objects.bulk_create(
        Account(account_id=f"S{i}", name=f"S{i}", industry="food", region="EMEA") for i in range(8)
    )
    # S0 and S1 tie; S2's roll-up (900) wins over its own row (10); S3 has net sales 0
    # (no margin); S6 and S7 have no figures at all.
    for key, sales, contribution, rolled in [
        ("S0", "500", "50", False),
        ("S1", "500", "50", False),
        ("S2", "10", "1", False),
        ("S2", "900", "-90", True),
        ("S3", "0", "-5", False),
        ("S4", "70", "70", False),
        ("S5", "500", "-20", False),
    ]:
        values = {name: Decimal(0) for name in MONEY}
        margin = float(Decimal(contribution) / Decimal(sales) * 100) if sales != "0" else None
        AccountPeriodFigures.objects.create(
            computation=run,
            account_key=key,
            grain="year",
            period="2024",
            rolled_up=rolled,
            net_sales=Decimal(sales),
            net_contribution=Decimal(contribution),
            contribution_margin_pct=margin,
            **values,
        )
    for key, value in [("S4", "7"), ("S1", "7"), ("S0", None), ("S3", "-2")]:
        AccountValue.objects.create(
            computation=clv,
            account_key=key,
            clv_contribution=None if value is None else Decimal(value),
        )
    monkeypatch.setattr(figure_sort, "PAGE_SIZE", 3)
    # The stored figure the sort ranks by.
    field = (
        "clv"
        if sort == "clv"
        else {
            "net_sales": "net_sales",
            "contribution": "net_contribution",
            "margin": "contribution_margin_pct",
        }[sort.lstrip("-")]
    )
    every = Account.objects.all()
    expected = [a.account_id for a in _ordered(every, sort, "2024")]
    assert len(expected) == Account.objects.count()
    pages, number = [], 1
    while True:
        page = figure_sort.money_page(
            every,
            _ordered(every, sort, "2024"),
            field,
            "2024",
            sort.startswith("-"),
            number,
        )
        pages.append([a.account_id for a in page])
        if not page.has_next:
            break
        number += 1
    assert [a for p in pages for a in p] == expected
    if sort == "-net_sales":  # by hand: S2 (900 rolled up), S0, S1, S5 (500, by id), S4, S3
        assert expected[:6] == ["S2", "S0", "S1", "S5", "S4", "S3"]
    # A filtered list: the ranking keeps the accounts the filter holds, in the same order.
    some = Account.objects.filter(account_id__in=["S1", "S2", "S3", "S6", "A1"])
    want = [a.account_id for a in _ordered(some, sort, "2024")]
    got = []
    for number in (1, 2):
        page = figure_sort.money_page(
            some,
            _ordered(some, sort, "2024"),
            field,
            "2024",
            sort.startswith("-"),
            number,
            filtered=True,
        )
        got += [a.account_id for a in page]
    assert got == want and len(want) == 5
