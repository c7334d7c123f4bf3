"""`openkam import` and `openkam status` as a user runs them, on the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from openkam.cli import app
from openkam.engine.schema import KINDS
from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent

runner = CliRunner()


@pytest.fixture
def files(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    (tmp_path / "accounts.csv").write_text(
        "account_id,name,industry,region,parent_account_id\n"
        "A1,Acme Group,food,EMEA,\n"
        "A2,Acme Iberia,food,EMEA,A1\n"  # its parent is an earlier row of the same file
    )
    (tmp_path / "products.csv").write_text("product_id,name,product_line\nP1,Widget,widgets\n")
    (tmp_path / "invoices.csv").write_text(
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,discount_amount,cogs_amount\n"
        "I1,1,2024-01-05,A1,P1,10,12.50,5.00,60.00\n"
        "I1,2,2024-01-05,A2,P1,-1,12.50,0,-6\n"
    )
    (tmp_path / "bad.csv").write_text(
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,discount_amount,cogs_amount\n"
        "I9,1,2024-01-05,NOPE,P1,1,1,0,0\n"
        "I9,2,2024-02-30,A1,P1,x,1,0,0\n"
    )
    return tmp_path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_is_idempotent_and_audited(db, files):
    first = invoke("import", "accounts", files / "accounts.csv", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["created"] == 2
    assert Account.objects.get(account_id="A2").parent.account_id == "A1"
    second = invoke("import", "accounts", files / "accounts.csv", "--json")
    assert json.loads(second.output) | {"warnings": []} == {
        "rows_read": 2,
        "kind": "accounts",
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "warnings": [],
    }
    assert AuditEvent.objects.filter(action="create", account_key="A2").count() == 1
    assert AuditEvent.objects.filter(action="import").count() == 2


def test_ledger_import_and_status(db, files):
    invoke("import", "accounts", files / "accounts.csv")
    invoke("import", "products", files / "products.csv")
    result = invoke("import", "invoices", files / "invoices.csv", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows_added"] == 2
    again = invoke("import", "invoices", files / "invoices.csv", "--json")
    assert json.loads(again.output)["rows_unchanged"] == 2
    status = json.loads(invoke("status", "--json").output)
    # Every import kind is counted; only those imported here have records.
    assert status == {kind: 0 for kind in KINDS} | {"accounts": 2, "products": 1, "invoices": 2}


def test_bad_file_exits_nonzero_names_every_problem_and_loads_nothing(db, files):
    invoke("import", "accounts", files / "accounts.csv")
    invoke("import", "products", files / "products.csv")
    result = invoke("import", "invoices", files / "bad.csv")
    assert result.exit_code == 1
    out = result.output
    assert "nothing was loaded" in out
    assert "bad.csv, row 2, column account_id" in out and "NOPE" in out
    assert "bad.csv, row 3, column invoice_date" in out
    assert "bad.csv, row 3, column quantity" in out
    assert json.loads(invoke("status", "--json").output)["invoices"] == 0


def test_unknown_kind_and_missing_file(db, files):
    assert invoke("import", "widgets", files / "accounts.csv").exit_code == 2
    result = invoke("import", "accounts", files / "nope.csv")
    assert result.exit_code == 2 and "no such file" in result.output


def test_warnings_are_printed_without_json(db, files):
    # An unknown column does not stop the import, but the user is told it was ignored (the
    # plain output once printed only the counts).
    (files / "extra.csv").write_text(
        "account_id,name,industry,region,parent_account_id,colour\nA9,Nine,food,EMEA,,blue\n"
    )
    result = invoke("import", "accounts", files / "extra.csv")
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    assert "warning:" in result.output and "colour" in result.output
    assert "is not a known column; ignored" in result.output


def test_a_hostile_spreadsheet_is_a_message_not_a_crash(db, files):
    # A 5 KB workbook whose one far cell makes a 17-billion-cell grid: refused up front.
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["account_id", "name", "industry", "region"])
    wb.active.append(["A9", "Nine", "food", "EMEA"])
    wb.save(files / "ok.xlsx")
    with zipfile.ZipFile(files / "ok.xlsx") as z, zipfile.ZipFile(files / "far.xlsx", "w") as out:
        for name in z.namelist():
            data = z.read(name)
            if name.startswith("xl/worksheets/"):
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>',
                )
            out.writestr(name, data)
    result = invoke("import", "accounts", files / "far.xlsx")
    assert result.exit_code == 1
    assert "far.xlsx: has cells up to row 1,048,576 and column 16,384" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output
    assert json.loads(invoke("status", "--json").output)["accounts"] == 0
