"""Imports as the CLI and the web app run them: validate with the store, then load.

Ledger kinds go to Parquet through ``openkam.store``; reference kinds are validated by the
store and upserted into the database by ``openkam.web.reference``. Either way an import is
all or nothing, and its summary lands in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from openkam.engine.schema import KINDS
from openkam.web import reference
from openkam.web.core.models import AuditEvent


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
            )
        result = {"rows_read": validated.rows_read, **upserted.as_dict()}
        result["warnings"] = [str(w) for w in validated.warnings]
        result["warnings"] += getattr(upserted, "warnings", [])
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
    from openkam.web.operations.models import Commitment

    counts["commitments"] = Commitment.objects.count()
    counts.update(store.ledger_counts(Path(settings.DATA_DIR)))
    return {kind: counts.get(kind, 0) for kind in KINDS}
