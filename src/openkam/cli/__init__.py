"""The ``openkam`` command."""

from __future__ import annotations

import typer

from openkam.cli.backup import backup_command, restore_command
from openkam.cli.clv import clv_app
from openkam.cli.demo import demo_command
from openkam.cli.importing import import_command, status_command
from openkam.cli.operations import allocate_command, service_command
from openkam.cli.people import assign_command, people_app
from openkam.cli.plans import plan_app
from openkam.cli.profitability import profitability_command
from openkam.cli.programme import readiness_command
from openkam.cli.scorecards import scorecard_command
from openkam.cli.selection import select_command
from openkam.cli.serve import serve_command
from openkam.cli.users import createuser_command

app = typer.Typer(
    name="openkam",
    help="OpenKAM: key account management for B2B suppliers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo_command)
app.command("serve")(serve_command)
app.command("import")(import_command)
app.command("status")(status_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("createuser")(createuser_command)
app.add_typer(plan_app, name="plan")
app.command("profitability")(profitability_command)
app.command("select")(select_command)
app.add_typer(clv_app, name="clv")
app.command("scorecard")(scorecard_command)
app.command("readiness")(readiness_command)
app.command("assign")(assign_command)
app.add_typer(people_app, name="people")
app.command("service")(service_command)
app.command("allocate")(allocate_command)


def main() -> None:
    app()
