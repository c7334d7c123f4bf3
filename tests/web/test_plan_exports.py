"""Plan exports worth sending: every section in every format, amounts with their currency,
numbers as numbers in the workbook, one heading for the three formats, page numbers."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from openkam.web.planning import exports, services
from openkam.web.planning.document import plan_document
from openkam.web.planning.models import WhitespaceCell

TODAY = dt.date(2025, 7, 1)


@pytest.fixture
def doc(programme, settings, tmp_path):
    """Given: a plan of A1 with one of every part, its actuals read from an empty ledger."""
    settings.DATA_DIR = tmp_path
    settings.OPENKAM_REPORTING_CURRENCY = "CHF"
    alice = programme["users"]["Alice"]
    plan = services.plan_for(programme["accounts"]["A1"])
    services.update_plan(
        plan,
        {"market_position": "Number two in chilled desserts", "share_of_wallet": Decimal("37.5")},
        plan.version,
        alice,
    )
    for kind, values in (
        ("objectives", {"year": 2025, "metric": "net_sales", "target": Decimal("1234567.89")}),
        ("objectives", {"year": 2025, "metric": "net_contribution", "target": Decimal(-90000)}),
        ("value_propositions", {"solution": "Weekly deliveries", "customer_gain": "8 % less"}),
        ("risks", {"description": "Private label push"}),
        ("actions", {"title": "Pilot VMI", "due": dt.date(2025, 6, 1)}),
    ):
        services.add_part(plan, kind, values, alice)
    WhitespaceCell.objects.create(
        plan=plan, product_line="Dairy", business_unit="Plant A", potential=Decimal("50000.5")
    )
    plan.refresh_from_db()
    return plan_document(plan, today=TODAY)


def test_heading_is_built_once_for_every_format(doc):
    head = exports.heading(doc)
    assert ("Amounts in", "CHF") in head["facts"]
    assert ("Account", "Acme Foods (A1)") in head["facts"]
    md = exports.to_markdown(doc)
    pdf = _pdf_text(doc)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(doc)))["Plan"]
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    for label, text in head["facts"]:
        assert f"**{label}:** {text}" in md
        assert text in pdf
        assert cells[label] == text


def test_every_section_is_in_every_format(doc):
    md = exports.to_markdown(doc)
    pdf = _pdf_text(doc)
    wb = load_workbook(io.BytesIO(exports.to_xlsx(doc)))
    for section in (
        "Customer analysis",
        "Our position",
        "Objectives",
        "Value propositions",
        "Whitespace",
        "Risks",
        "Actions",
    ):
        assert f"## {section}" in md
        assert section in pdf
    assert {"Plan", "Objectives", "Value propositions", "Whitespace", "Risks", "Actions"} <= set(
        wb.sheetnames
    )
    for phrase in ("Weekly deliveries", "8 % less", "Private label push", "Pilot VMI", "Dairy"):
        assert phrase in md and phrase in pdf
    assert wb["Value propositions"]["A2"].value == "Weekly deliveries"
    assert wb["Value propositions"]["B2"].value == "8 % less"


def test_amounts_carry_the_currency(doc):
    md = exports.to_markdown(doc)
    # 1,234,567.89 shown whole: 1,234,568 CHF; the loss target keeps its sign.
    assert "| 2025 | Net sales | 1,234,568 CHF |" in md
    assert "-90,000 CHF" in md
    # Amount columns are right-aligned in Markdown.
    assert "|---|---|---:|---:|---:|---|---|" in md
    pdf = _pdf_text(doc)
    # The potential 50,000.50 in whole units, rounded half up once (core.formats): 50,001.
    assert "1,234,568 CHF" in pdf and "50,001 CHF" in pdf


def test_volume_and_service_level_targets_are_not_amounts(doc, programme):
    """A volume target of 1,200 reads "1,200 units" and a service level of 97.5 "97.5 %", in
    every format; only amounts carry the currency."""
    plan = doc["plan"]
    alice = programme["users"]["Alice"]
    services.add_part(plan, "objectives", {"year": 2025, "metric": "volume", "target": 1200}, alice)
    services.add_part(
        plan,
        "objectives",
        {"year": 2025, "metric": "service_level", "target": Decimal("97.5")},
        alice,
    )
    plan.refresh_from_db()
    again = plan_document(plan, today=TODAY)
    md = exports.to_markdown(again)
    assert "| 2025 | Volume (units) | 1,200 units |" in md
    assert "| 2025 | Service level (%) | 97.5 % |" in md
    assert "1,200 CHF" not in md and "98 CHF" not in md
    pdf = _pdf_text(again)
    assert "1,200 units" in pdf and "Volume (units): target and actual (CHF)" not in pdf
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(again)))["Objectives"]
    formats = {row[1].value: row[2].number_format for row in sheet.iter_rows(min_row=2)}
    assert formats["Volume (units)"] == "#,##0"
    assert formats["Service level (%)"] == '0.0 "%"'
    assert formats["Net sales"] == '#,##0 "CHF";-#,##0 "CHF"'


def test_workbook_numbers_are_numbers_with_formats(doc):
    wb = load_workbook(io.BytesIO(exports.to_xlsx(doc)))
    objectives = wb["Objectives"]
    target = objectives["C3"]  # ordered by year, then metric: net_contribution first
    assert target.value == pytest.approx(1234567.89)
    assert target.number_format == '#,##0 "CHF";-#,##0 "CHF"'
    plan = {row[0].value: row[1] for row in wb["Plan"].iter_rows() if row[0].value}
    # 37.5 % share of wallet: the fraction 0.375 shown as a percentage, not "37.5" text.
    assert plan["Share of wallet"].value == pytest.approx(0.375)
    assert plan["Share of wallet"].number_format == "0.0%"
    assert wb["Actions"]["C2"].number_format == "yyyy-mm-dd"
    assert wb["Actions"]["C2"].value.date() == dt.date(2025, 6, 1)
    assert wb["Actions"]["E2"].value == "yes"  # open and due before 2025-07-01
    potential = wb["Whitespace"]["D2"]
    assert potential.value == pytest.approx(50000.5) and "CHF" in potential.number_format
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                # No number hides as text, e.g. "93.4579071455297".
                if isinstance(cell.value, str):
                    assert not re.fullmatch(r"-?[\d,.]+", cell.value), (ws.title, cell.value)


def test_pdf_has_page_numbers(doc):
    data = exports.to_pdf(doc)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {pages}" in page.extract_text()
    assert "Internal — confidential" in reader.pages[0].extract_text()


def test_pdf_logo_slots_take_the_account_and_our_logo(doc, settings, tmp_path):
    from PIL import Image

    assert not PdfReader(io.BytesIO(exports.to_pdf(doc))).pages[0].images
    (tmp_path / "logos").mkdir()
    Image.new("RGB", (120, 60), (200, 30, 30)).save(tmp_path / "logos" / "A1.png")
    ours = tmp_path / "ours.png"
    Image.new("RGB", (120, 60), (30, 30, 200)).save(ours)
    settings.OPENKAM_LOGO = str(ours)
    assert len(PdfReader(io.BytesIO(exports.to_pdf(doc))).pages[0].images) == 2


def test_mutual_plan_export_leaves_internal_sections_out(doc, programme):
    plan = doc["plan"]
    services.set_sharing(plan, ["objectives", "actions"], programme["users"]["Alice"], plan.version)
    shared = plan_document(plan, today=TODAY, shared_only=True)
    md = exports.to_markdown(shared)
    assert "## Risks" not in md and "## Account P&L" not in md and "Signed off" not in md
    assert "Shared with Acme Foods" in md


def _pdf_text(doc) -> str:
    reader = PdfReader(io.BytesIO(exports.to_pdf(doc)))
    return "\n".join(page.extract_text() for page in reader.pages)
