"""Account plans: versions and comparison, actuals from the ledger, conflicts, exports."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied

from openkam.engine.schema import INVOICES
from openkam.web.accounts.models import Product
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.models import AuditEvent
from openkam.web.planning import exports, services
from openkam.web.planning.actuals import attainment
from openkam.web.planning.alerts import plan_alerts
from openkam.web.planning.document import plan_document
from openkam.web.planning.models import Action, Objective, Plan


@pytest.fixture
def plan(programme):
    return services.plan_for(programme["accounts"]["A1"])


@pytest.fixture
def ledger(settings, tmp_path):
    """Given: four invoice lines of A1 and its subsidiary A3 in 2024, one of A2."""
    settings.DATA_DIR = tmp_path
    folder = tmp_path / "ledger" / "invoices"
    folder.mkdir(parents=True)
    rows = [
        # invoice, line, date, account, product, qty, price, discount, cogs, bu
        ("I1", 1, dt.date(2024, 3, 1), "A1", "P1", "10", "100", "50", "400", "Bakery"),
        ("I2", 1, dt.date(2024, 6, 1), "A1", "P2", "5", "200", "0", "500", "Dairy"),
        ("I3", 1, dt.date(2024, 9, 1), "A3", "P1", "2", "100", "0", "80", "Bakery"),
        ("I4", 1, dt.date(2024, 9, 1), "A2", "P1", "1", "100", "0", "40", None),
    ]
    cols = list(zip(*rows, strict=True))
    # Optional columns (dates, currency) are left empty.
    optional = ("due_date", "paid_date", "currency")
    names = [c.name for c in INVOICES.columns if c.name not in optional]
    arrays = {}
    for name, values in zip(names, cols, strict=True):
        t = INVOICES.column(name).type
        if pa.types.is_decimal(t):
            values = [Decimal(v) for v in values]
        arrays[name] = pa.array(values, t)
    for name in optional:
        if name in {c.name for c in INVOICES.columns}:
            arrays[name] = pa.array([None] * 4, INVOICES.column(name).type)
    table = pa.table({c.name: arrays[c.name] for c in INVOICES.columns})
    pq.write_table(table, folder / "part-0.parquet")
    Product.objects.create(product_id="P1", name="Flour", product_line="Ingredients")
    Product.objects.create(product_id="P2", name="Cultures", product_line="Biotech")
    return tmp_path


def test_every_save_is_a_version_and_versions_compare_field_by_field(programme, plan):
    alice = programme["users"]["Alice"]
    services.update_plan(plan, {"strengths": "Fast delivery"}, plan.version, alice, note="first")
    obj = services.add_part(
        plan, "objectives", {"year": 2024, "metric": "net_sales", "target": Decimal(1000)}, alice
    )
    plan.refresh_from_db()
    services.update_plan(plan, {"strengths": "Fast delivery; R&D"}, plan.version, alice)
    services.update_part(obj, {"target": Decimal(1500)}, obj.version, alice)
    numbers = list(plan.versions.values_list("number", flat=True))
    assert numbers == [4, 3, 2, 1]
    assert plan.versions.get(number=1).note == "first"
    v1, v4 = plan.versions.get(number=1), plan.versions.get(number=4)
    rows = services.compare(v1.content, v4.content)
    strengths = next(r for r in rows if r["field"] == "strengths")
    assert (strengths["old"], strengths["new"]) == ("Fast delivery", "Fast delivery; R&D")
    added = next(r for r in rows if r["section"] == "objectives")
    assert added["change"] == "added" and "1500" in added["new"]
    # Between v2 and v4 the objective existed in both: its target shows as a changed field.
    rows = services.compare(plan.versions.get(number=2).content, v4.content)
    target = next(r for r in rows if r["field"] == "target")
    assert (target["old"], target["new"]) == ("1000.00", "1500.00")
    assert AuditEvent.objects.filter(account_key="A1").count() >= 4


def test_a_save_without_change_writes_no_version(programme, plan):
    alice = programme["users"]["Alice"]
    services.update_plan(plan, {"threats": "Private label"}, plan.version, alice)
    plan.refresh_from_db()
    services.update_plan(plan, {"threats": "Private label"}, plan.version, alice)
    assert plan.versions.count() == 1


def test_concurrent_edits_never_overwrite_silently(programme, plan, login):
    alice, olga = programme["users"]["Alice"], programme["users"]["Olga"]
    start = plan.version
    services.update_plan(plan, {"weaknesses": "Olga's text"}, start, olga)
    with pytest.raises(ConcurrentEditError) as exc:
        services.update_plan(plan, {"weaknesses": "Alice's text"}, start, alice)
    assert exc.value.conflicts["weaknesses"] == ["Olga's text", "Alice's text"]
    plan.refresh_from_db()
    assert plan.weaknesses == "Olga's text"
    # The page shows both values and keeps the user's text for a second save.
    client = login(alice)
    data = {f: "" for f in services.PLAN_FIELDS}
    data.update(
        relationship_stage="basic", review_every_months=3, weaknesses="Alice's text", version=start
    )
    response = client.post("/plans/A1/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this record" in html and "Olga&#x27;s text" in html
    data["version"] = plan.version
    assert client.post("/plans/A1/edit/", data).status_code == 302
    plan.refresh_from_db()
    assert plan.weaknesses == "Alice's text"


def test_permissions_kam_and_team_edit_sponsor_signs_viewer_reads(programme, plan, login):
    users = programme["users"]
    assert plan.editable_by(users["Alice"]) and plan.editable_by(users["Olga"])
    assert not plan.editable_by(users["Bob"]) and not plan.editable_by(users["Vera"])
    assert login(users["Vera"]).get("/plans/A1/").status_code == 200
    assert login(users["Vera"]).get("/plans/A1/edit/").status_code == 403
    services.update_plan(plan, {"strengths": "x"}, plan.version, users["Alice"])
    version = plan.versions.get()
    with pytest.raises(PermissionDenied):
        services.sign_off(version, users["Alice"])
    response = login(users["Sam"]).post(f"/plans/A1/versions/{version.number}/sign/")
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.signed_by == programme["people"]["Sam"] and version.signed_at


def test_attainment_prorates_the_current_year():
    # Hand calculation: 1 July 2025 is day 182 of 365; 1000 × 182/365 = 498.6; 90 % = 448.8.
    today = dt.date(2025, 7, 1)
    assert attainment(Decimal(1000), Decimal(450), 2025, today)["status"] == "on track"
    assert attainment(Decimal(1000), Decimal(440), 2025, today)["status"] == "off track"
    assert attainment(Decimal(1000), Decimal(999), 2024, today)["status"] == "off track"
    assert attainment(Decimal(1000), Decimal(1000), 2024, today)["status"] == "met"
    assert attainment(Decimal(1000), None, 2024, today)["status"] == "no actual"
    # A loss target (a smaller loss) has no percentage. In the current year the slack is a
    # 10 % larger loss: -1000 × 182/365 = -498.6, and -498.6 - 49.9 = -548.5.
    loss = attainment(Decimal(-1000), Decimal(-3000), 2024, today)
    assert (loss["status"], loss["pct"]) == ("off track", None)
    assert attainment(Decimal(-1000), Decimal(-900), 2024, today)["status"] == "met"
    assert attainment(Decimal(-1000), Decimal(-540), 2025, today)["status"] == "on track"
    assert attainment(Decimal(-1000), Decimal(-560), 2025, today)["status"] == "off track"


def test_actuals_fill_in_from_the_ledger_for_the_account_subtree(programme, plan, ledger):
    alice = programme["users"]["Alice"]
    for metric in ("net_sales", "net_contribution", "clv"):
        services.add_part(
            plan, "objectives", {"year": 2024, "metric": metric, "target": Decimal(2000)}, alice
        )
    doc = plan_document(plan, today=dt.date(2025, 2, 1))
    got = {o["objective"].metric: o for o in doc["objectives"]}
    # Hand calculation, A1 + subsidiary A3 (no rebates, no cost-to-serve in this ledger):
    # net sales = 10×100 − 50 + 5×200 + 2×100 = 2150; COGS = 400 + 500 + 80 = 980;
    # net contribution = 2150 − 980 = 1170.
    assert got["net_sales"]["actual"] == Decimal("2150")
    assert got["net_sales"]["status"] == "met"
    assert got["net_contribution"]["actual"] == Decimal("1170")
    assert got["net_contribution"]["status"] == "off track"
    assert got["clv"]["actual"] is None  # no CLV run stored: "not computed"
    # Whitespace: A1+A3 sales by product line × business unit, 12 months to 2024-09-01.
    ws = doc["whitespace"]
    assert ws["units"] == ["Bakery", "Dairy"]
    cells = {
        (r["line"], u): c["current"]
        for r in ws["rows"]
        for u, c in zip(ws["units"], r["cells"], strict=True)
    }
    assert cells[("Ingredients", "Bakery")] == Decimal("1150")  # 1000 − 50 + 200
    assert cells[("Biotech", "Dairy")] == Decimal("1000")


def test_whitespace_gap_is_potential_less_current(programme, plan, ledger):
    alice = programme["users"]["Alice"]
    services.add_part(
        plan,
        "whitespace",
        {"product_line": "Biotech", "business_unit": "Bakery", "potential": Decimal(800)},
        alice,
    )
    services.add_part(
        plan,
        "whitespace",
        {"product_line": "Ingredients", "business_unit": "Bakery", "potential": Decimal(1000)},
        alice,
    )
    ws = plan_document(plan)["whitespace"]
    cells = {
        (r["line"], u): c for r in ws["rows"] for u, c in zip(ws["units"], r["cells"], strict=True)
    }
    assert cells[("Biotech", "Bakery")]["gap"] == Decimal(800)  # nothing sold yet
    assert cells[("Ingredients", "Bakery")]["gap"] == Decimal(0)  # 1150 sold > 1000 potential


def test_alerts_review_overdue_and_overdue_actions(programme, plan):
    alice = programme["users"]["Alice"]
    today = dt.date(2025, 5, 1)
    Plan.objects.filter(pk=plan.pk).update(next_review=dt.date(2025, 4, 1))
    services.add_part(plan, "actions", {"title": "Joint S&OP", "due": dt.date(2025, 4, 15)}, alice)
    services.add_part(
        plan,
        "actions",
        {"title": "Done already", "due": dt.date(2025, 4, 1), "status": Action.Status.DONE},
        alice,
    )
    kinds = [a["kind"] for a in plan_alerts(Plan.objects.all(), today=today)]
    assert kinds == ["review", "action"]
    plan.refresh_from_db()
    services.mark_reviewed(plan, alice, plan.version, today=dt.date(2025, 1, 31))
    plan.refresh_from_db()
    assert plan.next_review == dt.date(2025, 4, 30)  # 31 Jan + 3 months, clamped


def test_home_page_and_overview_show_alerts(programme, plan, login):
    Plan.objects.filter(pk=plan.pk).update(next_review=dt.date(2000, 1, 1))
    html = login(programme["users"]["Alice"]).get("/").content.decode()
    assert "Plans needing attention" in html and "plan review was due" in html
    assert "plan review was due" not in login(programme["users"]["Bob"]).get("/").content.decode()
    html = login(programme["users"]["Chris"]).get("/plans/").content.decode()
    assert "Acme Foods" in html and "plan review was due" in html
    html = login(programme["users"]["Vera"]).get("/accounts/A1/").content.decode()
    assert "Account plan" in html


def test_recent_changes_say_now_for_what_just_happened(programme, plan, login):
    # A change made just now shows "now", where Django's timesince said "0 minutes ago".
    alice = programme["users"]["Alice"]
    services.update_plan(plan, {"strengths": "Own R&D"}, plan.version, alice)
    html = login(alice).get("/").content.decode()
    assert "Recent changes" in html and 'class="when"' in html
    assert "0 minutes ago" not in html and ">now<" in html.replace(" ", "").replace("\n", "")


def _filled(programme, plan):
    alice = programme["users"]["Alice"]
    services.update_plan(
        plan,
        {"market_position": "Number two in chilled desserts", "strengths": "Own R&D"},
        plan.version,
        alice,
    )
    services.add_part(
        plan, "objectives", {"year": 2024, "metric": "net_sales", "target": Decimal(5000)}, alice
    )
    services.add_part(
        plan,
        "value_propositions",
        {"solution": "Vendor-managed inventory", "customer_gain": "cut their inventory 15 %"},
        alice,
    )
    services.add_part(
        plan,
        "actions",
        {
            "title": "Pilot VMI in Iberia",
            "owner": programme["people"]["Olga"],
            "customer_visible": True,
        },
        alice,
    )
    services.add_part(plan, "risks", {"description": "Private label push"}, alice)
    plan.refresh_from_db()
    return plan


def test_exports_hold_the_plan(programme, plan, ledger):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    plan = _filled(programme, plan)
    doc = plan_document(plan)
    md = exports.to_markdown(doc)
    assert "# Key account plan: Acme Foods" in md
    assert "cut their inventory 15 %" in md
    assert "| 2024 | Net sales | 5,000 EUR | 2,150 EUR |" in md
    wb = load_workbook(io.BytesIO(exports.to_xlsx(doc)))
    assert {"Plan", "Objectives", "Actions", "Whitespace"} <= set(wb.sheetnames)
    assert wb["Objectives"]["C2"].value == 5000 and wb["Objectives"]["D2"].value == 2150
    assert wb["Actions"]["A2"].value == "Pilot VMI in Iberia"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(exports.to_pdf(doc))).pages)
    for phrase in ("Acme Foods", "Number two in chilled desserts", "Pilot VMI in Iberia"):
        assert phrase in text
    assert "Net sales: target and actual (EUR)" in text  # the chart's title


def test_export_downloads(programme, plan, login):
    _filled(programme, plan)
    client = login(programme["users"]["Vera"])
    for fmt, start in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("md", b"# Key")):
        response = client.get(f"/plans/A1/export.{fmt}")
        assert response.status_code == 200 and response.content.startswith(start)


def test_mutual_plan_link_shows_only_shared_sections_and_can_be_revoked(programme, plan, client):
    plan = _filled(programme, plan)
    alice = programme["users"]["Alice"]
    services.set_sharing(plan, ["value_propositions", "actions"], alice, plan.version)
    token = services.create_share_link(plan, alice)
    assert len(token) >= 40
    client.logout()
    html = client.get(f"/plans/shared/{token}/").content.decode()
    assert "cut their inventory 15 %" in html and "Pilot VMI in Iberia" in html
    assert "Private label push" not in html  # risks are internal
    assert "Number two in chilled desserts" not in html  # analysis not shared
    services.revoke_share_link(plan, alice)
    assert client.get(f"/plans/shared/{token}/").status_code == 404


def test_objective_unique_per_year_and_metric(programme, plan, login):
    client = login(programme["users"]["Alice"])
    data = {"year": 2025, "metric": "net_sales", "target": "100", "note": ""}
    assert client.post("/plans/A1/objectives/add/", data).status_code == 302
    response = client.post("/plans/A1/objectives/add/", data)
    assert response.status_code == 200 and "already has this objective" in response.content.decode()
    assert Objective.objects.count() == 1


def test_cli_plan_export(programme, plan, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from openkam.cli import app

    _filled(programme, plan)
    monkeypatch.setattr("openkam.cli.plans.setup_django", lambda data_dir: None)
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["plan", "export", "A1", "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Vendor-managed inventory" in out.read_text()
    result = CliRunner().invoke(app, ["plan", "export", "A2", "--format", "md"])
    assert result.exit_code == 1


def test_plan_actuals_are_keyed_by_the_accounts_subsidiaries_at_every_level(programme):
    """The actuals' cache key reads the subsidiaries below the plans' accounts (not the
    whole hierarchy): a new grandchild changes it, an unrelated account does not."""
    from openkam.web.accounts.models import Account
    from openkam.web.planning.actuals import _subsidiaries

    assert _subsidiaries(["A1"]) == [("A3", "A1")]
    a3 = Account.objects.get(account_id="A3")
    Account.objects.create(account_id="A9", name="Plant", industry="food", region="EMEA", parent=a3)
    Account.objects.create(account_id="Z9", name="Other", industry="food", region="EMEA")
    assert _subsidiaries(["A1"]) == [("A3", "A1"), ("A9", "A3")]
    assert _subsidiaries(["Z9"]) == []


def test_plan_actuals_from_the_stored_run_equal_the_engines(
    import_files, recompute_profitability, programme
):
    """With a run computed from this ledger at this rate, the actuals are read from it;
    they equal the engine's own answer (a parent's subsidiaries rolled up), and an import
    since the run sends the actuals back to the engine."""
    from openkam.web.core.ledger import ledger
    from openkam.web.planning.actuals import _stored_figures, _yearly_figures
    from openkam.web.profitability.services import hierarchy, settings_params

    invoices = (
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
        "discount_amount,cogs_amount\n"
    )
    import_files(
        {
            "accounts": "account_id,name,industry,region,parent_account_id\n"
            "L1,Lumen,food,EMEA,\nL2,Lumen Iberia,food,EMEA,L1\nM1,Mistral,food,APAC,\n",
            "products": "product_id,name,product_line\nP1,Widget,widgets\nP2,Gadget,gadgets\n",
            "invoices": invoices + "I1,1,2024-03-01,L1,P1,10,12.50,5.00,60.00\n"
            "I2,1,2024-04-01,L2,P1,4,50,0,80.00\nI3,1,2025-05-01,M1,P2,1,100,10.00,95.00\n",
        }
    )
    recompute_profitability()
    ids, rate = ["L1", "L2", "M1"], settings_params()["cost_of_capital"]
    stored = _stored_figures(ledger(), ids, rate)
    assert stored is not None
    assert stored == _yearly_figures(ledger(), ids, hierarchy(), rate)
    # L1 rolls up L2: invoiced 120.00 + 200.00 = 320.00 in 2024 (no rebates: net sales).
    assert stored[0]["L1"][2024]["net_sales"] == 320
    import_files({"invoices": invoices + "I4,1,2025-06-01,M1,P2,1,5,0,1.00\n"})
    assert _stored_figures(ledger(), ids, rate) is None


def test_objective_targets_show_currency_only_for_amounts(plan, login, programme):
    # Given: a net sales target of 250,000 and a volume target of 1,200 units.
    Objective.objects.create(plan=plan, year=2025, metric="net_sales", target=Decimal(250000))
    Objective.objects.create(plan=plan, year=2025, metric="volume", target=Decimal(1200))
    html = login(programme["users"]["Vera"]).get("/plans/A1/").content.decode()
    section = html[html.index('id="objectives"') :]
    section = section[: section.index("</section>")]
    # Then the amount carries the reporting currency and the units do not.
    assert "250,000 EUR" in section
    assert "1,200" in section and "1,200 EUR" not in section


def test_an_off_track_objective_alert_writes_amounts_with_their_currency(programme, plan, ledger):
    # Given the ledger above: A1 with A3 made a net contribution of 1,170 in 2024 (by hand
    # in test_actuals_fill_in_from_the_ledger_for_the_account_subtree), against 2,000.
    alice = programme["users"]["Alice"]
    services.add_part(
        plan, "objectives", {"year": 2024, "metric": "net_contribution", "target": 2000}, alice
    )
    alerts = plan_alerts(Plan.objects.all(), today=dt.date(2025, 2, 1))
    texts = [a["text"] for a in alerts if a["kind"] == "objective"]
    assert texts == ["Net contribution 2024 off track: 1,170 EUR of 2,000 EUR"]
