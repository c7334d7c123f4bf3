"""``openkam profitability``: the P&L waterfall per account and period, the whale curve, the
customer profitability matrix, or the figures per segment of accounts."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated

import typer
from rich.box import SIMPLE_HEAD
from rich.table import Table

from openkam.cli.common import (
    DataDir,
    console,
    err_console,
    fail,
    print_warnings,
    setup_django,
)


def profitability_command(
    period: Annotated[str, typer.Option(help="year, quarter or month.")] = "year",
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD).", show_default=False)
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).", show_default=False)
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Only this account (and its roll-up).", show_default=False)
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
    whale: Annotated[bool, typer.Option("--whale", help="Print the whale curve instead.")] = False,
    matrix: Annotated[
        bool,
        typer.Option(
            "--matrix",
            help="Print the customer profitability matrix instead: net price realised against "
            "cost to serve, per account over the window.",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Print the figures per segment instead: key_status, industry, region, kam "
            "or sponsor (each account's figures summed over the window).",
            show_default=False,
        ),
    ] = None,
    mix: Annotated[
        str | None,
        typer.Option(
            "--mix",
            help="Print the product mix instead: invoiced sales, share, discount rate and "
            "invoice margin (before rebates) per product_line, product or business_unit (the "
            "customer's buying unit; use it with --account) over the window (with --account, "
            "of that account's own lines).",
            show_default=False,
        ),
    ] = None,
    cost_of_capital: Annotated[
        float, typer.Option(help="Annual cost of capital for the credit cost of payment terms.")
    ] = 0.08,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    cache: Annotated[
        bool | None,
        typer.Option(
            help="Reuse the month sums of ledger files read before (same result, reads only "
            "new files); --no-cache reads the whole ledger. Default: on with DuckDB, off with "
            "Spark (one Spark job per new file costs more than one pass over the ledger).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Net contribution per account and period: gross sales down to cost to serve."""
    if period not in ("year", "quarter", "month"):
        raise fail("--period must be year, quarter or month", 2)
    if engine not in ("duckdb", "spark"):
        raise fail("--engine must be duckdb or spark", 2)
    if sum((whale, matrix, by is not None, mix is not None)) > 1:
        raise fail("--whale, --matrix, --by and --mix are different reports: ask for one", 2)
    if account is not None and (whale or matrix or by is not None):
        # Those reports compare accounts with each other: one account alone says nothing.
        raise fail("--account applies to the waterfall, not to --whale, --matrix or --by", 2)
    if cache is None:
        cache = engine == "duckdb"
    path = setup_django(data_dir)
    if mix is not None:
        _mix_command(path, mix, date_from, date_to, account, engine, as_json)
        return
    from openkam.engine.ledger import Ledger
    from openkam.engine.profitability import (
        ProfitabilityInputError,
        price_cost_report,
        profitability_report,
        segments_report,
        whale_curve_report,
    )
    from openkam.web.profitability.services import SEGMENTINGS, hierarchy, segment_of

    if by is not None and by not in SEGMENTINGS:
        raise fail(f"--by must be one of {', '.join(SEGMENTINGS)}", 2)

    tree = hierarchy()
    known = tree["account_id"].to_pylist()
    if account is not None and account not in known:
        raise fail(f"unknown account {account!r}", 2)
    try:
        ledger = Ledger(path, engine=engine)
        # The reports over the whole window (each account's figures summed over it).
        window = dict(
            date_from=date_from,
            date_to=date_to,
            accounts=known,
            cost_of_capital=cost_of_capital,
            cache=cache,
        )
        with console.status("computing…", spinner="dots") if not as_json else nullcontext():
            if by is not None:
                report = segments_report(ledger, segment_of(by), **window)
            elif whale:
                report = whale_curve_report(ledger, **window)
            elif matrix:
                report = price_cost_report(ledger, **window)
            else:
                report = profitability_report(
                    ledger,
                    period,
                    date_from=date_from,
                    date_to=date_to,
                    account_ids=[account] if account else None,
                    accounts=known,
                    hierarchy=tree,
                    cost_of_capital=cost_of_capital,
                    cache=cache,
                )
    except FileNotFoundError as exc:
        raise fail(f"{exc}: import invoices first (openkam import invoices FILE)") from None
    except ProfitabilityInputError as exc:
        err_console.print(f"[bold red]cannot compute profitability:[/] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    if whale:
        _print_whale(report)
    elif matrix:
        _print_matrix(report)
    elif by is not None:
        _print_segments(report, SEGMENTINGS[by][0])
    else:
        _print_rows(report)


def _mix_command(path, by, date_from, date_to, account, engine, as_json) -> None:
    """``--mix``: the product mix of the window, of every account or of one."""
    from openkam.engine.ledger import Ledger
    from openkam.engine.money_lines import Conversion
    from openkam.engine.profitability import MIX_DIMENSIONS, mix_to_dict, product_mix
    from openkam.web.accounts.models import Account
    from openkam.web.profitability.services import product_lines

    if by not in MIX_DIMENSIONS:
        raise fail(f"--mix must be one of {', '.join(MIX_DIMENSIONS)}", 2)
    if account is not None and not Account.objects.filter(account_id=account).exists():
        raise fail(f"unknown account {account!r}", 2)
    try:
        start, end = (_day(date_from, "--from"), _day(date_to, "--to"))
        if start and end and start > end:
            raise ValueError(f"--from {start} is after --to {end}")
        if not (path / "ledger").is_dir():
            raise fail("no invoice lines in the ledger: import invoices first", 1)
        ledger = Ledger(path, engine=engine)
        if not ledger.files("invoices"):
            raise fail("no invoice lines in the ledger: import invoices first", 1)
        conversion = Conversion.of(ledger)
        conversion.check()
        found = product_mix(
            conversion.invoices(),
            by,
            product_lines=product_lines(),
            account_ids=[account] if account else None,
            start=start,
            end=end,
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    report = {
        "currency": conversion.currency,
        "account_id": account,
        "from": date_from,
        "to": date_to,
        **mix_to_dict(found),
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _print_mix(report)


def _day(value: str | None, option: str):
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _print_mix(report: dict) -> None:
    title = {"product_line": "product line", "product": "product", "business_unit": "buying unit"}
    whose = f" of {report['account_id']}" if report["account_id"] else ""
    window = f"{report['from'] or 'the first line'} to {report['to'] or 'the last line'}"
    table = Table(
        title=f"Product mix{whose} by {title[report['by']]}, {window} "
        f"(amounts in {report['currency']})",
        box=SIMPLE_HEAD,
    )
    table.add_column("", overflow="fold")
    for col in ("accts", "invoiced", "share%", "disc.%", "inv. margin", "margin%"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in report["rows"]:
        gm = r["invoice_margin"]
        table.add_row(
            r["key"],
            f"{r['accounts']:,}",
            f"{r['invoiced_sales']:,.0f}",
            _pct_text(r["share_pct"]),
            _pct_text(r["discount_pct"]),
            f"[red]{gm:,.0f}[/]" if gm < 0 else f"{gm:,.0f}",
            _pct_text(r["invoice_margin_pct"]),
        )
    console.print(table)
    t = report["totals"]
    console.print(
        f"totals ({report['currency']}): {t['lines']:,} lines, invoiced sales "
        f"{t['invoiced_sales']:,.2f}, margin "
        f"before rebates {t['invoice_margin']:,.2f}. Rebates and the cost to serve are per "
        "account, not per product: see the waterfall for the net contribution."
    )


def _pct_text(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _print_rows(report: dict) -> None:
    table = Table(
        title=f"Account profitability by {report['period']} (amounts in {report['currency']})"
    )
    for col in (
        "account",
        "period",
        "net sales",
        "gross margin",
        "cost to serve",
        "net contribution",
        "margin %",
    ):
        table.add_column(col, justify="left" if col in ("account", "period") else "right")
    rows = sorted(report["rows"], key=lambda r: (r["period"], -r["net_contribution"]))
    for r in rows:
        label = r["account_id"] + (" (incl. subsidiaries)" if r.get("scope") == "subtree" else "")
        nc = r["net_contribution"]
        table.add_row(
            label,
            r["period"],
            f"{r['net_sales']:,.2f}",
            f"{r['gross_margin']:,.2f}",
            f"{r['cost_to_serve']:,.2f}",
            f"[red]{nc:,.2f}[/]" if nc < 0 else f"{nc:,.2f}",
            "" if r["contribution_margin_pct"] is None else f"{r['contribution_margin_pct']:.2f}",
        )
    console.print(table)
    t = report["totals"]
    console.print(
        f"totals ({report['currency']}): net sales {t['net_sales']:,.2f}, cost to serve "
        f"{t['cost_to_serve']:,.2f}, net contribution {t['net_contribution']:,.2f}"
    )
    print_warnings(report.get("warnings", []))


def _print_whale(report: dict) -> None:
    if report["peak_pct"] is None:
        console.print("No whale curve: no accounts, or total contribution is not positive.")
        return
    console.print(
        f"The whale curve peaks at [bold]{report['peak_pct']:.2f} %[/] of total net contribution "
        f"after {report['peak_account_share_pct']:.2f} % of {report['accounts']:,} accounts "
        f"(total {report['total_contribution']:,.2f} {report['currency']})."
    )
    for share in (10, 20, 50, 80, 100):
        point = next(p for p in report["points"] if p["account_share_pct"] >= share)
        console.print(
            f"  top {share:>3} % of accounts: {point['cumulative_contribution_pct']:7.2f} %"
        )


def _print_matrix(report: dict) -> None:
    from openkam.engine.profitability import QUADRANT_LABELS

    if report["net_price_pct"] is None:
        console.print("No matrix: no account has positive gross and net sales.")
        return
    console.print(
        f"High price: net sales at or above {report['net_price_pct']:.2f} % of list price; "
        f"high cost: cost to serve at or above {report['cost_to_serve_pct']:.2f} % of net "
        "sales (the portfolio's own ratios)."
    )
    table = Table(
        title="Customer profitability matrix (Shapiro et al. 1987), amounts in "
        + report["currency"],
        box=SIMPLE_HEAD,
    )
    for col in ("quadrant", "accounts", "net sales", "share %", "contribution", "margin%"):
        table.add_column(col, justify="left" if col == "quadrant" else "right", no_wrap=True)
    for q in report["quadrants"]:
        nc = q["net_contribution"]
        table.add_row(
            QUADRANT_LABELS[q["quadrant"]],
            f"{q['accounts']:,}",
            f"{q['net_sales']:,.0f}",
            "" if q["net_sales_share_pct"] is None else f"{q['net_sales_share_pct']:.2f}",
            f"[red]{nc:,.0f}[/]" if nc < 0 else f"{nc:,.0f}",
            "" if q["contribution_margin_pct"] is None else f"{q['contribution_margin_pct']:.2f}",
        )
    console.print(table)
    if report["unclassified"]["accounts"]:
        console.print(
            f"{report['unclassified']['accounts']:,} accounts without positive gross and net "
            "sales are not classified."
        )


def _print_segments(report: dict, title: str) -> None:
    table = Table(
        title=f"Profitability by segment: {title.lower()} (amounts in {report['currency']})",
        box=SIMPLE_HEAD,
    )
    for col in ("segment", "accts", "losing", "net sales", "CTS%", "contrib.", "margin%"):
        table.add_column(col, justify="left" if col == "segment" else "right", no_wrap=True)
    for g in report["segments"]:
        nc = g["net_contribution"]
        table.add_row(
            g["segment"],
            f"{g['accounts']:,}",
            f"{g['losing_accounts']:,}",
            f"{g['net_sales']:,.0f}",
            "" if g["cts_pct"] is None else f"{g['cts_pct']:.2f}",
            f"[red]{nc:,.0f}[/]" if nc < 0 else f"{nc:,.0f}",
            "" if g["contribution_margin_pct"] is None else f"{g['contribution_margin_pct']:.2f}",
        )
    console.print(table)
