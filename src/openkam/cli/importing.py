"""``openkam import`` and ``openkam status``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openkam.cli.common import DataDir, console, err_console, fail, print_warnings, setup_django
from openkam.engine.schema import KINDS


def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", show_default=False)],
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV, Excel (.xlsx .xlsm .xlsb .xls), OpenDocument (.ods) or Parquet files.",
            show_default=False,
        ),
    ],
    replace: Annotated[
        bool,
        typer.Option(help="Let records in these files correct ledger records with the same key."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Import records of one KIND from one or more files, all or nothing.

    Every problem is reported with its file, row and column; if there is any, nothing is
    loaded and the command exits with status 1. Importing the same file again changes nothing.
    """
    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}", 2)
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        raise fail(f"no such file: {', '.join(missing)}", 2)
    setup_django(data_dir)
    from openkam.store import ImportFailed
    from openkam.web.ingest import run_import

    with Progress(
        TextColumn("[bold]importing[/] " + kind),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task(kind, total=None)

        def progress(rows_done: int, fraction: float) -> None:
            bar.update(task, completed=rows_done)

        try:
            result = run_import(kind, list(files), replace=replace, progress=progress)
        except ImportFailed as exc:
            bar.stop()
            _report_issues(exc, as_json)
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        console.print(
            f"[green]imported[/] {kind}: "
            + ", ".join(
                f"{k.replace('_', ' ')} {v:,}" for k, v in result.items() if isinstance(v, int)
            )
        )
        # Problems that did not stop the import (an ignored column): said, not swallowed.
        print_warnings(result.get("warnings", []))


def _report_issues(exc, as_json: bool) -> None:
    issues = list(exc.issues)
    total = getattr(exc, "total", len(issues))
    if as_json:
        payload = {
            "error": "import failed; nothing was loaded",
            "total_issues": total,
            "issues": [dataclasses.asdict(i) for i in issues],
        }
        typer.echo(json.dumps(payload, indent=2), err=True)
        return
    err_console.print(f"[bold red]import failed[/]: {total:,} problem(s); nothing was loaded.")
    for issue in issues:
        err_console.print(f"  {issue}", markup=False, highlight=False, soft_wrap=True)
    if total > len(issues):
        err_console.print(f"  … and {total - len(issues):,} more")


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """How many records of each kind the data directory holds."""
    path = setup_django(data_dir)
    from openkam.web.ingest import interrupted_imports, record_pending_imports, status_counts

    record_pending_imports()
    counts = status_counts()
    interrupted = interrupted_imports()
    if as_json:
        typer.echo(json.dumps(counts, indent=2))
        for i in interrupted:
            err_console.print(f"[bold red]incomplete:[/] {i['message']}", soft_wrap=True)
        return
    table = Table(title=f"OpenKAM data in {path}")
    table.add_column("kind")
    table.add_column("records", justify="right")
    for kind, n in counts.items():
        table.add_row(kind, f"{n:,}")
    console.print(table)
    for i in interrupted:
        err_console.print(f"[bold red]incomplete:[/] {i['message']}", soft_wrap=True)
