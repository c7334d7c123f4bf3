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
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Import ``paths`` as one all-or-nothing import of ``kind``; returns the counts.

    Raises ``openkam.store.ImportFailed`` carrying every problem found (file, row, column,
    reason) when anything is wrong; nothing is loaded then.
    """
    from openkam import store

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    known = reference.known_keys()
    data_dir = Path(settings.DATA_DIR)
    if KINDS[kind].home == "ledger":
        result = store.import_ledger(
            kind, paths, data_dir, known, replace=replace, progress=progress
        ).as_dict()
    else:
        validated = store.validate_import(kind, paths, known, progress=progress)
        result = reference.upsert(
            kind, validated.table.to_pylist(), user=user, actor=actor
        ).as_dict()
        result["rows_read"] = validated.table.num_rows
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

    counts = {
        "accounts": Account.objects.count(),
        "products": Product.objects.count(),
        "contacts": Contact.objects.count(),
        "people": Person.objects.count(),
    }
    counts.update(store.ledger_counts(Path(settings.DATA_DIR)))
    return {kind: counts.get(kind, 0) for kind in KINDS}
