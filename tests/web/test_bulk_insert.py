"""``core.bulk.bulk_insert`` writes what the ORM would write, on SQLite and PostgreSQL (the
suite runs again on PostgreSQL in CI, where the rows go through ``COPY``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openkam.web.core.bulk import bulk_insert
from openkam.web.core.models import Computation
from openkam.web.profitability.models import AccountPeriodFigures

MONEY = ("gross_sales", "discounts", "invoiced_sales", "rebates", "net_sales", "cogs")
MONEY += ("gross_margin", "cost_to_serve", "net_contribution")


@pytest.fixture
def run(db):
    return Computation.objects.create(kind="profitability", params={})


def _row(run, key: str, **values) -> dict:
    row = {"computation_id": run.pk, "account_key": key, "period": "2024"}
    row.update({name: Decimal("0.00") for name in MONEY})
    row.update(values)
    return row


def test_rows_read_back_as_the_orm_would_store_them(run):
    rows = [
        # Values of the field's own type (passed as they are) …
        _row(
            run,
            "A",
            gross_sales=Decimal("1234567.89"),
            net_contribution=Decimal("-0.01"),
            rolled_up=True,
            cost_by_pool={"delivery": 12.5, "credit_cost": 0.01},
            contribution_margin_pct=-107.14,
        ),
        # … and values the fields prepare: a decimal as text, nested JSON, defaults.
        _row(
            run,
            "B",
            gross_sales="10.50",
            cost_by_pool={"pools": ["ü", None, {"a": [1, 2.5]}]},
            contribution_margin_pct=None,
        ),
        _row(run, "C", grain="month", period="2024-01", account_key="Café ü ' \" \\ \t x"),
    ]
    rows[2].pop("cost_by_pool", None)  # default: {}
    assert bulk_insert(AccountPeriodFigures, iter(rows)) == 3

    stored = {f.account_key: f for f in AccountPeriodFigures.objects.filter(computation=run)}
    a, b = stored["A"], stored["B"]
    c = stored["Café ü ' \" \\ \t x"]
    assert (a.gross_sales, a.net_contribution, a.rolled_up) == (
        Decimal("1234567.89"),
        Decimal("-0.01"),
        True,
    )
    assert a.cost_by_pool == {"delivery": 12.5, "credit_cost": 0.01}
    assert a.contribution_margin_pct == pytest.approx(-107.14)
    assert (b.gross_sales, b.cost_by_pool, b.contribution_margin_pct) == (
        Decimal("10.50"),
        {"pools": ["ü", None, {"a": [1, 2.5]}]},
        None,
    )
    assert (c.grain, c.period, c.rolled_up, c.cost_by_pool) == ("month", "2024-01", False, {})


def test_many_rows_in_batches(run):
    rows = (_row(run, f"K{i:05d}", net_sales=Decimal(i) / 100) for i in range(12_345))
    assert bulk_insert(AccountPeriodFigures, rows, batch_size=1000) == 12_345
    figures = AccountPeriodFigures.objects.filter(computation=run)
    assert figures.count() == 12_345
    assert figures.get(account_key="K12344").net_sales == Decimal("123.44")


def test_an_import_larger_than_one_in_list_is_asked_in_chunks(import_files, monkeypatch):
    """An accounts file of 100,000 rows put 100,000 parameters in one ``IN`` list, past
    SQLite's 32,766 (the 100k demo failed so): the lookups go in chunks. Chunks of 7 here, so
    that 23 rows (3 full chunks and 2 rows) cross every boundary; a second import of the
    same file, with one name changed, finds every row again."""
    from openkam.web.accounts.models import Account
    from openkam.web.core import bulk

    assert bulk.IN_CHUNK < 32_766
    monkeypatch.setattr(bulk, "IN_CHUNK", 7)
    rows = [f"N{i:03d},Name {i},food,EMEA" for i in range(23)]
    import_files({"accounts": "account_id,name,industry,region\n" + "\n".join(rows) + "\n"})
    assert Account.objects.filter(account_id__startswith="N").count() == 23
    rows[22] = "N022,Renamed,food,EMEA"
    import_files({"accounts": "account_id,name,industry,region\n" + "\n".join(rows) + "\n"})
    assert Account.objects.filter(account_id__startswith="N").count() == 23
    assert Account.objects.get(account_id="N022").name == "Renamed"
    found = bulk.rows_in(Account.objects.all(), "account_id", [f"N{i:03d}" for i in range(23)])
    assert sorted(a.account_id for a in found) == [f"N{i:03d}" for i in range(23)]
