"""Keys, references and the organisation of the small demo, checked with plain SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from openkam.engine.synth import catalog

KEYS = {
    "invoices": "invoice_id, line_no",
    "rebates": "rebate_id",
    "activities": "activity_id",
    "cost_pools": "pool, period_start",
    "accounts": "account_id",
    "products": "product_id",
    "contacts": "contact_id",
    "people": "person_id",
    "assignments": "account_id, person_id, role",
}


@pytest.mark.parametrize("table", sorted(KEYS))
def test_keys_are_unique(one, table):
    key = KEYS[table]
    assert (
        one(f"select count(*) from (select {key} from {table} group by all having count(*) > 1)")
        == 0
    )


@pytest.mark.parametrize(
    "child, column, parent, key",
    [
        ("invoices", "account_id", "accounts", "account_id"),
        ("invoices", "product_id", "products", "product_id"),
        ("rebates", "account_id", "accounts", "account_id"),
        ("activities", "account_id", "accounts", "account_id"),
        ("activities", "pool", "cost_pools", "pool"),
        ("contacts", "account_id", "accounts", "account_id"),
        ("accounts", "parent_account_id", "accounts", "account_id"),
        ("assignments", "account_id", "accounts", "account_id"),
        ("assignments", "person_id", "people", "person_id"),
        ("contact_details", "contact_id", "contacts", "contact_id"),
        ("contact_details", "owner_person_id", "people", "person_id"),
    ],
)
def test_references_resolve(one, child, column, parent, key):
    assert (
        one(
            f"select count(*) from {child} c where c.{column} is not null"
            f" and c.{column} not in (select {key} from {parent})"
        )
        == 0
    )


def test_every_activity_falls_in_a_period_of_its_pool(one):
    assert (
        one(
            """select count(*) from activities a where not exists (
             select 1 from cost_pools p where p.pool = a.pool
             and a.activity_date between p.period_start and p.period_end)"""
        )
        == 0
    )


def test_pool_periods_are_the_calendar_months_without_gaps(one):
    # 2023-01-01 .. 2025-12-31 in months: each pool covers 1,096 days exactly once.
    assert one("select count(distinct pool) from cost_pools") == 10
    assert (
        one(
            "select count(*) from (select pool, sum(period_end - period_start + 1) d from cost_pools"
            " group by pool having d <> 1096)"
        )
        == 0
    )


def test_driver_units_are_the_catalogue_units(sql):
    rows = sql.execute("select distinct pool, driver_unit from cost_pools order by pool").fetchall()
    assert rows == sorted((p.name, p.driver_unit) for p in catalog.POOLS)


def test_contacts_report_within_their_own_account(one):
    assert (
        one(
            """select count(*) from contacts c join contacts b on c.reports_to_contact_id = b.contact_id
           where c.account_id <> b.account_id"""
        )
        == 0
    )
    assert one("select count(*) from contacts where reports_to_contact_id is not null") > 0
    # Every account has exactly one top contact.
    assert (
        one(
            "select count(*) from (select account_id from contacts where reports_to_contact_id is null"
            " group by 1 having count(*) <> 1)"
        )
        == 0
    )


def _walk_to_root(parent_of: dict[str, str | None]) -> int:
    """Depth of the deepest chain; raises if a chain revisits an id (a cycle)."""
    deepest = 0
    for start in parent_of:
        seen, node = set(), start
        while node is not None:
            assert node not in seen, f"cycle through {node}"
            seen.add(node)
            node = parent_of.get(node)
        deepest = max(deepest, len(seen))
    return deepest


def test_hierarchies_are_acyclic(sql):
    accounts = dict(sql.execute("select account_id, parent_account_id from accounts").fetchall())
    assert 2 <= _walk_to_root(accounts) <= 4
    contacts = dict(
        sql.execute("select contact_id, reports_to_contact_id from contacts").fetchall()
    )
    assert _walk_to_root(contacts) >= 3


def test_subsidiaries_are_five_to_ten_percent_in_groups_of_two_to_six(sql, one):
    n = one("select count(*) from accounts")
    subs = one("select count(*) from accounts where parent_account_id is not null")
    assert 0.05 * n <= subs <= 0.10 * n
    # Group = all descendants of a top-level parent.
    sizes = sql.execute(
        """with recursive tree(top, id) as (
             select account_id, account_id from accounts where parent_account_id is null
             union all
             select t.top, a.account_id from accounts a join tree t on a.parent_account_id = t.id)
           select count(*) - 1 from tree group by top having count(*) > 1"""
    ).fetchall()
    assert sizes and all(2 <= s <= 6 for (s,) in sizes)


def test_accounts_span_industries_regions_and_countries(one):
    assert one("select count(distinct industry) from accounts") == len(catalog.INDUSTRIES)
    assert (
        one("select string_agg(distinct region, ',' order by region) from accounts")
        == "APAC,Americas,EMEA"
    )
    assert one("select count(distinct country) from accounts") >= 12
    assert one("select count(distinct name) from accounts") == one("select count(*) from accounts")


def test_products_lines_and_prices(sql, one):
    assert 200 <= one("select count(*) from products") <= 400
    assert one("select count(distinct product_line) from products") == 8
    # COGS ratio (cost / list value) differs by line: Fasteners & Packaging vs Filtration.
    ratios = dict(
        sql.execute(
            """select p.product_line, sum(i.cogs_amount) / sum(i.quantity * i.unit_list_price)
               from invoices i join products p using (product_id) where i.quantity > 0 group by 1"""
        ).fetchall()
    )
    assert max(ratios.values()) - min(ratios.values()) > 0.1
    assert all(0.3 < float(r) < 0.8 for r in ratios.values())


def test_dates_stay_in_the_window_and_payments_after_invoicing(one):
    assert one("select min(invoice_date) from invoices") >= dt.date(2023, 1, 1)
    assert one("select max(invoice_date) from invoices") <= dt.date(2025, 12, 31)
    assert one("select count(*) from invoices where due_date < invoice_date") == 0
    assert one("select count(*) from invoices where paid_date < invoice_date") == 0
    assert one("select max(paid_date) from invoices") <= dt.date(2025, 12, 31)
    # Invoices still open at the end of the window have no paid date.
    assert one("select count(*) from invoices where paid_date is null") > 0
    assert one("select count(*) from invoices where business_unit is null") == 0


def test_people_roles_and_program(sql, one):
    roles = dict(sql.execute("select role, count(*) from people group by 1").fetchall())
    assert 15 <= sum(roles.values()) <= 40
    assert roles["champion"] == 1
    for role in (
        "admin",
        "kam",
        "sponsor",
        "viewer",
        "operations",
        "supply_chain",
        "finance",
        "customer_service",
    ):
        assert roles.get(role, 0) >= 1, role
    assert one("select count(distinct email) from people") == sum(roles.values())


def test_key_accounts_have_one_kam_and_one_sponsor_within_the_load_limits(sql, one):
    keys = one("select count(distinct account_id) from assignments where role = 'kam'")
    assert 15 <= keys <= 25
    assert one("select count(distinct account_id) from assignments") == keys
    for role in ("kam", "sponsor"):
        assert (
            one(
                f"select count(*) from (select account_id from assignments where role = '{role}'"
                " group by 1 having count(*) <> 1)"
            )
            == 0
        )
    kam_loads = [
        n
        for (n,) in sql.execute(
            "select count(*) from assignments where role='kam' group by person_id"
        ).fetchall()
    ]
    assert all(2 <= n <= 5 for n in kam_loads)
    sponsor_loads = [
        n
        for (n,) in sql.execute(
            "select count(*) from assignments where role='sponsor' group by person_id"
        ).fetchall()
    ]
    assert all(1 <= n <= 2 for n in sponsor_loads)
    # Assignments respect people's roles: a KAM assignment goes to a KAM, and so on.
    assert (
        one(
            """select count(*) from assignments a join people p using (person_id)
           where (a.role = 'kam' and p.role <> 'kam') or (a.role = 'sponsor' and p.role <> 'sponsor')
              or (a.role = 'team' and p.role not in ('operations','supply_chain','finance','customer_service'))"""
        )
        == 0
    )
    assert one("select count(*) from assignments where role = 'team'") >= keys


def test_key_accounts_have_more_contacts(one):
    key_avg = one(
        "select avg(n) from (select account_id, count(*) n from contacts where account_id in"
        " (select account_id from assignments) group by 1)"
    )
    other_avg = one(
        "select avg(n) from (select account_id, count(*) n from contacts where account_id not in"
        " (select account_id from assignments) group by 1)"
    )
    assert key_avg > 2 * other_avg
    assert one("select count(distinct title) from contacts") >= 15
