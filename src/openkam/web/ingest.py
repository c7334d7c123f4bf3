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

    names = ", ".join(Path(p).name for p in paths)
    if KINDS[kind].home == "ledger":
        record_pending_imports()
        # What the audit entry needs, journalled with the publication: an import killed
        # after its files are in the ledger is still recorded at the next start.
        meta = {
            "user_id": getattr(user, "pk", None)
            if getattr(user, "is_authenticated", False)
            else None,
            "actor": actor,
            "files": names,
        }
        outcome = store.import_ledger(
            kind,
            paths,
            data_dir,
            known,
            replace=replace,
            progress=report,
            journal_meta=meta,
            keep_journal=True,
        )
        if kind in ("orders", "deliveries") and outcome.files_written:
            _refresh_fulfilment(data_dir)
        result = {
            "kind": kind,
            "rows_read": outcome.rows_read,
            "rows_added": outcome.rows_added,
            "rows_unchanged": outcome.rows_unchanged,
            "rows_replaced": outcome.rows_replaced,
            "warnings": [str(w) for w in outcome.issues],
        }
        try:
            _audit_import(kind, names, result, user=user, actor=actor)
        except Exception:
            # The ledger has the rows: say so, and leave the journal for the next start.
            logger.exception("the audit entry of an import of %s could not be written", kind)
            result["warnings"].append(
                "the import is in the ledger, but its audit entry could not be written "
                "now; it is written when OpenKAM next starts"
            )
            return result
        from openkam.store.ledger import finish_journal

        finish_journal(data_dir, outcome.journal_id)
        _warm_after(kind, result)
        return result
    else:
        validated = store.validate_import(kind, paths, known, data_dir=data_dir, progress=report)
        validated.raise_for_issues()
        if kind == "commitments":
            from openkam.web.operations.services import import_commitments

            upserted = import_commitments(
                validated.table.to_pylist(),
                origins=validated.origins.to_pylist(),
                user=user,
                actor=actor,
            )
        else:
            upserted = reference.upsert(
                kind,
                validated.table.to_pylist(),
                user=user,
                actor=actor,
                columns=set(validated.columns_present),
                origins=validated.origins.to_pylist() if validated.origins is not None else None,
            )
        result = {"rows_read": validated.rows_read, **upserted.as_dict()}
        if kind in ("accounts", "people"):
            from django.core.cache import cache

            from openkam.web.accounts.views import FILTER_CHOICES_KEY

            cache.delete(FILTER_CHOICES_KEY)  # the account list's filters show new values
        result["warnings"] = [str(w) for w in validated.warnings]
        result["warnings"] += getattr(upserted, "warnings", [])
    _audit_import(kind, names, result, user=user, actor=actor)
    _warm_after(kind, result)
    return result


def _refresh_fulfilment(data_dir: Path) -> None:
    """Join the new orders or deliveries once, now, so the service report after the import
    is one scan (openkam.engine.operations.fulfilment). The import is in the ledger
    whatever happens here: a failure only leaves the report to join the ledger itself."""
    from openkam.engine.operations import refresh_fulfilment

    try:
        refresh_fulfilment(data_dir)
    except Exception:
        logger.exception("the fulfilment of the order lines could not be brought up to date")


#: Kinds whose import changes the selection's data criteria (the ledger, the product lines
#: that count a customer's breadth, the account hierarchy that rolls subsidiaries up).
SELECTION_INPUTS = {"products", "accounts"}


def _warm_after(kind: str, result: dict) -> None:
    """Queue the selection criteria's warm-up after an import that changed what they read,
    so the first review after an import is as fast as any other (``portfolio.services.
    warm_selection_criteria``; the task worker runs it, coalesced)."""
    if not getattr(settings, "OPENKAM_WARM_AFTER_IMPORT", True):
        return
    changed = result.get("rows_added") or result.get("rows_replaced")
    if KINDS[kind].home != "ledger":
        changed = kind in SELECTION_INPUTS and (result.get("created") or result.get("updated"))
    if not changed:
        return
    from openkam.web.core.tasks import enqueue_once
    from openkam.web.portfolio.services import warm_selection_criteria

    enqueue_once(warm_selection_criteria)


def _audit_import(kind: str, names: str, result: dict, *, user, actor: str, note: str = ""):
    AuditEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        object_repr=f"{kind} from {names}"[:200],
        changes=result,
        message=f"imported {kind} from {names}{note}",
    )


def record_pending_imports() -> int:
    """Finish and record imports a killed process left in the ledger's journal.

    Run at start-up (``openkam serve``, every import, the Import page): publications
    left half done are completed (or marked interrupted), and each import whose files are
    in the ledger but that has no audit entry gets one, saying it was recorded late.
    Returns how many were recorded.
    """
    from django.contrib.auth import get_user_model

    from openkam.store import ledger

    data_dir = Path(settings.DATA_DIR)
    journal = ledger.journal_dir(data_dir)
    # Nothing journalled (the usual case): no lock, so a page never waits on an import.
    if not journal.is_dir() or not any(journal.glob("*.json")):
        return 0
    if not ledger.pending_journals(data_dir) and not any(
        e.get("state") == "publishing" for e in _journal_entries(data_dir)
    ):
        return 0
    with ledger.ledger_lock(data_dir):
        ledger.complete_journals(data_dir)
        pending = ledger.pending_journals(data_dir)
    recorded = 0
    for entry in pending:
        meta = entry.get("meta", {})
        if not AuditEvent.objects.filter(changes__journal_id=entry["id"]).exists():
            user = get_user_model().objects.filter(pk=meta.get("user_id")).first()
            result = {
                "kind": entry["kind"],
                **meta.get("counts", {}),
                "journal_id": entry["id"],
                "recorded_late": True,
            }
            _audit_import(
                entry["kind"],
                meta.get("files", "?"),
                result,
                user=user,
                actor=meta.get("actor", "import"),
                note=f" (recorded at start-up: the process stopped after the import of "
                f"{entry.get('started', '?')[:19]} and before recording it)",
            )
            recorded += 1
        ledger.finish_journal(data_dir, entry["id"])
    return recorded


def _journal_entries(data_dir: Path) -> list[dict]:
    from openkam.store.ledger import _entries

    return [entry for _, entry in _entries(data_dir)]


def interrupted_imports() -> list[dict]:
    """Corrections (``--replace``) a crash left incomplete: their kind, files and start."""
    from openkam.store.ledger import interrupted_journals

    return [
        {
            "kind": e["kind"],
            "files": e.get("meta", {}).get("files", "?"),
            "started": e.get("started", "")[:19],
            "message": f"a correction of {e['kind']} from {e.get('meta', {}).get('files', '?')} "
            f"(started {e.get('started', '')[:19]} UTC) was interrupted: the corrected records "
            "are missing from the ledger until the same import is run again with replace",
        }
        for e in interrupted_journals(Path(settings.DATA_DIR))
    ]


def status_counts() -> dict[str, int]:
    """Records of each kind, keyed by the import kind names."""
    from openkam import store
    from openkam.web.accounts.models import Account, Contact, Product
    from openkam.web.people.models import (
        Assignment,
        CompetencyAssessment,
        Person,
        SponsorVisit,
        TrainingRecord,
    )
    from openkam.web.relationships.models import Relationship

    counts = {
        "competencies": CompetencyAssessment.objects.count(),
        "training": TrainingRecord.objects.count(),
        "sponsor-visits": SponsorVisit.objects.count(),
        "assignments": Assignment.objects.count(),
        "relationships": Relationship.objects.count(),
        "accounts": Account.objects.count(),
        "products": Product.objects.count(),
        "contacts": Contact.objects.count(),
        "people": Person.objects.count(),
    }
    from openkam.web.operations.models import Commitment

    counts["commitments"] = Commitment.objects.count()
    counts.update(store.ledger_counts(Path(settings.DATA_DIR)))
    return {kind: counts.get(kind, 0) for kind in KINDS}
