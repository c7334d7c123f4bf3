"""``openkam demo``: generate a realistic supplier, load it and serve the web app."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django


def demo_command(
    seed: Annotated[int, typer.Option(help="Same seed, same supplier.")] = 42,
    accounts: Annotated[int, typer.Option(help="Number of customer accounts.")] = 2000,
    lines: Annotated[
        int,
        typer.Option(help="Invoice lines to generate (up to 100,000,000; streamed to Parquet)."),
    ] = 1_000_000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app after loading.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    today: Annotated[
        str | None,
        typer.Option(
            help="The demo's today (YYYY-MM-DD; default: the real date). The ledger runs from "
            "1 January three years earlier to the end of the month before; plans and actions "
            "are dated around it. Pin it for byte-identical files; the web app judges due "
            "dates by the real date.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace the data of an existing data directory.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Generate a demo B2B supplier, load it, and serve the web app on HOST:PORT."""
    if not 1 <= lines <= 100_000_000:
        raise fail("--lines must be between 1 and 100,000,000", 2)
    if accounts < 50:
        raise fail("--accounts must be at least 50", 2)
    import datetime as dt

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise fail(f"--today {today!r} is not a date (YYYY-MM-DD)", 2) from None
    path = setup_django(data_dir)
    from openkam.engine.synth import generate
    from openkam.engine.synth.timeline import demo_window
    from openkam.web.accounts.models import Account
    from openkam.web.core.bulk import analyze_database
    from openkam.web.demo import compute_demo_figures, load_demo, seed_living_records

    ledger = path / "ledger"
    if (Account.objects.exists() or any(ledger.glob("*/*.parquet"))) and not force:
        raise fail(
            f"{path} already holds data. Use --force to replace it with the demo, "
            "or --data-dir to choose another directory."
        )
    if force:
        _wipe(path)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        gen = bar.add_task("generating the ledger", total=1)

        def on_generate(stage: str, done: int, total: int) -> None:
            bar.update(gen, description=f"generating {stage}", completed=done, total=total)

        start, end = demo_window(day)
        summary = generate(
            path,
            seed=seed,
            accounts=accounts,
            lines=lines,
            start=start,
            end=end,
            progress=on_generate,
        )
        bar.update(gen, description="generated the ledger", completed=1, total=1)
        load = bar.add_task("loading accounts", total=1)

        def on_load(stage: str, done: int, total: int) -> None:
            bar.update(load, description=f"loading {stage}", completed=done, total=total)

        logins = load_demo(path, progress=on_load)
        bar.update(load, description="loaded accounts, contacts and people", completed=1, total=1)
        figures = bar.add_task("computing profitability", total=None)
        outcome = compute_demo_figures()
        seed_living_records(path, day)
        analyze_database()
        bar.update(figures, description="computed " + ", ".join(outcome), completed=1, total=1)
    elapsed = time.perf_counter() - started
    counts = summary.counts
    console.print(
        f"[green]demo ready[/] in {elapsed:.0f} s: {counts.get('accounts', 0):,} accounts, "
        f"{counts.get('invoices', 0):,} invoice lines from {summary.first_date} to "
        f"{summary.last_date}, {counts.get('activities', 0):,} cost-to-serve activities, "
        f"in {path}; the demo's today is {day.isoformat()}"
    )
    from django.conf import settings

    # The demo's ledger is written in the reporting currency (no currency column, no rates).
    console.print(f"Amounts are in {settings.OPENKAM_REPORTING_CURRENCY} (the reporting currency).")
    table = Table(title="Demo logins")
    for col in ("username", "password", "role", "name"):
        table.add_column(col)
    for login in logins:
        table.add_row(login["username"], login["password"], login["role"], login["name"])
    console.print(table)
    if serve:
        from openkam.cli.serve import serve as run_server

        run_server(host, port)


def _wipe(path) -> None:
    """Empty the data directory's database tables and ledger for a fresh demo."""
    import shutil

    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(path / "ledger", ignore_errors=True)
    shutil.rmtree(path / "demo", ignore_errors=True)
