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
import json
import os
import shutil
import uuid
from pathlib import Path

import pyarrow.parquet as pq

from openkam.engine.schema import LEDGER_TABLES

STAGING = ".staging"
LOCK = ".lock"
#: Publications in progress or not yet recorded in the audit trail, one JSON file each.
JOURNAL = ".journal"


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
    of imports that crashed, since no other import can be running. Publications a crash
    left half done are completed first, while their staged files still exist."""
    base = ledger_root(data_dir) / STAGING
    if clean_stale:
        complete_journals(data_dir)
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


def journal_dir(data_dir: Path | str) -> Path:
    """The folder of the ledger's publication journal."""
    return ledger_root(data_dir) / JOURNAL


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        _fsync(path.parent)


def publish(
    kind: str,
    data_dir: Path | str,
    new_part: Path | None,
    rewrites: dict[Path, Path | None],
    *,
    meta: dict | None = None,
) -> tuple[list[Path], str | None]:
    """Move staged files into the ledger with atomic renames, journalled.

    ``rewrites`` maps an existing part file to its staged replacement (``None``: delete it).
    Before the first rename, a journal entry lists every step (and ``meta``, what the
    caller needs to record the import in its audit trail); the entry stays until the
    caller calls :func:`finish_journal` after recording it. A process killed part-way is
    completed by :func:`complete_journals` (run under the lock before any staging folder
    is cleaned), and an entry whose import was completed but never recorded is handed to
    the caller again by :func:`pending_journals`.

    Rewrites go first: if the steps cannot be completed, the corrected rows are missing
    rather than doubled, and the entry is marked ``interrupted`` until an import of the
    same kind with ``replace`` completes.

    Returns ``(files_written, journal_id)``; ``journal_id`` is ``None`` when nothing was
    written.
    """
    folder = table_dir(data_dir, kind)
    folder.mkdir(parents=True, exist_ok=True)
    steps = [[str(staged) if staged else None, str(old)] for old, staged in rewrites.items()]
    target = folder / new_part_name() if new_part is not None else None
    if new_part is not None:
        steps.append([str(new_part), str(target)])
    if not steps:
        return [], None
    for staged, _ in steps:
        if staged:
            _fsync(Path(staged))
    journal_id = uuid.uuid4().hex
    entry = {
        "id": journal_id,
        "kind": kind,
        "state": "publishing",
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "replace": bool(rewrites),
        "steps": steps,
        "meta": meta or {},
    }
    jdir = journal_dir(data_dir)
    jdir.mkdir(parents=True, exist_ok=True)
    _write_json(jdir / f"{journal_id}.json", entry)
    written = _run_steps(steps)
    with contextlib.suppress(OSError):
        _fsync(folder)
    entry["state"] = "published"
    _write_json(jdir / f"{journal_id}.json", entry)
    _hold(jdir / f"{journal_id}.json", journal_id)
    return written, journal_id


#: Journal entries this process is still recording, each locked through an open file:
#: another process or thread sees the entry as taken; a killed process's lock goes with it.
_held: dict[str, object] = {}


def _hold(path: Path, journal_id: str) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    handle = open(path, "rb")  # noqa: SIM115 - kept open until finish_journal
    fcntl.flock(handle, fcntl.LOCK_EX)
    _held[journal_id] = handle


def _taken(path: Path) -> bool:
    """Whether a live import is still recording this entry."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except FileNotFoundError:
        return True  # finished meanwhile
    return False


def _run_steps(steps: list[list[str | None]]) -> list[Path]:
    """Do each rename (or deletion) not done yet; raise ``FileNotFoundError`` when a
    staged file needed by a step that is not done is gone."""
    written = []
    for staged, target in steps:
        target_path = Path(target)
        if staged is None:
            with contextlib.suppress(FileNotFoundError):
                target_path.unlink()
            continue
        if Path(staged).exists():
            os.replace(staged, target_path)
        elif not target_path.exists():
            raise FileNotFoundError(staged)
        written.append(target_path)
    return written


def complete_journals(data_dir: Path | str) -> list[dict]:
    """Finish publications a killed process left half done (call under the ledger lock).

    Each entry in state ``publishing`` has its remaining renames done and becomes
    ``published``; one whose staged files are gone becomes ``interrupted``. Returns the
    entries that are ``interrupted`` after this.
    """
    interrupted = []
    for path, entry in _entries(data_dir):
        if entry.get("state") == "publishing":
            try:
                _run_steps(entry["steps"])
                entry["state"] = "published"
                entry["completed_at_start_up"] = True
            except OSError:
                entry["state"] = "interrupted"
            _write_json(path, entry)
        if entry.get("state") == "interrupted":
            interrupted.append(entry)
    return interrupted


def _entries(data_dir: Path | str) -> list[tuple[Path, dict]]:
    jdir = journal_dir(data_dir)
    if not jdir.is_dir():
        return []
    found = []
    for path in sorted(jdir.glob("*.json")):
        try:
            found.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # a journal file cut off while written: its publication never began
    return found


def pending_journals(data_dir: Path | str) -> list[dict]:
    """Entries whose import is in the ledger but not yet recorded, and whose import is no
    longer running (its process died, or it could not record the import)."""
    return [
        e for path, e in _entries(data_dir) if e.get("state") == "published" and not _taken(path)
    ]


def interrupted_journals(data_dir: Path | str) -> list[dict]:
    """Entries of ``replace`` imports that could not be completed: corrected records are
    missing from the ledger until the same import is run again."""
    return [e for _, e in _entries(data_dir) if e.get("state") == "interrupted"]


def finish_journal(data_dir: Path | str, journal_id: str | None) -> None:
    """Forget a journal entry once its import is recorded."""
    if journal_id:
        with contextlib.suppress(FileNotFoundError):
            (journal_dir(data_dir) / f"{journal_id}.json").unlink()
        handle = _held.pop(journal_id, None)
        if handle is not None:
            handle.close()


def clear_interrupted(data_dir: Path | str, kind: str) -> list[dict]:
    """Forget the interrupted entries of ``kind`` (a ``replace`` import of it completed)."""
    cleared = []
    for path, entry in _entries(data_dir):
        if entry.get("state") == "interrupted" and entry.get("kind") == kind:
            path.unlink(missing_ok=True)
            cleared.append(entry)
    return cleared


__all__ = [
    "clear_interrupted",
    "complete_journals",
    "finish_journal",
    "interrupted_journals",
    "journal_dir",
    "ledger_counts",
    "ledger_lock",
    "ledger_root",
    "new_part_name",
    "part_files",
    "pending_journals",
    "publish",
    "table_dir",
]
