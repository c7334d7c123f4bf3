"""An import killed mid-way is completed or marked, and always audited (issue 18, part 5).

A kill is simulated by an exception at the moment named, with the clean-up a killed
process would not run switched off where the test says so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from openkam.cli import app
from openkam.store import ledger
from openkam.web.accounts.models import Account, Product
from openkam.web.core.models import AuditEvent
from openkam.web.ingest import interrupted_imports, record_pending_imports, run_import

HEADER = "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,discount_amount,cogs_amount\n"


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so no handler of the import catches it."""


@pytest.fixture
def data(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    Account.objects.create(account_id="A1", name="Acme", industry="food", region="EMEA")
    Product.objects.create(product_id="P1", name="Bolt", product_line="bolts")
    (tmp_path / "first.csv").write_text(
        HEADER + "I1,1,2024-01-05,A1,P1,10,1.00,0,5\nI2,1,2024-01-06,A1,P1,1,1.00,0,1\n"
    )
    # A correction of I1 (quantity 10 -> 12) and a new invoice I3.
    (tmp_path / "fix.csv").write_text(
        HEADER + "I1,1,2024-01-05,A1,P1,12,1.00,0,6\nI3,1,2024-01-07,A1,P1,2,1.00,0,1\n"
    )
    return tmp_path


def release_killed_locks() -> None:
    """What the OS does for a killed process: its open files, and their locks, are closed."""
    for handle in ledger._held.values():
        handle.close()
    ledger._held.clear()


def ledger_rows(data_dir) -> dict:
    parts = ledger.part_files(ledger.table_dir(data_dir, "invoices"))
    rows = [r for p in parts for r in pq.read_table(p).to_pylist()]
    return {r["invoice_id"]: str(r["quantity"]) for r in rows}


def test_an_import_killed_before_its_audit_entry_is_recorded_at_the_next_start(
    data, settings, monkeypatch
):
    def kill(*args, **kwargs):
        raise Killed

    monkeypatch.setattr("openkam.web.ingest._audit_import", kill)
    with pytest.raises(Killed):
        run_import("invoices", [data / "first.csv"], actor="cli")
    assert ledger_rows(settings.DATA_DIR) == {"I1": "10.000", "I2": "1.000"}
    assert not AuditEvent.objects.filter(action="import").exists()
    monkeypatch.undo()
    # While its import still runs (it holds the entry), nobody else records it: no double.
    assert record_pending_imports() == 0
    release_killed_locks()
    # The next start records it once, saying it was recorded late.
    assert record_pending_imports() == 1
    assert record_pending_imports() == 0
    (event,) = AuditEvent.objects.filter(action="import")
    assert event.changes["rows_added"] == 2 and event.changes["recorded_late"] is True
    assert (
        "recorded at start-up" in event.message and event.object_repr == "invoices from first.csv"
    )


def test_a_correction_killed_between_its_renames_is_completed_at_the_next_start(
    data, settings, monkeypatch
):
    run_import("invoices", [data / "first.csv"])
    real_replace = os.replace
    calls = []

    def replace_then_die(src, dst):
        if str(dst).endswith(".parquet"):
            calls.append(dst)
        if len(calls) == 2:  # the rewrite is done; the new part is not
            raise Killed
        return real_replace(src, dst)

    monkeypatch.setattr("openkam.store.ledger.os.replace", replace_then_die)
    # A killed process runs no clean-up: its staged files stay.
    monkeypatch.setattr("openkam.store.importer.shutil.rmtree", lambda *a, **k: None)
    with pytest.raises(Killed):
        run_import("invoices", [data / "fix.csv"], replace=True)
    monkeypatch.undo()
    # I1's old version is gone and its correction not yet in: missing, never doubled.
    assert ledger_rows(settings.DATA_DIR) == {"I2": "1.000"}
    assert record_pending_imports() == 1
    assert ledger_rows(settings.DATA_DIR) == {"I1": "12.000", "I2": "1.000", "I3": "2.000"}
    assert interrupted_imports() == []


def test_a_correction_that_cannot_be_completed_is_marked_until_it_is_run_again(
    data, settings, monkeypatch
):
    run_import("invoices", [data / "first.csv"])
    real_replace = os.replace
    calls = []

    def replace_then_die(src, dst):
        if str(dst).endswith(".parquet"):
            calls.append(dst)
        if len(calls) == 2:
            raise Killed
        return real_replace(src, dst)

    monkeypatch.setattr("openkam.store.ledger.os.replace", replace_then_die)
    with pytest.raises(Killed):
        run_import("invoices", [data / "fix.csv"], replace=True)
    monkeypatch.undo()
    # Here the staged files were lost (the clean-up ran): the correction cannot be finished.
    record_pending_imports()
    (marked,) = interrupted_imports()
    assert marked["kind"] == "invoices" and marked["files"] == "fix.csv"
    status = CliRunner().invoke(app, ["status"])
    assert "was interrupted" in " ".join(status.output.split())
    # Running the same correction again completes it and clears the mark.
    run_import("invoices", [data / "fix.csv"], replace=True)
    assert ledger_rows(settings.DATA_DIR) == {"I1": "12.000", "I2": "1.000", "I3": "2.000"}
    assert interrupted_imports() == []


def test_the_import_page_shows_an_interrupted_correction(data, settings, monkeypatch, client):
    from django.contrib.auth import get_user_model

    run_import("invoices", [data / "first.csv"])
    real_replace = os.replace
    calls = []

    def replace_then_die(src, dst):
        if str(dst).endswith(".parquet"):
            calls.append(dst)
        if len(calls) == 2:
            raise Killed
        return real_replace(src, dst)

    monkeypatch.setattr("openkam.store.ledger.os.replace", replace_then_die)
    with pytest.raises(Killed):
        run_import("invoices", [data / "fix.csv"], replace=True)
    monkeypatch.undo()
    shutil.rmtree(Path(settings.DATA_DIR) / "ledger" / ".staging", ignore_errors=True)
    user = get_user_model().objects.create_user("viewer", password="pw")
    client.force_login(user)
    page = client.get("/import/").content.decode()
    assert "Incomplete correction" in page and "fix.csv" in page
