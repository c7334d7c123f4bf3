"""``openkam plan export ACCOUNT_ID --format pdf|xlsx|md [--output FILE]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openkam.cli.common import DataDir, console, fail, setup_django

plan_app = typer.Typer(help="Key account plans.", no_args_is_help=True)


@plan_app.command("export")
def export_command(
    account_id: Annotated[str, typer.Argument(help="The account whose plan to export.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="pdf, xlsx or md.")] = "pdf",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write [default: plan-ID.EXT].")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write an account's plan, with actuals from the ledger, as PDF, Excel or Markdown."""
    setup_django(data_dir)
    from openkam.web.accounts.models import Account
    from openkam.web.planning import exports
    from openkam.web.planning.document import plan_document
    from openkam.web.planning.models import Plan

    if fmt not in exports.FORMATS:
        raise fail(f"unknown format {fmt!r}; choose one of {', '.join(exports.FORMATS)}", 2)
    account = Account.objects.with_owner().filter(account_id=account_id).first()
    if account is None:
        raise fail(f"no account {account_id!r}")
    plan = Plan.objects.filter(account=account).first()
    if plan is None:
        raise fail(f"account {account_id} has no plan yet")
    data, _, ext = exports.render(fmt, plan_document(plan))
    path = output or Path(f"plan-{account_id}.{ext}")
    path.write_bytes(data)
    console.print(f"[green]wrote[/] {path} ({len(data):,} bytes)")
