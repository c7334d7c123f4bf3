"""``openkam service`` (OTIF, fill rate, lead time) and ``openkam allocate`` (scarce supply)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django


class Period(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class Policy(StrEnum):
    protect = "protect"
    fcfs = "fcfs"
    optimise = "optimise"


#: The per-row keys of ``service --json`` (issue #16).
SERVICE_KEYS = (
    "account_id",
    "period",
    "order_lines",
    "otif_lines",
    "otif_pct",
    "fill_rate_pct",
    "avg_lead_time_days",
)


def service_command(
    period: Annotated[Period, typer.Option(help="Period of the promised date.")] = Period.month,
    account: Annotated[str | None, typer.Option("--account", help="Only this account id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Service levels per account and period: order lines due, lines on time in full (the
    whole quantity delivered on or before the promised date), fill rate, average lead time
    from order to delivery, and backorders (measured to the ledger's last order or delivery)."""
    setup_django(data_dir)
    from openkam.web.operations import services

    if not services.has_orders(services.ledger()):
        raise fail("no orders in the ledger: import them first (openkam import orders FILE)")
    report = services.service_report(period.value, account=account)
    if account and not report["rows"]:
        raise fail(f"no order lines due for account {account!r}")
    if as_json:
        rows = [{k: r[k] for k in SERVICE_KEYS} | _extra(r) for r in report["rows"]]
        typer.echo(json.dumps({"as_of": report["as_of"], "rows": rows}, indent=2))
        return
    table = Table(title=f"Service levels per {period.value} (as of {report['as_of']})")
    for name in (
        "account",
        "period",
        "lines",
        "OTIF lines",
        "OTIF %",
        "fill rate %",
        "lead time (days)",
        "backorders",
    ):
        table.add_column(
            name,
            justify="left" if name in ("account", "period") else "right",
            no_wrap=name in ("account", "period"),
        )
    for r in report["rows"]:
        table.add_row(
            r["account_id"],
            r["period"],
            f"{r['order_lines']:,}",
            f"{r['otif_lines']:,}",
            _fmt(r["otif_pct"]),
            _fmt(r["fill_rate_pct"]),
            _fmt(r["avg_lead_time_days"]),
            f"{r['backorder_lines']:,}",
        )
    console.print(table)


def _extra(row: dict) -> dict:
    return {k: row[k] for k in row if k not in SERVICE_KEYS}


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def allocate_command(
    policy: Annotated[
        Policy,
        typer.Option(
            help="protect: commitments' protected quantities first, then pro rata; "
            "fcfs: first come first served; optimise: LP on contribution and commitments."
        ),
    ] = Policy.protect,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Allocation date YYYY-MM-DD [default: the ledger's last order or delivery date].",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the confirmations (.csv or .xlsx)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Allocate the available supply to the open order lines and say, per line, what is
    confirmed, when, what is short and which commitment or rule decided it."""
    setup_django(data_dir)
    from openkam.web.operations import exports, services

    try:
        day = services.parse_date(as_of)
    except ValueError as exc:
        raise fail(f"--as-of: {exc}", 2) from None
    if output is not None and output.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"--output: {output.name} must end in .csv or .xlsx", 2)
    if not services.has_orders(services.ledger()):
        raise fail("no orders in the ledger: import them first (openkam import orders FILE)")
    report = services.allocation_report(policy.value, day)
    if output is not None:
        data = (
            exports.confirmation_csv(report)
            if output.suffix.lower() == ".csv"
            else exports.confirmation_xlsx(report)
        )
        output.write_bytes(data)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "policy": report["policy"],
                    "as_of": report["as_of"],
                    "currency": report["currency"],
                    "lines": report["lines"],
                    "accounts": report["accounts"],
                    "totals": report["totals"],
                },
                indent=2,
            )
        )
        return
    t = report["totals"]
    console.print(
        f"Policy {report['policy']} as of {report['as_of']}: {t.get('open_lines', 0):,} open "
        f"lines, {t.get('short_lines', 0):,} short; {t.get('confirmed_quantity', 0):,} of "
        f"{t.get('open_quantity', 0):,} units confirmed, {t.get('protected_quantity', 0):,} "
        f"from protected quantities ({t.get('commitments_in_force', 0)} commitments in force)."
    )
    console.print(
        f"Non-key accounts give up {t.get('non_key_units_lost', 0):,} units and "
        f"{t.get('non_key_contribution_lost', 0):,.2f} {report['currency']} of contribution "
        "so that key accounts are served."
    )
    table = Table(title="Accounts with short lines")
    for name in ("account", "key", "open", "confirmed", "protected", "short", "lost to priority"):
        table.add_column(
            name,
            justify="left" if name in ("account", "key") else "right",
            no_wrap=name == "account",
        )
    for a in report["accounts"][:30]:
        if a["short_quantity"] <= 0:
            continue
        table.add_row(
            a["account_id"],
            "key" if a["key"] else "",
            f"{a['open_quantity']:,}",
            f"{a['confirmed_quantity']:,}",
            f"{a['protected_quantity']:,}",
            f"{a['short_quantity']:,}",
            f"{a['units_lost_to_priority']:,}",
        )
    console.print(table)
    if output is not None:
        console.print(f"Confirmations written to {output}")
