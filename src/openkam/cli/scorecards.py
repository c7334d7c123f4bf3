"""``openkam scorecard [--period 2025|2025-Q3|2025-YTD] [--person ID] [--json]``: the
scorecards of key account managers and sponsors, credited by the months each account was
held; ``--record`` stores the period's scores, ``--clv-snapshot DATE`` keeps a CLV
snapshot as of a date first, ``--export pdf|xlsx`` writes one person's scorecard."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django


def _num(value, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def scorecard_command(
    period: Annotated[
        str | None,
        typer.Option(help="2025, 2025-Q3 or 2025-YTD [default: the last complete year]."),
    ] = None,
    person: Annotated[str | None, typer.Option(help="Only this person id.")] = None,
    role: Annotated[str | None, typer.Option(help="Only this role: kam or sponsor.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    record: Annotated[
        bool, typer.Option(help="Store the period's scores (the history pages read them).")
    ] = False,
    clv_snapshot: Annotated[
        str | None,
        typer.Option(
            help="First compute and keep every account's CLV as of this day (YYYY-MM-DD)."
        ),
    ] = None,
    export: Annotated[
        str | None, typer.Option(help="Write --person's scorecard as pdf or xlsx.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Scorecards: net contribution, margin, cost to serve, lifetime value built, plan
    attainment, ranks by contribution and by revenue, and the composite score."""
    if role not in (None, "kam", "sponsor"):
        raise fail(f"unknown role {role!r}: kam or sponsor", 2)
    if export is not None and export not in ("pdf", "xlsx"):
        raise fail(f"unknown export format {export!r}: pdf or xlsx", 2)
    if export is not None and person is None:
        raise fail("--export needs --person (one person's scorecard)", 2)
    as_of = None
    if clv_snapshot is not None:
        try:
            as_of = dt.date.fromisoformat(clv_snapshot)
        except ValueError:
            raise fail(f"--clv-snapshot {clv_snapshot!r} is not a date (YYYY-MM-DD)", 2) from None
    setup_django(data_dir)
    from openkam.web.people.models import Person
    from openkam.web.scorecards import exports, services

    if person is not None and not Person.objects.filter(person_id=person).exists():
        raise fail(f"no person {person!r}")
    try:
        if as_of is not None:
            snap = services.take_snapshot_as_of(as_of, actor="cli")
            if not as_json:
                console.print(f"[green]kept[/] the CLV snapshot of {snap.as_of.isoformat()}")
        chosen = services.resolve_period(period)
    except services.NoFigures as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if record:
        count = services.record(chosen, actor="cli")
        if not as_json:
            console.print(f"[green]recorded[/] {count} scorecards for {chosen.label}")
    data = services.compute(chosen)
    if person is not None:
        data["people"] = [p for p in data["people"] if p["person_id"] == person]
    if role is not None:
        data["people"] = [p for p in data["people"] if p["role"] == role]
    if export is not None:
        if not data["people"]:
            raise fail(f"{person} held no account in {chosen.label}")
        payload, _, ext = exports.render(export, data, data["people"][0])
        path = output or Path(f"scorecard-{person}-{chosen.label}.{ext}")
        path.write_bytes(payload)
        console.print(f"[green]wrote[/] {path} ({len(payload):,} bytes)")
        return
    if as_json:
        typer.echo(json.dumps(services.public_json(data), indent=2))
        return
    if data.get("revenue_warning"):
        console.print(f"[yellow]warning:[/] {data['revenue_warning']}")
    snaps = data["clv_snapshots"]
    clv_note = (
        f"ΔCLV from the snapshots of {snaps['start']} and {snaps['end']}"
        if snaps["start"] and snaps["end"]
        else "no CLV snapshots bound the period: no ΔCLV"
    )
    table = Table(
        title=f"Scorecards {data['period']} ({data['currency']}; {clv_note})",
        title_justify="left",
    )
    for col in (
        "person",
        "role",
        "accts",
        "contribution",
        "margin %",
        "CTS %",
        "ΔCLV",
        "plan %",
        "net sales",
        "rank C/R",
        "score",
    ):
        table.add_column(col, justify="left" if col in ("person", "role") else "right")
    for p in data["people"]:
        table.add_row(
            p["name"],
            p["role"],
            str(len(p["accounts"])),
            _num(p["net_contribution"]),
            _num(p["contribution_margin_pct"], 2),
            _num(p["cost_to_serve_pct"], 2),
            _num(p["delta_clv"]),
            _num(p["plan_attainment_pct"], 2),
            _num(p["net_sales"]),
            f"{_num(p['rank_by_contribution'])}/{_num(p['rank_by_revenue'])}",
            _num(p["score"], 1),
        )
    console.print(table)
    console.print(
        "CTS: cost to serve as a share of net sales; rank C/R: by contribution / by revenue; "
        "--json for every figure and each person's accounts"
    )
    if not data["people"]:
        console.print(f"nobody held an account in {chosen.label}")
