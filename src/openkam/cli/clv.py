"""``openkam clv``: fit lifetime-value models on any transaction file, or value the accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openkam.cli.common import (
    DataDir,
    console,
    err_console,
    fail,
    print_warnings,
    setup_django,
)

clv_app = typer.Typer(
    help="Customer lifetime value: fit models, project retention, value accounts.",
    no_args_is_help=True,
)

MODELS = ("bgnbd", "pnbd", "gg")


@contextmanager
def validated_transactions(
    file: Path, customer_col: str, date_col: str, value_col: str | None
) -> Iterator[Path]:
    """A CSV or spreadsheet transaction file, read through the import's validated reader
    (any line ending, cell limits, a message per bad row) and handed on as Parquet.

    Parquet files and folders are passed through: the engine reads them typed. Dates may be
    ``YYYY-MM-DD`` or ``YYYYMMDD`` (the CDNOW files); values are decimal numbers.
    """
    import tempfile

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from openkam.engine.schema import Column, Kind
    from openkam.store import ImportFailed, ImportIssue
    from openkam.store.convert import convert_column
    from openkam.store.importer import read_table
    from openkam.store.readers import FORMATS

    if file.is_dir() or FORMATS.get(file.suffix.lower()) in (None, "parquet"):
        yield file
        return
    columns = [Column(customer_col, pa.string()), Column(date_col, pa.string())]
    if value_col:
        columns.append(Column(value_col, pa.decimal128(38, 18)))
    kind = Kind("transactions", tuple(columns), key=(customer_col,), home="file")
    table, origins = read_table(kind, [file])
    # YYYYMMDD becomes YYYY-MM-DD, then the import's date check words every bad cell.
    text = pc.replace_substring_regex(
        table[date_col].combine_chunks(), r"^([0-9]{4})([0-9]{2})([0-9]{2})$", r"\1-\2-\3"
    )
    rows = origins["row"].to_numpy()
    dates, _, bad = convert_column(kind, Column(date_col, pa.date32()), text, rows)
    if bad is not None:
        issues = []
        for i in range(min(len(bad.rows), 1000)):
            reason, value = bad.describe(i)
            issues.append(ImportIssue(str(file), int(bad.rows[i]), date_col, reason, value))
        raise ImportFailed(issues, len(bad.rows))
    table = table.set_column(table.schema.get_field_index(date_col), date_col, dates)
    with tempfile.TemporaryDirectory(prefix="openkam-clv-") as folder:
        out = Path(folder) / "transactions.parquet"
        pq.write_table(table, out)
        yield out


@clv_app.command("fit")
def fit_command(
    file: Annotated[
        Path, typer.Argument(help="CSV or Parquet transaction file.", show_default=False)
    ],
    customer_col: Annotated[str, typer.Option(help="Customer column.")] = "customer_id",
    date_col: Annotated[str, typer.Option(help="Date column (ISO dates or YYYYMMDD).")] = "date",
    value_col: Annotated[
        str | None, typer.Option(help="Value column (needed for gg).", show_default=False)
    ] = None,
    calibration_end: Annotated[
        str, typer.Option(help="Last day of the calibration period.", show_default=False)
    ] = ...,
    holdout_end: Annotated[
        str | None,
        typer.Option(
            help="Last day of the holdout period: adds a holdout check.", show_default=False
        ),
    ] = None,
    time_unit: Annotated[str, typer.Option(help="day, week (7 days) or month.")] = "week",
    model: Annotated[str, typer.Option(help="bgnbd, pnbd or gg.")] = "bgnbd",
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
    currency: Annotated[
        str | None,
        typer.Option(
            help="ISO 4217 currency of the value column [default: the reporting currency].",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit BG/NBD, Pareto/NBD or Gamma-Gamma on a transaction file by maximum likelihood."""
    from openkam.engine.clv import fit_transactions_file
    from openkam.engine.money import check_currency
    from openkam.engine.money_lines import reporting_currency
    from openkam.store import ImportFailed

    if model not in MODELS:
        raise fail(f"--model must be one of {', '.join(MODELS)}", 2)
    try:
        currency = check_currency(currency.upper()) if currency else reporting_currency()
    except ValueError as exc:
        raise fail(f"--currency: {exc}", 2) from None
    if not file.exists():
        raise fail(f"no such file: {file}", 2)
    try:
        with (
            validated_transactions(file, customer_col, date_col, value_col) as source,
            console.status("fitting…") if not as_json else nullcontext(),
        ):
            result = fit_transactions_file(
                source,
                customer_col,
                date_col,
                value_col,
                calibration_end=calibration_end,
                holdout_end=holdout_end,
                time_unit=time_unit,
                model=model,
                engine=engine,
            )
    except ImportFailed as exc:
        err_console.print(f"[bold red]error:[/] {file} cannot be used; {exc.total:,} problem(s):")
        for issue in exc.issues[:20]:
            err_console.print(f"  {issue}", markup=False, highlight=False, soft_wrap=True)
        if exc.total > 20:
            err_console.print(f"  … and {exc.total - 20:,} more")
        raise typer.Exit(1) from None
    except ValueError as exc:
        raise fail(str(exc), 1) from None
    # Money in the result (Gamma-Gamma's spend per transaction) is in the value column's.
    result = {"currency": currency, **result}
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=f"{result['model']} on {result['n_customers']:,} customers")
    table.add_column("parameter")
    table.add_column("estimate", justify="right")
    table.add_column("std. error", justify="right")
    for name, value in result["params"].items():
        se = result["std_errors"].get(name)
        table.add_row(name, f"{value:.4f}", "" if se is None else f"{se:.4f}")
    console.print(table)
    console.print(
        f"log-likelihood {result['log_likelihood']:.2f}; converged: {result['converged']}"
    )
    if "holdout" in result:
        h = result["holdout"]
        if "total_error_pct" in h:
            console.print(
                f"holdout: predicted {h['predicted_total']:,.1f} repeat purchases, actual "
                f"{h['actual_total']:,.0f} ({h['total_error_pct']:+.1f} %); per customer MAE "
                f"{h['mae']:.3f}, RMSE {h['rmse']:.3f}"
            )
    print_warnings(result.get("warnings", []))


@clv_app.command("sbg")
def sbg_command(
    survivors: Annotated[
        str,
        typer.Option(
            help="Customers still active at the start of each period: 1000,631,468,…",
            show_default=False,
        ),
    ],
    horizon: Annotated[
        int | None, typer.Option(help="Periods to project (default: twice the data).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit the shifted-beta-geometric retention model to a cohort's survivors and project it."""
    from openkam.engine.clv import fit_sbg_survivors

    try:
        counts = [int(s) for s in survivors.replace(" ", "").split(",") if s]
    except ValueError:
        raise fail(
            "--survivors must be whole numbers separated by commas, e.g. 1000,631,468", 2
        ) from None
    try:
        result = fit_sbg_survivors(counts, horizon=horizon)
    except ValueError as exc:
        raise fail(str(exc), 1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    p = result["params"]
    console.print(
        f"alpha {p['alpha']:.4f}, beta {p['beta']:.4f}; log-likelihood {result['log_likelihood']:.3f}"
    )
    console.print(
        "projected survivors: " + ", ".join(f"{v:,.0f}" for v in result["projected_survivors"])
    )


@clv_app.command("run")
def run_command(
    model: Annotated[
        str | None,
        typer.Option(help="bgnbd or pnbd [default: the saved setting].", show_default=False),
    ] = None,
    horizon_years: Annotated[
        int | None,
        typer.Option(help="Years valued [default: the saved setting].", show_default=False),
    ] = None,
    discount_rate: Annotated[
        float | None,
        typer.Option(
            help="Annual discount rate, e.g. 0.10 [default: the saved setting].", show_default=False
        ),
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit the models on the ledger and store every account's CLV (on contribution and on revenue).

    Needs the profitability figures (an order is valued at its net contribution): they are
    computed first when missing.
    """
    if model is not None and model not in ("bgnbd", "pnbd"):
        raise fail("--model must be bgnbd or pnbd", 2)
    if horizon_years is not None and not 1 <= horizon_years <= 30:
        raise fail("--horizon-years must be between 1 and 30", 2)
    if discount_rate is not None and not 0 <= discount_rate < 1:
        raise fail("--discount-rate is an annual fraction between 0 and 1, e.g. 0.10", 2)
    setup_django(data_dir)
    from openkam.web.core import runs
    from openkam.web.core.models import Computation
    from openkam.web.lifetime_value.services import recompute_clv, settings_params
    from openkam.web.profitability.services import recompute_profitability
    from openkam.web.profitability.services import settings_params as profitability

    params = settings_params()
    for key, value in (
        ("model", model),
        ("horizon_years", horizon_years),
        ("discount_rate", discount_rate),
    ):
        if value is not None:
            params[key] = value
    if model:
        params["model_label"] = {"bgnbd": "BG/NBD", "pnbd": "Pareto/NBD"}[model]
    with console.status("computing…") if not as_json else nullcontext():
        if runs.current(Computation.Kind.PROFITABILITY) is None:
            run = runs.run_now(
                Computation.Kind.PROFITABILITY, profitability(), recompute_profitability
            )
            if run.status != Computation.Status.DONE:
                raise fail(f"profitability failed: {run.error}")
        run = runs.run_now(Computation.Kind.CLV, params, recompute_clv)
    if run.status != Computation.Status.DONE:
        raise fail(f"CLV failed: {run.error}")
    s = run.summary
    a = s["assumptions"]
    if as_json:
        typer.echo(
            json.dumps(
                {"run": run.pk, "currency": run.currency, "settings": run.params, **s},
                indent=2,
                default=str,
            )
        )
        return
    console.print(
        f"[green]valued[/] {a['n_valued']:,} of {a['n_customers']:,} accounts with {params['model_label']} + "
        f"Gamma-Gamma; discount rate {params['discount_rate']:.1%} a year over {params['horizon_years']} years."
    )
    console.print(
        f"total CLV on contribution {a['clv_contribution_total']:,.0f} {run.currency} "
        f"(on revenue {a['clv_revenue_total']:,.0f} {run.currency})"
    )
    print_warnings(run.warnings)
