"""Backup and restore of a whole OpenKAM installation: the database and the Parquet ledger.

A backup is one tar file holding ``manifest.json``, ``database.json.gz`` (every row, as
Django's ``dumpdata`` writes it) and ``ledger/…`` (the part files, byte for byte).

**Consistency while the app runs.** The two halves are taken at one instant:

1. the ledger lock is taken (imports wait; pages and reads do not), the ledger's part files
   are hard-linked into a hidden snapshot folder (instant: part files are never changed in
   place, a correction renames a new file over the old name, so a link keeps the old
   bytes), and a database transaction is opened and its snapshot fixed by a first read;
2. the lock is released; the rows are then dumped from that snapshot, while the app keeps
   writing. PostgreSQL: a ``REPEATABLE READ, READ ONLY`` transaction (one snapshot for
   every query). SQLite: a read transaction on the WAL database, which sees the database
   as of its first read.

An import publishes its ledger files under the lock and writes its audit entry just after;
a backup taken in between holds the import's journal entry, so the restored installation
records the import at its first start. ``dumpdata`` rather than ``pg_dump`` or a file copy:
the same backup restores on SQLite and PostgreSQL alike (a team can move from the embedded
database to a server with it), and it needs no client tools on the server.

**Restore** goes into an empty data directory and an empty database: the schema is
migrated, the rows are loaded (``loaddata``, which also resets PostgreSQL's sequences) and
the ledger files are written and checked against the SHA-256 sums in the manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from openkam.store import ledger

#: Backup format version; a restore refuses a newer one.
FORMAT = 1
#: Rows Django recreates itself (content types, permissions) and login sessions: left out.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ledger_files(root: Path) -> list[Path]:
    """The files a backup keeps: every table's part files and the publication journal."""
    files = []
    if not root.is_dir():
        return files
    for table in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files += ledger.part_files(table)
    journal = root / ledger.JOURNAL
    if journal.is_dir():
        files += sorted(journal.glob("*.json"))
    return files


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextlib.contextmanager
def _snapshot():
    """Hold a database snapshot and a matching hard-linked copy of the ledger.

    Yields the snapshot folder (relative paths as in the ledger). The lock is held only
    while the links are made and the transaction's snapshot is fixed.
    """
    data_dir = Path(settings.DATA_DIR)
    root = ledger.ledger_root(data_dir)
    snap = root / f".backup-{uuid.uuid4().hex}"
    lock = ledger.ledger_lock(data_dir)
    lock.__enter__()
    locked = True
    try:
        for f in _ledger_files(root):
            _link_or_copy(f, snap / f.relative_to(root))
        snap.mkdir(parents=True, exist_ok=True)
        # Inside an outer transaction (a test's), its snapshot is the one used.
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql" and outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                # The first read fixes the snapshot (SQLite: the WAL read mark).
                cursor.execute("SELECT count(*) FROM django_migrations")
            lock.__exit__(None, None, None)
            locked = False
            yield snap
    finally:
        if locked:
            lock.__exit__(None, None, None)
        shutil.rmtree(snap, ignore_errors=True)


def _migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(r) for r in cursor.fetchall()]


def backup(target: Path | str, progress=None) -> dict:
    """Write a consistent backup of the installation to ``target`` (a .tar file).

    Safe while the web app and imports run (see the module docstring). The file is written
    beside ``target`` and renamed into place, so a backup interrupted half-way never
    leaves a file that looks complete. Returns the manifest.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="openkam-backup-") as tmp:
        dump = Path(tmp) / "database.json.gz"
        with _snapshot() as snap:
            migrations = _migrations()
            with gzip.open(dump, "wt", encoding="utf-8", compresslevel=6) as out:
                call_command(
                    "dumpdata",
                    natural_foreign=True,
                    exclude=EXCLUDED,
                    stdout=out,
                    verbosity=0,
                )
            files = sorted(p for p in snap.rglob("*") if p.is_file())
            manifest = {
                "format": FORMAT,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": connection.vendor,
                "migrations": migrations,
                "database_sha256": _sha256(dump),
                "ledger": {
                    str(p.relative_to(snap)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
                    for p in files
                },
            }
            with tarfile.open(partial, "w") as tar:
                body = json.dumps(manifest, indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
                tar.add(dump, arcname="database.json.gz")
                for p in files:
                    tar.add(p, arcname=f"ledger/{p.relative_to(snap)}")
                    if progress:
                        progress(p)
    with open(partial, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.extractfile("manifest.json")
        manifest = json.loads(member.read())
    except (KeyError, AttributeError, ValueError):
        raise BackupError("is not an OpenKAM backup (no manifest.json)") from None
    if manifest.get("format", 0) > FORMAT:
        raise BackupError(
            f"was written by a newer OpenKAM (backup format {manifest['format']}); upgrade first"
        )
    return manifest


def _database_is_empty() -> bool:
    from django.contrib.auth import get_user_model

    from openkam.web.accounts.models import Account
    from openkam.web.core.models import AuditEvent

    return not (
        get_user_model().objects.exists() or Account.objects.exists() or AuditEvent.objects.exists()
    )


def restore(source: Path | str) -> dict:
    """Restore a backup into the current (empty) data directory and database.

    Raises ``BackupError`` when the file is not a backup, is damaged (a checksum differs),
    or the target already holds data. Returns the manifest.
    """
    source = Path(source)
    data_dir = Path(settings.DATA_DIR)
    root = ledger.ledger_root(data_dir)
    if _ledger_files(root):
        raise BackupError(
            f"the data directory {data_dir} already has a ledger; restore into a new one"
        )
    if not _database_is_empty():
        raise BackupError("the database already holds data; restore into an empty database")
    try:
        tar = tarfile.open(source, "r")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot be read as a backup ({exc})") from None
    with tar, tempfile.TemporaryDirectory(prefix="openkam-restore-") as tmp:
        manifest = _read_manifest(tar)
        dump = Path(tmp) / "database.json.gz"
        _extract(tar, "database.json.gz", dump, manifest["database_sha256"])
        staged = Path(tmp) / "ledger"
        for name, meta in manifest["ledger"].items():
            rel = Path(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise BackupError(f"names a file outside the ledger ({name})")
            _extract(tar, f"ledger/{name}", staged / rel, meta["sha256"])
        with transaction.atomic():
            # Rows a migration seeded would collide with the backup's: start from none.
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(dump), verbosity=0)
        root.mkdir(parents=True, exist_ok=True)
        for name in manifest["ledger"]:
            dst = root / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staged / name, dst)
    return manifest


def _extract(tar: tarfile.TarFile, name: str, dst: Path, sha256: str) -> None:
    try:
        member = tar.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"is incomplete: {name} is missing")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "wb") as out:
        shutil.copyfileobj(member, out, 1 << 20)
    if _sha256(dst) != sha256:
        raise BackupError(f"is damaged: {name} does not match its checksum")


__all__ = ["FORMAT", "BackupError", "backup", "restore"]
