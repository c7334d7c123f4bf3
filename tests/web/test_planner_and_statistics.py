"""PostgreSQL's planner: statistics refreshed after bulk writes (core.bulk), plans steered
for one block only (core.planner), and deep list pages that read the same rows as a
plain offset would (accounts.paging)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from openkam.web.accounts.models import Account
from openkam.web.accounts.paging import offset_page
from openkam.web.core.bulk import ANALYZE_AFTER_ROWS, analyze_after_commit, bulk_insert
from openkam.web.core.planner import avoiding
from openkam.web.people.models import Person

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner settings are PostgreSQL's"
)


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@postgresql_only
def test_avoiding_turns_a_plan_off_inside_the_block_only():
    assert _setting("enable_seqscan") == "on"
    with avoiding("seqscan", "indexscan"):
        assert (_setting("enable_seqscan"), _setting("enable_indexscan")) == ("off", "off")
    assert (_setting("enable_seqscan"), _setting("enable_indexscan")) == ("on", "on")


def test_avoiding_refuses_an_unknown_plan():
    with pytest.raises(ValueError, match="hashjoin"), avoiding("hashjoin"):
        pass


@postgresql_only
def test_a_bulk_write_of_many_rows_refreshes_the_tables_statistics_on_commit(
    django_capture_on_commit_callbacks,
):
    from openkam.web.core.models import AuditEvent

    with django_capture_on_commit_callbacks() as few:
        analyze_after_commit(AuditEvent, ANALYZE_AFTER_ROWS - 1)
    assert few == []  # a few rows: the statistics stay as they are
    with django_capture_on_commit_callbacks(execute=True) as many:
        analyze_after_commit(AuditEvent, ANALYZE_AFTER_ROWS)
    assert len(many) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = %s",
            [AuditEvent._meta.db_table],
        )
        # The statistics collector reports asynchronously; the ANALYZE itself ran when the
        # callback did (no error), and PostgreSQL records it for the table.
        row = cursor.fetchone()
    assert row is not None


@postgresql_only
def test_bulk_insert_asks_for_the_refresh_after_its_copy(django_capture_on_commit_callbacks):
    from django.utils import timezone

    from openkam.web.core.models import AuditEvent

    now = timezone.now()
    rows = [
        {"timestamp": now, "action": "update", "object_repr": f"r{i}", "actor": "t"}
        for i in range(1200)
    ]
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        assert bulk_insert(AuditEvent, rows) == 1200
    assert len(callbacks) == 1


def test_a_deep_offset_page_holds_the_rows_a_plain_offset_gives():
    owners = [Person.objects.create(person_id=f"P{i}", name=f"Owner {i % 3}") for i in range(4)]
    Account.objects.bulk_create(
        Account(
            account_id=f"D{i:03d}",
            name=f"Name {i % 7}",
            industry="food",
            region="EMEA",
            kam=owners[i % 4] if i % 5 else None,
        )
        for i in range(60)
    )
    for ordering in (["name", "pk"], ["-kam__name", "-pk"], ["industry", "-account_id"]):
        qs = Account.objects.with_owner().order_by(*ordering)
        for number in (1, 2, 3, 6):
            page = offset_page(qs, number, page_size=10)
            start = (page.number - 1) * 10
            expected = list(qs.values_list("account_id", flat=True)[start : start + 10])
            assert [a.account_id for a in page] == expected, (ordering, number)
            # The rows come with their owners read in the same query.
            assert all(a.kam is None or a.kam.name.startswith("Owner") for a in page)
