"""The ledger on disk: ``<data_dir>/ledger/<table>/*.parquet``, and how it changes safely.

A table is the union of its Parquet part files; names starting with '.' are ignored.
Imports stage their files in ``ledger/.staging/`` (same filesystem, so a rename is atomic)
and move them into place only once everything is valid. One import holds an exclusive lock
on the ledger from its first check to its last rename, so two imports cannot both decide
that a key is new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pyarrow.parquet as pq

from openkam.engine.schema import LEDGER_TABLES

STAGING = ".staging"
LOCK = ".lock"


def ledger_root(data_dir: Path | str) -> Path:
    """The ledger folder of a data directory."""
    return Path(data_dir) / "ledger"


def table_dir(data_dir: Path | str, kind: str) -> Path:
    """The folder of a ledger kind's part files (``cost-pools`` lives in ``cost_pools``)."""
    return ledger_root(data_dir) / LEDGER_TABLES[kind]


def part_files(folder: Path | str) -> list[Path]:
    """The part files of a table folder, oldest name first; temporary files excluded."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def ledger_counts(data_dir: Path | str) -> dict[str, int]:
    """Rows per ledger kind, read from Parquet footers only (no data is scanned).

    Returns
    -------
    dict
        ``{"invoices": n, "rebates": n, "activities": n, "cost-pools": n}``; 0 for a kind
        that has no files yet.
    """
    return {
        kind: sum(pq.read_metadata(p).num_rows for p in part_files(table_dir(data_dir, kind)))
        for kind in LEDGER_TABLES
    }


def new_part_name() -> str:
    """A part file name that sorts by creation time and never collides."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"part-{stamp}-{uuid.uuid4().hex[:12]}.parquet"


@contextlib.contextmanager
def ledger_lock(data_dir: Path | str):
    """Hold the ledger's exclusive lock (blocks while another import holds it)."""
    root = ledger_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_staging_dir(data_dir: Path | str, *, clean_stale: bool) -> Path:
    """A fresh staging folder; with ``clean_stale`` (only under the lock) remove leftovers
    of imports that crashed, since no other import can be running."""
    base = ledger_root(data_dir) / STAGING
    if clean_stale and base.is_dir():
        for old in base.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    path = base / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    kind: str,
    data_dir: Path | str,
    new_part: Path | None,
    rewrites: dict[Path, Path | None],
) -> list[Path]:
    """Move staged files into the ledger with atomic renames.

    ``rewrites`` maps an existing part file to its staged replacement (``None``: delete it).
    Rewrites go first: if the process dies between the steps, the corrected rows are missing
    rather than doubled, and running the same import again adds them.
    """
    folder = table_dir(data_dir, kind)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for old, staged in rewrites.items():
        if staged is None:
            old.unlink()
        else:
            _fsync(staged)
            os.replace(staged, old)
            written.append(old)
    if new_part is not None:
        _fsync(new_part)
        target = folder / new_part_name()
        os.replace(new_part, target)
        written.append(target)
    if written or rewrites:
        with contextlib.suppress(OSError):
            _fsync(folder)
    return written


__all__ = [
    "ledger_counts",
    "ledger_lock",
    "ledger_root",
    "new_part_name",
    "part_files",
    "publish",
    "table_dir",
]
