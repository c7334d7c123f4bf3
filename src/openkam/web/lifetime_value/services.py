"""Customer lifetime value in the web app: its assumptions, background recomputation,
storage.

The models come from ``openkam.engine.clv``; the value of an order is the account's net
contribution after cost to serve (from the current profitability figures), so CLV measures
what the relationship is worth to us, not what it turns over.
"""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
from django.conf import settings
from django.db import transaction
from django_tasks import task

from openkam.engine.ledger import Ledger
from openkam.engine.money_lines import Conversion
from openkam.web.core.concurrency import save_versioned
from openkam.web.lifetime_value.models import ClvSettings


def update_settings(values: dict, user) -> dict:
    """Change the CLV assumptions (champion/admin); refused if someone changed them meanwhile."""
    current = ClvSettings.load_for_update()
    expected = values.pop("version", None)
    with transaction.atomic():
        return save_versioned(current, values, expected, user=user)


def settings_params() -> dict:
    """The assumptions a CLV run uses, recorded with the run and shown beside every figure."""
    s = ClvSettings.load()
    return {
        "model": s.model,
        "model_label": s.get_model_display(),
        "discount_rate": float(s.discount_rate),
        "horizon_years": s.horizon_years,
        "time_unit": s.time_unit,
    }


# --- recomputation ---------------------------------------------------------------------------

#: The holdout check keeps the last part of the history out of the fit: a third of it, at
#: most a year, so the models are judged on what they did not see.
HOLDOUT_SHARE = 1 / 3
MAX_HOLDOUT_DAYS = 365


def _transactions(as_of=None):
    """Invoice lines as purchase records: account, day, invoiced value (after discounts);
    with ``as_of``, only the lines up to that day (a CLV as it stood then)."""
    from openkam.web.core.ledger import table

    if table("invoices") is None:
        raise ValueError("the ledger has no invoices: import invoices first")
    # In the reporting currency, each line rounded once (openkam.engine.money_lines).
    conversion = Conversion.of(Ledger(Path(settings.DATA_DIR)), settings.OPENKAM_REPORTING_CURRENCY)
    conversion.check()
    invoices = conversion.invoices()
    if as_of is not None:
        invoices = invoices.filter(nw.col("invoice_date") <= as_of)
    return invoices.with_columns(
        value=(nw.col("gross_amount") - nw.col("discount_amount")).cast(nw.Float64)
    ).select("account_id", "invoice_date", "value")


def _margins(as_of=None):
    """Net contribution per unit of invoiced sales, per account, credibility-weighted.

    An order's value in the CLV is its invoiced amount; multiplied by this ratio it becomes
    the order's net contribution after rebates, cost of goods and cost to serve. Each
    account's own ratio over its stored years is blended with the portfolio's by how much
    business it rests on (Bühlmann–Straub, :mod:`openkam.engine.clv.credibility`), so that
    one small loss-making order does not value millions of expected sales at −165 %.
    """
    from openkam.engine.clv.credibility import credible_margins
    from openkam.web.profitability.figures import figures_by_account

    figures = figures_by_account(grain="year")
    if as_of is not None:
        # A CLV as of a past day knows only the years up to that day.
        figures = figures.filter(period__lte=str(as_of.year))
    rows = list(figures.values_list("account_key", "net_contribution", "invoiced_sales"))
    return credible_margins(
        [r[0] for r in rows], [float(r[1]) for r in rows], [float(r[2]) for r in rows]
    )


def compute(params: dict, report=None) -> tuple[dict, list, dict]:
    """Fit the models on the ledger and value every account; no database writes."""
    import datetime as dt

    import numpy as np
    import pyarrow as pa

    from openkam.engine.clv import (
        BetaGeoModel,
        GammaGammaModel,
        ParetoNBDModel,
        customer_lifetime_value,
        holdout_check,
        summarise_transactions,
    )

    def step(stage: str, fraction: float) -> None:
        if report:
            report(stage, fraction)

    # ``as_of`` (ISO date): value the accounts on the ledger up to that day, e.g. for the
    # scorecards' dated CLV snapshots; ``holdout`` False skips the holdout check.
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    credible = _margins(as_of)
    margins = credible.margins
    if not margins:
        raise ValueError(
            "no profitability figures: recompute profitability first (CLV values orders at their contribution)"
        )
    tx = _transactions(as_of)
    span = (
        tx.select(first=nw.col("invoice_date").min(), last=nw.col("invoice_date").max())
        .collect()
        .to_arrow()
        .to_pylist()[0]
    )
    first, last = span["first"], span["last"]
    unit = params.get("time_unit", "week")
    purchase_class = ParetoNBDModel if params.get("model") == "pnbd" else BetaGeoModel
    warnings: list[str] = []

    step("checking the model on a holdout period", 0.1)
    holdout_days = min(MAX_HOLDOUT_DAYS, int((last - first).days * HOLDOUT_SHARE))
    calibration_end = last - dt.timedelta(days=holdout_days)
    holdout = None
    try:
        if not params.get("holdout", True):
            raise ValueError("not asked for")
        check_summary = summarise_transactions(
            tx,
            customer_col="account_id",
            date_col="invoice_date",
            value_col="value",
            calibration_end=calibration_end,
            holdout_end=last,
            time_unit=unit,
        )
        check_model = purchase_class()
        check_model.fit(check_summary)
        holdout = holdout_check(check_model, check_summary)
        holdout["calibration_end"] = calibration_end.isoformat()
        holdout["holdout_end"] = last.isoformat()
    except ValueError as exc:
        warnings.append(f"holdout check skipped: {exc}")

    step("fitting on the whole history", 0.4)
    summary = summarise_transactions(
        tx,
        customer_col="account_id",
        date_col="invoice_date",
        value_col="value",
        calibration_end=last,
        time_unit=unit,
    )
    purchases = purchase_class()
    fit = purchases.fit(summary)
    # Gamma-Gamma describes positive spend per repeat occasion; accounts whose repeat
    # occasions net to zero or less (returns outweigh sales) are left out of its fit and
    # get an explicit reason instead of a value.
    monetary = summary.table.column("monetary_value").to_numpy(zero_copy_only=False)
    frequency = summary.table.column("frequency").to_numpy(zero_copy_only=False)
    spenders = summary.table.filter(pa.array((frequency > 0) & (monetary > 0)))
    if spenders.num_rows < summary.table.num_rows:
        left_out = int(((frequency > 0) & (monetary <= 0)).sum())
        if left_out:
            warnings.append(
                f"{left_out} account(s) with repeat orders worth zero or less in total were left out of the spend model"
            )
    spend = GammaGammaModel()
    spend_fit = spend.fit(spenders, time_unit=unit)
    warnings += list(summary.warnings) + list(fit.warnings) + list(spend_fit.warnings)

    step("valuing every account", 0.7)
    # The valuation gives accounts with a net spend of zero or less a reason instead of a
    # value; its input check wants no negative means, so those are passed as zero.
    to_value = summary.table.set_column(
        summary.table.column_names.index("monetary_value"),
        "monetary_value",
        pa.array(np.maximum(monetary, 0.0)),
    )
    months = 12 * int(params.get("horizon_years", 5))
    lifetime = customer_lifetime_value(
        purchases,
        spend,
        to_value,
        margin=margins,
        discount_rate=float(params.get("discount_rate", 0.10)),
        horizon=months,
        period="month",
    )
    next_year = customer_lifetime_value(
        purchases,
        spend,
        to_value,
        margin=margins,
        discount_rate=0.0,
        horizon=12,
        period="month",
    )
    year_rows = {r["customer_id"]: r for r in next_year.table.to_pylist()}
    values = []
    for r in lifetime.table.to_pylist():
        y = year_rows[r["customer_id"]]
        value = {
            "account_key": r["customer_id"],
            "probability_alive": _finite(r["probability_alive"]),
            "expected_orders_12m": _finite(y["expected_occasions"]),
            "expected_contribution_12m": _finite(y["clv_contribution"]),
            "clv_contribution": _finite(r["clv_contribution"]),
            "clv_revenue": _finite(r["clv_revenue"]),
            "reason": r["reason"] or "",
        }
        if value["clv_contribution"] is None and not value["reason"]:
            # Never a silent gap: say why there is no figure.
            value["reason"] = "the models gave no finite value for this account's history"
        values.append(value)
    step("storing", 0.9)
    summary_out = {
        "model": fit.model,
        "params": fit.params,
        "std_errors": fit.std_errors,
        "log_likelihood": fit.log_likelihood,
        "n_customers": fit.n_customers,
        "converged": fit.converged,
        "spend_model": {
            "params": spend_fit.params,
            "std_errors": spend_fit.std_errors,
            "n_customers": spend_fit.n_customers,
        },
        "calibration_end": last.isoformat(),
        "holdout": holdout,
        "holdout_window": f"{calibration_end.isoformat()} to {last.isoformat()}" if holdout else "",
        "assumptions": lifetime.to_dict(),
        "valued": int(np.sum([v["reason"] == "" for v in values])),
        # The margins' credibility (Bühlmann–Straub): the portfolio's margin, and k, the
        # sales at which an account's own margin gets half the weight.
        "margin_credibility": {
            "portfolio_margin": credible.portfolio,
            "k": credible.k,
        },
    }
    params["calibration_end"] = last.isoformat()
    return values, warnings, summary_out


def _finite(x):
    """The number, or None when it is missing or not finite (NaN or infinite)."""
    import math

    return x if x is not None and math.isfinite(x) else None


def store(run, values: list[dict]) -> None:
    from decimal import Decimal

    from openkam.web.core.bulk import analyze_after_commit
    from openkam.web.lifetime_value.models import AccountValue

    def money(v):
        return None if v is None else Decimal(str(round(v, 2)))

    AccountValue.objects.bulk_create(
        [
            AccountValue(
                computation=run,
                account_key=v["account_key"],
                probability_alive=v["probability_alive"],
                expected_orders_12m=v["expected_orders_12m"],
                expected_contribution_12m=money(v["expected_contribution_12m"]),
                clv_contribution=money(v["clv_contribution"]),
                clv_revenue=money(v["clv_revenue"]),
                reason=v["reason"][:300],
            )
            for v in values
        ],
        batch_size=5000,
    )
    analyze_after_commit(AccountValue, len(values))
    # Every CLV run is kept as a dated snapshot, so the value built over a period can be
    # measured (scorecards' ΔCLV); results of older runs are pruned, snapshots are not.
    try:
        from openkam.web.scorecards.services import snapshot_run
    except ImportError:  # pragma: no cover - scorecards not installed
        return
    snapshot_run(run, values)


@task()
def recompute_clv(run_id: int) -> None:
    """Background task: refit the CLV models and value every account."""
    from openkam.web.core.models import Computation
    from openkam.web.core.runs import run_with_tracking

    def work(run, report):
        values, warnings, summary = compute(run.params, report)
        Computation.objects.filter(pk=run.pk).update(params=run.params)
        return values, warnings, summary

    run_with_tracking(run_id, work, store)
