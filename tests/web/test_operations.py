"""Operations commitments: the rules, import, API, pages, kept or broken, allocation, CLI.

Roles from the ``programme`` fixture: Alice is A1's KAM (A1 is key, sponsored by Sam), Olga
works in operations and is on A1's team, Bob is A2's KAM (A2 is not key), Chris the
champion, Vera a viewer.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from typer.testing import CliRunner

from openkam.web.accounts.models import Product
from openkam.web.core.models import AuditEvent
from openkam.web.operations import services
from openkam.web.operations.models import Commitment

ORDERS = (
    "order_id,line_no,order_date,account_id,product_id,quantity,requested_date,promised_date\n"
    "SO-1,1,2025-01-02,A1,P1,10,,2025-01-10\n"  # delivered in full on the 9th: OTIF
    "SO-1,2,2025-01-02,A1,P2,5,,2025-01-10\n"  # delivered on the 12th: late
    "SO-2,1,2025-02-01,A1,P1,4,,2025-02-10\n"  # delivered on the 10th: OTIF
    "SO-3,1,2025-02-02,A2,P1,6,,2025-02-12\n"  # delivered on the 11th: OTIF
    "SO-4,1,2025-02-20,A1,P1,10,,2025-03-01\n"  # open
    "SO-5,1,2025-02-15,A2,P1,10,,2025-02-25\n"  # open
)
DELIVERIES = (
    "order_id,line_no,delivery_date,quantity\n"
    "SO-1,1,2025-01-09,10\nSO-1,2,2025-01-12,5\nSO-2,1,2025-02-10,4\nSO-3,1,2025-02-11,6\n"
)
SUPPLY = "product_id,available_date,quantity\nP1,2025-02-20,12\n"


@pytest.fixture
def ledger(programme, import_files):
    """Given: products P1, P2 and the orders, deliveries and supply above (the ledger's last
    order date, 2025-02-20, is the as-of date)."""
    return import_files(
        {
            "products": "product_id,name,product_line\nP1,Gasket,Seals\nP2,O-ring,Seals\n",
            "orders": ORDERS,
            "deliveries": DELIVERIES,
            "supply": SUPPLY,
        }
    )


@pytest.fixture
def api(programme):
    clients = {}

    def as_(name):
        if name not in clients:
            clients[name] = Client()
            clients[name].force_login(programme["users"][name])
        return clients[name]

    return as_


def commitment(programme, **values) -> Commitment:
    base = {
        "account": programme["accounts"]["A1"],
        "kind": Commitment.Kind.OTIF,
        "start_date": dt.date(2025, 1, 1),
        "end_date": dt.date(2025, 12, 31),
        "owner": programme["people"]["Olga"],
        "measure": Commitment.Measure.OTIF_PCT,
        "target": Decimal("95"),
        "review_period": "month",
    }
    base.update(values)
    return services.create_commitment(base, programme["users"]["Chris"])


# --- rules ------------------------------------------------------------------------------------


def test_owner_must_work_in_operations_or_supply_chain(programme):
    with pytest.raises(ValidationError) as caught:
        commitment(programme, owner=programme["people"]["Bob"])
    assert "owner" in caught.value.message_dict
    # A function recorded on the person decides over the role.
    bob = programme["people"]["Bob"]
    bob.function = "supply_chain"
    bob.save()
    assert commitment(programme, owner=bob).owner == bob


def test_commitment_to_a_non_key_account_is_accepted_with_a_warning(programme):
    c = commitment(programme, account=programme["accounts"]["A2"])
    assert "not a key account" in c.warning
    assert AuditEvent.objects.filter(object_repr__contains=c.commitment_id).exists()


def test_priority_needs_a_product_and_a_protected_quantity(programme, ledger):
    with pytest.raises(ValidationError) as caught:
        commitment(programme, kind=Commitment.Kind.PRIORITY_ALLOCATION)
    assert {"product", "protected_quantity"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError):
        commitment(programme, measure="none")  # a target without a measure


def test_who_may_record_and_edit(programme):
    users = programme["users"]
    a1 = programme["accounts"]["A1"]
    assert services.may_create_for(users["Alice"], a1)  # A1's KAM
    assert services.may_create_for(users["Olga"], a1)  # operations
    assert not services.may_create_for(users["Bob"], a1)  # another account's KAM
    assert not services.may_create_for(users["Vera"], a1)  # viewer
    c = commitment(programme)
    with pytest.raises(PermissionDenied):
        services.update_commitment(c, {"target": Decimal("90")}, c.version, users["Bob"])
    services.update_commitment(c, {"target": Decimal("90")}, c.version, users["Olga"])
    c.refresh_from_db()
    assert (c.target, c.version) == (Decimal("90"), 2)


# --- import -----------------------------------------------------------------------------------


def test_commitments_import_is_all_or_nothing_and_idempotent(programme, ledger, tmp_path):
    from openkam.store import ImportFailed
    from openkam.web.ingest import run_import

    header = (
        "account_id,kind,product_id,product_line,protected_quantity,start_date,end_date,"
        "owner,measure,target\n"
    )
    good = tmp_path / "commitments.csv"
    good.write_text(
        header
        + "A1,priority_allocation,P1,,8,2025-01-01,2025-12-31,P-Olga,fill_rate_pct,98\n"
        + "A2,otif,,Seals,,2025-01-01,2025-12-31,P-Olga,otif_pct,95\n"
    )
    result = run_import("commitments", [good])
    assert (result["created"], result["updated"]) == (2, 0)
    assert any("A2" in w or "Borealis" in w for w in result["warnings"])  # not key
    again = run_import("commitments", [good])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + "A1,lead_time,,,,2025-01-01,2025-12-31,P-Olga,avg_lead_time_days,7\n"
        + "A1,otif,,,,2025-01-01,2025-12-31,P-Bob,otif_pct,95\n"  # owner is a KAM (row 3)
        + "A1,speed,,,,2025-01-01,2025-12-31,P-Olga,otif_pct,95\n"  # unknown kind (row 4)
        + "A1,otif,P1,Seals,,2025-01-01,2025-12-31,P-Olga,otif_pct,95\n"  # both (row 5)
    )
    with pytest.raises(ImportFailed) as caught:
        run_import("commitments", [bad])
    where = {(i.row, i.column) for i in caught.value.issues}
    assert where == {(3, "owner"), (4, "kind"), (5, "product_line")}
    assert all(i.file.endswith("bad.csv") for i in caught.value.issues)
    assert Commitment.objects.count() == 2  # the good first row was not loaded either
    # Cell errors are the store's, found before any row is looked at: a date out of order.
    bad.write_text(header + "A1,otif,,,,2025-02-01,2025-01-01,P-Olga,otif_pct,95\n")
    with pytest.raises(ImportFailed) as caught:
        run_import("commitments", [bad])
    assert {(i.row, i.column) for i in caught.value.issues} == {(2, "end_date")}


# --- kept or broken ---------------------------------------------------------------------------


def test_commitment_status_per_period_by_hand(programme, ledger):
    otif = commitment(programme)
    on_p2 = commitment(programme, product=Product.objects.get(product_id="P2"))
    rows = services.commitment_status(["A1"])
    got = {(r["commitment_id"], r["period"]): (r["value"], r["status"]) for r in rows}
    # A1 in January: SO-1/1 on time in full, SO-1/2 late: 1 of 2 = 50 % < 95: broken.
    assert got[otif.commitment_id, "2025-01"] == (50.0, "broken")
    # February (measured to 20 Feb): SO-2/1 on time; SO-4/1 is not due yet: 100 %, kept.
    assert got[otif.commitment_id, "2025-02"] == (100.0, "kept")
    # Only P2: January broken (0 %), February has no line due.
    assert got[on_p2.commitment_id, "2025-01"] == (0.0, "broken")
    assert got[on_p2.commitment_id, "2025-02"] == (None, "no data")
    # One period asked for, at its grain: Q1 = 2 of 3 lines = 66.67 %.
    (q1,) = services.commitment_status(
        ["A1"], "2025-Q1", commitments=Commitment.objects.filter(pk=otif.pk)
    )
    assert (q1["value"], q1["status"], q1["complete"]) == (66.67, "broken", False)


def test_broken_commitments_reach_kam_sponsor_and_owner_home_pages(programme, ledger, api):
    commitment(programme, product=Product.objects.get(product_id="P2"))
    for name in ("Alice", "Sam", "Olga", "Chris"):
        page = api(name).get("/").content.decode()
        assert "Commitments broken" in page, name
        assert "0.0 % against 95.0 % in 2025-01" in page
    assert "Commitments broken" not in api("Bob").get("/").content.decode()


# --- allocation -------------------------------------------------------------------------------


def test_allocation_report_protects_and_counts_the_what_if(programme, ledger):
    commitment(
        programme,
        kind=Commitment.Kind.PRIORITY_ALLOCATION,
        product=Product.objects.get(product_id="P1"),
        protected_quantity=Decimal("8"),
        measure="fill_rate_pct",
        target=Decimal("98"),
    )
    report = services.allocation_report()
    assert report["as_of"] == "2025-02-20"
    lines = {r["order_id"]: r for r in report["lines"]}
    # 12 units of P1 for A1's 10 (8 protected) and A2's 10: A1 takes its 8, the 4 left go
    # pro rata to the remaining 2 and 10: exact 0.67 and 3.33 → 0 and 3, the last unit to
    # A1's larger fraction. A1 9, A2 3. Without the protection: 6 and 6.
    assert (lines["SO-4"]["confirmed_quantity"], lines["SO-5"]["confirmed_quantity"]) == (9, 3)
    assert lines["SO-4"]["rule"].startswith("protected by commitment")
    assert lines["SO-5"]["short_quantity"] == 7
    accounts = {a["account_id"]: a for a in report["accounts"]}
    assert accounts["A2"]["units_lost_to_priority"] == 3
    assert accounts["A1"]["units_lost_to_priority"] == -3
    assert report["totals"]["non_key_units_lost"] == 3
    fcfs = {
        r["order_id"]: r["confirmed_quantity"] for r in services.allocation_report("fcfs")["lines"]
    }
    assert fcfs == {"SO-5": 10, "SO-4": 2}  # A2 ordered first


def test_account_page_shows_open_lines_confirmed_short_and_the_commitment(programme, ledger, api):
    # A planner takes A1's call about SO-4 (10 of P1, promised 1 March, nothing delivered).
    priority = commitment(
        programme,
        kind=Commitment.Kind.PRIORITY_ALLOCATION,
        product=Product.objects.get(product_id="P1"),
        protected_quantity=Decimal("8"),
        measure="fill_rate_pct",
        target=Decimal("98"),
    )
    on_p2 = commitment(programme, product=Product.objects.get(product_id="P2"))
    every = commitment(programme, kind=Commitment.Kind.LEAD_TIME, measure="avg_lead_time_days")
    got = services.account_open_lines(programme["accounts"]["A1"])
    # By hand (as in the allocation test above): A1's only open line SO-4/1 gets 9 of its
    # 10 units on 20 Feb (8 protected, 1 pro rata), 1 short; the P1 priority applies to
    # it, the P2 OTIF commitment does not, the lead time on all products applies to every
    # line. A2's SO-5 is not A1's.
    (line,) = got["lines"]
    assert (line["order_id"], line["line_no"], line["product_id"]) == ("SO-4", 1, "P1")
    assert (line["open_quantity"], line["confirmed_quantity"], line["short_quantity"]) == (
        10,
        9,
        1,
    )
    assert line["confirmed_date"] == "2025-02-20" and line["late"] is False
    assert line["rule"].startswith("protected by commitment")
    assert line["commitments"] == [priority] and got["general"] == [every]
    assert (got["short_lines"], got["short_quantity"]) == (1, 1)
    page = api("Olga").get("/accounts/A1/").content.decode()
    assert "Open order lines" in page and "SO-4 / 1" in page
    assert f'href="/operations/commitments/{priority.commitment_id}/"' in page
    assert on_p2.commitment_id in page  # in the commitments list above, not on the line
    # Bob's A2 is not key and has no commitment: no panel at all.
    assert "Open order lines" not in api("Bob").get("/accounts/A2/").content.decode()


def test_pages_and_exports(programme, ledger, api):
    c = commitment(programme)
    client = api("Alice")
    for url in (
        "/operations/",
        f"/operations/commitments/{c.commitment_id}/",
        "/operations/commitments/new/",
        f"/operations/commitments/{c.commitment_id}/edit/",
        "/operations/service/?period=month&scope=all",
        "/operations/allocation/?show=all",
        "/operations/allocation/?policy=nonsense&as_of=yesterday",
        "/accounts/A1/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    csv = client.get("/operations/allocation/export.csv").content.decode().splitlines()
    assert csv[0].startswith("order_id,line_no,account_id,product_id,open_quantity")
    assert len(csv) == 3
    xlsx = client.get("/operations/allocation/export.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert client.get("/operations/allocation/export.pdf").status_code == 404
    assert api("Vera").get("/operations/commitments/new/").status_code == 403  # a viewer
    assert api("Bob").get(f"/operations/commitments/{c.commitment_id}/edit/").status_code == 403


def test_web_form_creates_with_warning_and_edit_conflict(programme, ledger, api):
    client = api("Olga")
    data = {
        "account": "A2",
        "kind": "lead_time",
        "start_date": "2025-01-01",
        "end_date": "2025-06-30",
        "owner": programme["people"]["Olga"].pk,
        "measure": "avg_lead_time_days",
        "target": "7",
        "review_period": "quarter",
    }
    response = client.post("/operations/commitments/new/", data, follow=True)
    assert response.status_code == 200
    c = Commitment.objects.get(account__account_id="A2")
    assert "not a key account" in response.content.decode()
    edit = f"/operations/commitments/{c.commitment_id}/edit/"
    assert client.post(edit, {**data, "target": "6", "version": 1}).status_code == 302
    stale = client.post(edit, {**data, "target": "5", "version": 1})
    assert "Someone else saved" in stale.content.decode()


def test_plan_shows_commitments_and_exports_them(programme, ledger, api):
    from openkam.web.planning.models import Plan

    Plan.objects.create(account=programme["accounts"]["A1"])
    commitment(programme, description="95 % OTIF every month")
    client = api("Alice")
    page = client.get("/plans/A1/").content.decode()
    assert 'id="commitments"' in page and "95 % OTIF every month" in page
    md = client.get("/plans/A1/export.md").content.decode()
    assert "## Operations commitments" in md
    # The latest measured month, February: 100 % (see test_commitment_status_per_period).
    assert "| On-time-in-full target | all products |" in md and "100 (2025-02) | kept |" in md
    assert client.get("/plans/A1/export.xlsx").status_code == 200
    assert client.get("/plans/A1/export.pdf").status_code == 200


def test_mutual_plan_shows_only_customer_visible_commitments_when_shared(programme, ledger):
    from django.test import Client

    from openkam.web.planning.models import Plan

    plan = Plan.objects.create(
        account=programme["accounts"]["A1"], share_token="tok-1234567890abcdefghij"
    )
    commitment(programme, description="95 % OTIF every month", customer_visible=True)
    commitment(
        programme,
        kind=Commitment.Kind.PRIORITY_ALLOCATION,
        product=Product.objects.get(product_id="P1"),
        protected_quantity=Decimal("8"),
        description="Internal: priority on gaskets",
        measure="fill_rate_pct",
        target=Decimal("98"),
    )
    visitor = Client()
    assert (
        "95 % OTIF every month"
        not in visitor.get("/plans/shared/tok-1234567890abcdefghij/").content.decode()
    )
    plan.shared_sections = ["commitments"]
    plan.save()
    page = visitor.get("/plans/shared/tok-1234567890abcdefghij/").content.decode()
    assert "Our operations commitments to you" in page
    assert "95 % OTIF every month" in page and "100 % in 2025-02" in page
    assert "Internal: priority on gaskets" not in page and "protected" not in page


# --- API ---------------------------------------------------------------------------------------


def test_api_create_update_conflict_and_reports(programme, ledger, api):
    olga = api("Olga")
    body = {
        "account": "A1",
        "kind": "otif",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "owner": "P-Olga",
        "measure": "otif_pct",
        "target": "95",
        "review_period": "month",
    }
    created = olga.post("/api/commitments/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    cid = created.json()["commitment_id"]
    url = f"/api/commitments/{cid}/"
    ok = olga.patch(url, {"target": "90", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = olga.patch(url, {"target": "80", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    bad = olga.post(
        "/api/commitments/", {**body, "owner": "P-Bob"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "owner" in bad.json()
    assert (
        api("Vera").post("/api/commitments/", body, content_type="application/json").status_code
        == 403
    )
    status = olga.get("/api/commitment-status/?account=A1&period=2025-01").json()
    assert status[0]["status"] == "broken"
    assert olga.get("/api/commitment-status/?period=Q5").status_code == 400
    service = olga.get("/api/service-levels/?period=month&account=A1").json()
    assert [r["period"] for r in service["rows"]] == ["2025-01", "2025-02"]
    alloc = olga.get("/api/allocation/?policy=fcfs").json()
    assert alloc["policy"] == "fcfs" and len(alloc["lines"]) == 2
    assert olga.get("/api/allocation/?policy=nope").status_code == 400
    assert olga.get("/api/allocation/?as_of=2025-13-01").status_code == 400
    schema = olga.get("/api/schema/").content.decode()
    assert "/api/allocation/" in schema and "/api/commitments/{commitment_id}/" in schema


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_service_and_allocate_json(programme, ledger):
    from openkam.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["service", "--period", "month", "--account", "A1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert list(rows[0])[:7] == [
        "account_id",
        "period",
        "order_lines",
        "otif_lines",
        "otif_pct",
        "fill_rate_pct",
        "avg_lead_time_days",
    ]
    # January by hand: 2 lines, 1 OTIF; 15 units, 10 by the promise; lead 7 and 10 days.
    assert (rows[0]["otif_pct"], rows[0]["fill_rate_pct"], rows[0]["avg_lead_time_days"]) == (
        50.0,
        66.67,
        8.5,
    )
    result = runner.invoke(app, ["allocate", "--policy", "fcfs", "--as-of", "2025-02-20", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["policy"] == "fcfs" and set(out) >= {"policy", "lines", "accounts"}
    assert list(out["lines"][0]) == [
        "order_id",
        "line_no",
        "account_id",
        "product_id",
        "open_quantity",
        "confirmed_quantity",
        "confirmed_date",
        "short_quantity",
        "rule",
    ]
    bad = runner.invoke(app, ["allocate", "--as-of", "someday"])
    assert bad.exit_code == 2 and "not a date" in bad.output
