"""What every command shares: the data directory option, Django start-up, the console."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
