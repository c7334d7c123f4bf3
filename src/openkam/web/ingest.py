"""Imports as the CLI and the web app run them: validate with the store, then load.

Ledger kinds go to Parquet through ``openkam.store``; reference kinds are validated by the
store and upserted into the database by ``openkam.web.reference``. Either way an import is
all or nothing, and its summary lands in the audit trail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from openkam.engine.schema import KINDS
from openkam.web import reference
from openkam.web.core.models import AuditEvent

logger = logging.getLogger(__name__)


def run_import(
    kind: str,
    paths: list[Path],
    *,
    user=None,
    actor: str = "cli",
    replace: bool = False,
    progress: Callable[[int, float], None] | None = None,
) -> dict:
    """Import ``paths`` as one all-or-nothing import of ``kind``; returns the counts.

    ``progress(rows_done, fraction_of_bytes)`` is called as the files are read.

    Raises ``openkam.store.ImportFailed`` carrying every problem found (file, row, column,
    reason) when anything is wrong; nothing is loaded then.
    """
    from openkam import store

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    try:
        return _run_import(kind, paths, user=user, actor=actor, replace=replace, progress=progress)
    except store.ImportFailed:
        raise
    except Exception as exc:
        # The last safety net: whatever a file does to a reader, the user gets a message
        # (the CLI, the Import page and the API all show ImportFailed), never a traceback;
        # the operator gets the traceback in the log.
        from openkam.store.importer import disk_full, disk_full_failure

        if disk_full(exc) or "database or disk is full" in str(exc):
            raise disk_full_failure([Path(p).name for p in paths], settings.DATA_DIR) from None
        logger.exception("import of %s from %s failed", kind, [str(p) for p in paths])
        names = ", ".join(Path(p).name for p in paths)
        issue = store.ImportIssue(
            names,
            None,
            None,
            f"could not be imported: the import stopped on an unexpected error "
            f"({type(exc).__name__}: {str(exc)[:200]}); nothing was imported. "
            "The server log has the details",
        )
        raise store.ImportFailed([issue], 1) from None


def _run_import(kind, paths, *, user, actor, replace, progress) -> dict:
    from openkam import store

    known = reference.known_keys()
    data_dir = Path(settings.DATA_DIR)

    def report(rows_done: int, bytes_done: int, bytes_total: int) -> None:
        if progress:
            progress(rows_done, bytes_total and bytes_done / bytes_total)

    if KINDS[kind].home == "ledger":
        outcome = store.import_ledger(
            kind, paths, data_dir, known, replace=replace, progress=report
        )
        result = {
            "kind": kind,
            "rows_read": outcome.rows_read,
            "rows_added": outcome.rows_added,
            "rows_unchanged": outcome.rows_unchanged,
            "rows_replaced": outcome.rows_replaced,
            "warnings": [str(w) for w in outcome.issues],
        }
    else:
        validated = store.validate_import(kind, paths, known, data_dir=data_dir, progress=report)
        validated.raise_for_issues()
        upserted = reference.upsert(
            kind,
            validated.table.to_pylist(),
            user=user,
            actor=actor,
            columns=set(validated.columns_present),
        )
        result = {"rows_read": validated.rows_read, **upserted.as_dict()}
        result["warnings"] = [str(w) for w in validated.warnings]
    names = ", ".join(Path(p).name for p in paths)
    AuditEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        object_repr=f"{kind} from {names}"[:200],
        changes=result,
        message=f"imported {kind} from {names}",
    )
    return result


def status_counts() -> dict[str, int]:
    """Records of each kind, keyed by the import kind names."""
    from openkam import store
    from openkam.web.accounts.models import Account, Contact, Product
    from openkam.web.people.models import Person
    from openkam.web.relationships.models import Relationship

    counts = {
        "relationships": Relationship.objects.count(),
        "accounts": Account.objects.count(),
        "products": Product.objects.count(),
        "contacts": Contact.objects.count(),
        "people": Person.objects.count(),
    }
    counts.update(store.ledger_counts(Path(settings.DATA_DIR)))
    return {kind: counts.get(kind, 0) for kind in KINDS}
