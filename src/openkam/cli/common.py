"""What every command shares: the data directory option, Django start-up, the console."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="OPENKAM_DATA_DIR",
        help="Directory holding the database and the Parquet ledger [default: ./openkam-data].",
        show_default=False,
    ),
]


def use_data_dir(data_dir: Path | None) -> Path:
    """Point OpenKAM at ``data_dir`` (this process only) and return its absolute path."""
    if data_dir is not None:
        os.environ["OPENKAM_DATA_DIR"] = str(Path(data_dir).resolve())
    from openkam.config import data_dir as current

    path = current()
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup_django(data_dir: Path | None, migrate: bool = True) -> Path:
    """Start Django on the chosen data directory, bringing its database schema up to date."""
    path = use_data_dir(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openkam.web.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    return path


def warning_text(warning) -> str:
    """One warning from the engine as a line for a person.

    A profitability warning (an ``InputIssue`` or its dict, as a report carries it) reads
    ``"delivery 2025-09: activities use 5,634 delivery against …"``: where, then what. Any
    other warning (the lifetime-value models give sentences) is printed as it is.
    """
    if hasattr(warning, "as_dict"):
        warning = warning.as_dict()
    if not isinstance(warning, dict):
        return str(warning)
    where = " ".join(str(warning[k]) for k in ("pool", "period") if warning.get(k) is not None)
    what = warning.get("detail") or warning.get("message") or warning.get("reason") or ""
    return f"{where}: {what}" if where and what else where or str(what)


def print_warnings(warnings) -> None:
    """Print the engine's warnings to stderr, one readable line each."""
    for warning in warnings:
        err_console.print(
            f"[yellow]warning:[/] {escape(warning_text(warning))}", soft_wrap=True, highlight=False
        )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
