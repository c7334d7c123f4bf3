"""`openkam backup` and `openkam restore`: a round trip gives the same numbers (issue 18)."""

from __future__ import annotations

import json
import tarfile

import pytest
from django.core.management import call_command
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Account
from openkam.web.backup import BackupError, backup, restore
from openkam.web.core.models import AuditEvent
from openkam.web.lifetime_value.figures import clv_by_account

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def results() -> dict:
    """What a manager decides on: the P&L per account, the CLVs, the recommended portfolio."""
    return {
        "profitability": json.loads(invoke("profitability", "--json").stdout),
        "clv": {k: str(v) for k, v in clv_by_account().items()},
        "selection": json.loads(invoke("select", "--json").stdout),
        "accounts": sorted(Account.objects.values_list("account_id", "key_status", "version")),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.slow
def test_restore_gives_identical_profitability_lifetime_value_and_selection(
    transactional_db, tmp_path, settings
):
    # transactional_db: the restore runs in its own transactions, as on a real server.
    first = tmp_path / "first"
    settings.DATA_DIR = first
    invoke("demo", "--no-serve", "--accounts", "50", "--lines", "10000", "--data-dir", first)
    before = results()
    assert before["clv"] and before["profitability"]
    invoke("backup", tmp_path / "openkam.tar", "--data-dir", first)
    # Given: a new machine, with an empty database and an empty data directory.
    call_command("flush", interactive=False, verbosity=0)
    second = tmp_path / "second"
    settings.DATA_DIR = second
    restored = invoke("restore", tmp_path / "openkam.tar", "--data-dir", second)
    assert "restored the backup" in restored.output
    after = results()
    assert after == before


def test_a_backup_holds_a_checked_copy_of_every_ledger_file(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    (tmp_path / "data" / "ledger" / "invoices").mkdir(parents=True)
    (tmp_path / "data" / "ledger" / "invoices" / "part-1.parquet").write_bytes(b"PAR1 fake")
    (tmp_path / "data" / "ledger" / ".staging" / "x").mkdir(parents=True)
    (tmp_path / "data" / "ledger" / ".staging" / "x" / "y.parquet").write_bytes(b"partial")
    manifest = backup(tmp_path / "b.tar")
    # The staging folder of a running import is not part of the ledger.
    assert list(manifest["ledger"]) == ["invoices/part-1.parquet"]
    with tarfile.open(tmp_path / "b.tar") as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json" and "ledger/invoices/part-1.parquet" in names
    assert not list(tmp_path.glob("data/ledger/.backup-*"))  # the snapshot links are gone


def test_restore_refuses_a_target_with_data_and_a_damaged_file(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    (tmp_path / "data" / "ledger" / "invoices").mkdir(parents=True)
    (tmp_path / "data" / "ledger" / "invoices" / "part-1.parquet").write_bytes(b"PAR1 fake")
    backup(tmp_path / "b.tar")
    with pytest.raises(BackupError, match="already has a ledger"):
        restore(tmp_path / "b.tar")
    # A backup whose ledger file was altered is refused, and nothing is restored.
    with tarfile.open(tmp_path / "b.tar") as tar, tarfile.open(tmp_path / "bad.tar", "w") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.endswith(".parquet"):
                data = data.replace(b"fake", b"FAKE")
            out.addfile(member, __import__("io").BytesIO(data))
    settings.DATA_DIR = tmp_path / "empty"
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore(tmp_path / "bad.tar")
    assert not (tmp_path / "empty" / "ledger" / "invoices").exists()
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(BackupError, match="cannot be read as a backup"):
        restore(tmp_path / "junk.tar")
