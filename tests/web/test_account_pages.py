"""The account list and detail pages."""

from __future__ import annotations

from openkam.web.accounts.models import Account


def test_search_filter_sort_and_paginate(programme, login):
    Account.objects.bulk_create(
        Account(account_id=f"X{i:03d}", name=f"Zeta {i:03d}", industry="retail", region="Americas")
        for i in range(120)
    )
    client = login(programme["users"]["Vera"])
    page = client.get("/accounts/?q=acme").content.decode()
    assert "Acme Foods" in page and "Borealis" not in page and "2 accounts" in page
    page = client.get("/accounts/?region=APAC").content.decode()
    assert "Borealis" in page and "Acme" not in page
    page = client.get("/accounts/?kam=P-Alice").content.decode()
    assert "Acme Foods" in page and "1 account" in page
    page = client.get("/accounts/?industry=retail&sort=-name").content.decode()
    assert "120 accounts" in page and "page 1 of 3" in page
    assert page.index("Zeta 119") < page.index("Zeta 118")
    page3 = client.get("/accounts/?industry=retail&sort=-name&page=3").content.decode()
    assert "Zeta 000" in page3 and "Zeta 119" not in page3


def test_list_answers_htmx_with_the_table_only(programme, login):
    response = login(programme["users"]["Vera"]).get("/accounts/?q=bor", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Borealis" in html and "<html" not in html


def test_detail_shows_hierarchy_contacts_and_unknown_is_404(programme, login):
    client = login(programme["users"]["Vera"])
    page = client.get("/accounts/A1/").content.decode()
    assert "Acme Foods Iberia" in page  # subsidiary
    assert "Carla Buyer" in page
    assert "Alice" in page and "Sam" in page
    assert client.get("/accounts/NOPE/").status_code == 404


def test_the_history_names_each_author_without_a_query_per_event(programme, login):
    """The account's history names an event's author by their person record (Chris, not
    the login "chris"), read with the events: the page asks as many queries with 12 events
    by several people as with 2."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openkam.web.core import audit

    account = programme["accounts"]["A2"]
    users = programme["users"]
    client = login(users["Chris"])

    def edits(n):
        for i in range(n):
            author = [users["Chris"], users["Alice"], users["Bob"]][i % 3]
            audit.record(
                "update", account, user=author, account_key="A2", changes={"notes": ["", i]}
            )

    def page():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/accounts/A2/").content.decode()
        return html, len(queries.captured_queries)

    edits(2)
    html, few = page()
    assert "<strong>Chris</strong>" in html and "<strong>Alice</strong>" in html
    edits(10)
    html, many = page()
    assert html.count("<strong>Bob</strong>") == 3 and many == few
