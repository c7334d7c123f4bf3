"""``openkam backup`` and ``openkam restore``: the database and the ledger, consistently."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkam.cli.common import DataDir, console, fail, setup_django


def backup_command(
    file: Annotated[
        Path, typer.Argument(help="The backup file to write (.tar).", show_default=False)
    ],
    data_dir: DataDir = None,
) -> None:
    """Write a consistent backup of the database and the ledger to FILE, while the app runs.

    Imports wait for the instant the snapshot is taken; pages and background work go on.
    See docs/operations.md for scheduling it.
    """
    setup_django(data_dir)
    from openkam.web.backup import BackupError, backup

    try:
        with console.status("backing up…"):
            manifest = backup(file)
    except (BackupError, OSError) as exc:
        raise fail(f"backup failed: {exc}", 1) from None
    size = file.stat().st_size
    console.print(
        f"[green]backed up[/] to {file} ({size / 1e6:,.1f} MB): the {manifest['database']} "
        f"database and {len(manifest['ledger']):,} ledger files as of {manifest['created']}"
    )


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup written by `openkam backup`.")],
    data_dir: DataDir = None,
) -> None:
    """Restore FILE into an empty data directory (and, with OPENKAM_DATABASE_URL, an empty
    PostgreSQL database)."""
    if not file.is_file():
        raise fail(f"no such file: {file}", 2)
    setup_django(data_dir)
    from openkam.web.backup import BackupError, restore
    from openkam.web.ingest import record_pending_imports

    try:
        with console.status("restoring…"):
            manifest = restore(file)
    except BackupError as exc:
        raise fail(f"{file} {exc}" if not str(exc).startswith("the ") else str(exc), 1) from None
    late = record_pending_imports()
    console.print(
        f"[green]restored[/] the backup of {manifest['created']} "
        f"({len(manifest['ledger']):,} ledger files)"
        + (f"; {late} import(s) recorded from the journal" if late else "")
    )
