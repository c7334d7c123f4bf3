"""Keyset pages of the account list: every account once, in order, across pages whose sort
key has ties; a capped count; the search the same with and without its trigram index."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection

from openkam.web.accounts.models import Account
from openkam.web.accounts.paging import (
    capped_count,
    decode_cursor,
    encode_cursor,
    keyset_page,
    offset_page,
)

pytestmark = pytest.mark.django_db


def _accounts(n: int = 23) -> None:
    # Three industries and only four names: long runs of ties in either sort key, which
    # only the primary key (the tie-breaker) orders.
    Account.objects.bulk_create(
        Account(
            account_id=f"T{i:03d}",
            name=f"Same {i % 4}",
            industry=["food", "retail", "energy"][i % 3],
            region="EMEA",
        )
        for i in range(n)
    )


def _walk(fields, page_size=5):
    """Every page by Next links, then back to the first by Previous links."""
    qs = Account.objects.all()
    page = keyset_page(qs, fields, page_size=page_size)
    pages = [page]
    while page.has_next:
        page = keyset_page(
            qs,
            fields,
            after=page.next_query["after"],
            number=page.next_query["page"],
            page_size=page_size,
        )
        pages.append(page)
    back = [page]
    while page.has_previous:
        page = keyset_page(
            qs,
            fields,
            before=page.previous_query["before"],
            number=page.previous_query["page"],
            page_size=page_size,
        )
        back.append(page)
    return pages, back


@pytest.mark.parametrize(
    "fields, order",
    [
        ([("name", False), ("pk", False)], ["name", "pk"]),
        ([("name", True), ("pk", False)], ["-name", "pk"]),
        ([("industry", True), ("pk", False)], ["-industry", "pk"]),
        ([("account_id", False), ("pk", False)], ["account_id", "pk"]),
    ],
)
def test_keyset_pages_cover_every_account_once_in_order_both_ways(fields, order):
    _accounts(23)
    expected = list(Account.objects.order_by(*order).values_list("account_id", flat=True))
    pages, back = _walk(fields)
    # 23 accounts by 5: pages of 5, 5, 5, 5, 3 (hand count).
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert [a.account_id for p in pages for a in p] == expected
    # Previous links give the same pages again, last to first, and end on page 1.
    assert [[a.account_id for a in p] for p in back] == [
        [a.account_id for a in p] for p in reversed(pages)
    ]
    assert back[-1].number == 1 and not back[-1].has_previous
    assert all(p.count == 23 and not p.count_capped for p in pages)


def test_a_cursor_that_is_not_ours_gives_the_first_page():
    _accounts(12)
    fields = [("name", False), ("pk", False)]
    first = keyset_page(Account.objects.all(), fields, page_size=5)
    for bad in ("%%%", "bm90IGpzb24", encode_cursor(["a"]), encode_cursor([True, 1])):
        page = keyset_page(Account.objects.all(), fields, after=bad, number=7, page_size=5)
        assert [a.pk for a in page] == [a.pk for a in first] and page.number == 1
    assert decode_cursor(encode_cursor(["Same 1", 4]), 2) == ["Same 1", 4]


def test_capped_count_and_offset_pages():
    _accounts(23)
    qs = Account.objects.order_by("account_id")
    assert capped_count(qs, cap=30) == (23, False)
    assert capped_count(qs, cap=10) == (10, True)
    page = offset_page(qs, 3, page_size=10)
    assert [a.account_id for a in page] == ["T020", "T021", "T022"]
    assert page.has_previous and not page.has_next and page.num_pages == 3
    # Past the end: the last page; not a number: the first.
    assert offset_page(qs, 99, page_size=10).number == 3
    assert offset_page(qs, "x", page_size=10).number == 1
    assert offset_page(qs, 1, page_size=10).count_label == "23"
    capped = keyset_page(Account.objects.all(), [("name", False), ("pk", False)])
    capped.count, capped.count_capped = 10_000, True
    assert capped.count_label == "10,000"


@pytest.mark.parametrize(
    "url, where",
    [
        ("/accounts/?industry=retail&sort=-name", {"industry": "retail"}),
        # A search with few matches pages over their ids (views._few_matches).
        ("/accounts/?q=twin&sort=-name", {"name": "Twin"}),
    ],
)
def test_the_list_pages_by_links_without_repeating_or_skipping(programme, login, url, where):
    Account.objects.bulk_create(
        Account(account_id=f"Z{i:03d}", name="Twin", industry="retail", region="EMEA")
        for i in range(120)
    )
    client = login(programme["users"]["Vera"])
    expected = list(
        Account.objects.filter(**where)
        .order_by("-name", "-pk")
        .values_list("account_id", flat=True)
    )
    seen, numbers, start = [], [], url
    while url:
        html = client.get(url).content.decode()
        seen += re.findall(r'<span class="mono muted small">([^<]+)</span>', html)
        numbers.append(re.search(r"page (\d+) of (\d+)", html).groups())
        nxt = re.search(r'<a class="btn" href="([^"]+)"[^>]*>Next', html)
        url = "/accounts/" + unescape(nxt.group(1)) if nxt else None
    assert seen == expected and len(seen) == len(set(seen))
    n = len(expected)
    pages = -(-n // 50)
    assert numbers == [(str(i), str(pages)) for i in range(1, pages + 1)]
    # A typed page number still works (by offset).
    html = client.get(start + "&page=2").content.decode()
    assert re.findall(r'<span class="mono muted small">([^<]+)</span>', html) == expected[50:100]


def test_a_search_is_counted_by_the_read_that_found_it(programme, login, monkeypatch):
    """Few matches: counted exactly by the read of their ids; more than FEW_MATCHES: "more
    than" that many, with no count query on any page of the search, and its pages still
    hold every match once (Next links), in order."""
    from django.test.utils import CaptureQueriesContext

    from openkam.web.accounts import views

    monkeypatch.setattr(views, "FEW_MATCHES", 30)
    Account.objects.bulk_create(
        Account(account_id=f"Z{i:03d}", name=f"Twin {i:03d}", industry="retail", region="EMEA")
        for i in range(75)
    )
    client = login(programme["users"]["Vera"])

    def counts(html_queries):
        return [q["sql"] for q in html_queries if "COUNT(" in q["sql"].upper()]

    with CaptureQueriesContext(connection) as few:
        html = client.get("/accounts/?q=twin 01").content.decode()
    # Twin 010 … Twin 019: ten matches.
    assert "10 accounts" in html and not counts(few.captured_queries)

    expected = [f"Z{i:03d}" for i in range(75)]
    url, seen, labels = "/accounts/?q=twin&sort=name", [], []
    while url:
        with CaptureQueriesContext(connection) as many:
            html = client.get(url).content.decode()
        assert not counts(many.captured_queries)
        seen += re.findall(r'<span class="mono muted small">([^<]+)</span>', html)
        label = re.search(r"More than (\d+) accounts match: add words [^·]+· page (\d+)", html)
        labels.append(label.groups())
        nxt = re.search(r'<a class="btn" href="([^"]+)"[^>]*>Next', html)
        url = "/accounts/" + unescape(nxt.group(1)) if nxt else None
    assert seen == expected
    assert labels == [("30", "1"), ("30", "2")]
    # A typed page of a money sort is found the same way, without a count.
    with CaptureQueriesContext(connection) as typed:
        html = client.get("/accounts/?q=twin&sort=-contribution&page=2").content.decode()
    assert "narrow the search · page 2" in html and not counts(typed.captured_queries)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only"
)
def test_search_is_the_same_with_and_without_the_trigram_index():
    from openkam.web.accounts.filtersets import AccountFilterSet

    Account.objects.bulk_create(
        Account(
            account_id=f"ACC-{i:05d}",
            name=f"{['Acme', 'Borealis', 'Cirrus', 'Dürer'][i % 4]} Trading {i}",
            industry="food",
            region="EMEA",
        )
        for i in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("select indexname from pg_indexes where indexname like '%trgm'")
        assert {r[0] for r in cursor.fetchall()} == {
            "accounts_account_name_trgm",
            "accounts_account_id_trgm",
        }
    searches = ["acme", "TRADING 1", "c-0012", "dÜr", "e", "no such", "%", "_"]

    def results():
        return {
            q: list(
                AccountFilterSet({"q": q}, queryset=Account.objects.all())
                .qs.order_by("pk")
                .values_list("account_id", flat=True)
            )
            for q in searches
        }

    with connection.cursor() as cursor:
        cursor.execute("set enable_seqscan = off")  # the index is used where it can be
        with_index = results()
        cursor.execute("set enable_seqscan = on")
        cursor.execute("drop index accounts_account_name_trgm")
        cursor.execute("drop index accounts_account_id_trgm")
    without = results()
    assert with_index == without
    assert len(without["acme"]) == 100 and without["no such"] == [] and without["%"] == []
