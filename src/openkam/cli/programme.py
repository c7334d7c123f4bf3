"""``openkam readiness [--as-of DATE] [--record] [--json]``: the programme's rollout."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django

STATUS_STYLE = {"met": "[green]met[/]", "partly": "[yellow]partly[/]", "not_met": "[red]not met[/]"}


def readiness_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Check as of this date (YYYY-MM-DD).")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Also keep this check as a readiness snapshot.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """The seven steps of the key account programme's rollout, checked against the data."""
    try:
        today = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)", 2) from None
    setup_django(data_dir)
    from openkam.web.programme import services

    result = services.readiness_now(today)
    if record:
        services.record_readiness(today, force=True)
    if as_json:
        console.print_json(json.dumps(result))
        return
    table = Table(title=f"Programme readiness as of {result['as_of']}")
    table.add_column("step", justify="right")
    table.add_column("status")
    table.add_column("check")
    table.add_column("figures")
    for step in result["steps"]:
        table.add_row(
            str(step["step"]), STATUS_STYLE[step["status"]], f"[bold]{step['name']}[/]", ""
        )
        for check in step["checks"]:
            table.add_row("", STATUS_STYLE[check["status"]], check["name"], check["summary"])
    console.print(table)
