"""Panels this app adds to the account page."""

from __future__ import annotations

from openkam.web.core import runs
from openkam.web.core.derived import of_run, run_key
from openkam.web.core.kept import ACCOUNTS_KEPT, Kept
from openkam.web.core.models import Computation
from openkam.web.profitability.display import pool_label, rounded_percent
from openkam.web.profitability.models import AccountPeriodFigures
from openkam.web.profitability.services import run_periods, run_pools

#: The steps of the waterfall chart: (label, field, sign); a step without a field is a
#: subtotal bar drawn from zero (net sales, gross margin), as a P&L reader expects them.
WATERFALL_STEPS = [
    ("Gross sales", "gross_sales", 1),
    ("Discounts", "discounts", -1),
    ("Rebates", "rebates", -1),
    ("Net sales", None, 0),
    ("Cost of goods", "cogs", -1),
    ("Gross margin", None, 0),
    ("Cost to serve", "cost_to_serve", -1),
]


def profitability_panel(request, account):
    """The account's P&L waterfall for its latest year and cost to serve by pool over time."""
    run = runs.current(Computation.Kind.PROFITABILITY)
    if run is None:
        return {"run": None, "account": account, "currency": None}
    has_subsidiaries = len(account.subtree_ids()) > 1
    requested = request.GET.get("pl_year")
    # A finished run's figures never change: worked out once per account and year shown.
    key = (account.account_id, has_subsidiaries, requested)
    panel = of_run(
        run_key(run),
        key,
        lambda: _profitability(run, account, has_subsidiaries, requested),
        _panels,
    )
    return {**panel, "account": account}


#: The profitability panel of the accounts last shown, per run.
_panels: Kept[dict] = Kept(ACCOUNTS_KEPT)


def _profitability(run, account, has_subsidiaries: bool, requested: str | None) -> dict:
    rows = AccountPeriodFigures.objects.filter(computation=run, account_key=account.account_id)
    years = list(rows.filter(grain="year", rolled_up=False).order_by("period"))
    rolled = (
        {r.period: r for r in rows.filter(grain="year", rolled_up=True)} if has_subsidiaries else {}
    )
    if not years:
        return {"run": run, "account": account, "years": [], "currency": run.currency}
    year = years[-1]
    for y in years:
        if y.period == requested:
            year = y
    own = {q.period: q for q in rows.filter(grain="quarter", rolled_up=False)}
    # Every quarter of the run, so that a quarter without figures shows as an empty bar
    # rather than vanishing from an axis that then looks continuous.
    labels = run_periods(run, "quarter")
    quarters = [own.get(label) for label in labels]
    pools = sorted({p for q in own.values() for p in q.cost_by_pool})
    # A pool keeps its colour from one account to the next: its place among the run's pools.
    colour = {p: i for i, p in enumerate(run_pools(run))}
    trend = {
        "labels": labels,
        "series": [
            {
                "pool": p,
                "label": pool_label(p),
                "colour": colour.get(p, len(colour)),
                "values": [float(q.cost_by_pool.get(p, 0)) if q else 0.0 for q in quarters],
            }
            for p in pools
        ],
    }
    contribution = {
        "labels": labels,
        "contribution": [float(q.net_contribution) if q else 0.0 for q in quarters],
        # Rounded once from the money, to the decimal the chart's tooltip shows.
        "margin_pct": [
            rounded_percent(q.net_contribution, q.net_sales) if q else None for q in quarters
        ],
    }
    return {
        "run": run,
        "currency": run.currency,
        "account": account,
        "years": years,
        "year": year,
        "position": _price_cost_position(run, account.account_id, year.period),
        "rolled": rolled.get(year.period),
        "waterfall": _waterfall(year),
        "trend": trend,
        "contribution": contribution,
        "pool_rows": sorted(year.cost_by_pool.items(), key=lambda kv: -float(kv[1])),
    }


def _price_cost_position(run, account_id: str, year: str) -> dict | None:
    """Where the account sits in the year's customer profitability matrix (None when it has
    no positive gross and net sales)."""
    from openkam.engine.profitability import QUADRANT_LABELS

    positions, portfolio = _matrix_positions(run, year)
    mine = positions.get(account_id)
    if mine is None or mine["quadrant"] is None:
        return None
    return {
        **mine,
        "label": QUADRANT_LABELS[mine["quadrant"]],
        # Unrounded, for the page to round once (the matrix's own have 2 decimals).
        "portfolio_net_price_pct": portfolio["exact_net_price_pct"],
        "portfolio_cost_to_serve_pct": portfolio["exact_cost_to_serve_pct"],
    }


#: ``{(run, finished, year): (each account's place, the portfolio's ratios)}``, the last few.
_positions: Kept[tuple[dict, dict]] = Kept(8)


def _matrix_positions(run, year: str) -> tuple[dict, dict]:
    """Each account's entry in the year's matrix and the portfolio's ratios, worked out once
    per process and run: every account page shows its place, and the matrix and its sums
    span every account (100,000 in a large portfolio: 0.7 s per page when redone)."""
    from openkam.web.profitability.matrix_chart import portfolio_ratios
    from openkam.web.profitability.services import price_cost

    def work_out() -> tuple[dict, dict]:
        matrix = price_cost(run, "year", year) or {"accounts": []}
        return (
            {a["account_id"]: a for a in matrix.get("accounts", [])},
            portfolio_ratios(matrix) if matrix.get("accounts") else {},
        )

    return _positions.get((run.pk, run.finished, year), work_out)


def _waterfall(row) -> list[dict]:
    """Floating bars: each step starts where the previous ended; the last bar is the result."""
    bars, level = [], 0.0
    for label, field, sign in WATERFALL_STEPS:
        if field is None:
            bars.append({"label": label, "from": 0.0, "to": level, "value": level, "sub": True})
            continue
        value = float(getattr(row, field))
        start, end = level, level + sign * value
        bars.append({"label": label, "from": start, "to": end, "value": sign * value})
        level = end
    bars.append(
        {"label": "Net contribution", "from": 0.0, "to": level, "value": level, "total": True}
    )
    return bars


#: The years each account of the run has figures for (a finished run never changes).
_years: Kept[list[str]] = Kept(ACCOUNTS_KEPT)


def _account_years(run, account_id: str) -> list[str]:
    def work_out() -> list[str]:
        return list(
            AccountPeriodFigures.objects.filter(
                computation=run, account_key=account_id, grain="year", rolled_up=False
            )
            .order_by("period")
            .values_list("period", flat=True)
        )

    return of_run(run_key(run), (account_id,), work_out, _years)


def product_mix_panel(request, account):
    """Where the account's gross margin comes from: its product mix in the year the
    profitability card shows, beside the same figures over all accounts."""
    from openkam.web.core.ledger import ledger
    from openkam.web.profitability.services import (
        MIX_LABELS,
        product_mix_of,
        product_names,
        with_bars,
    )

    run = runs.current(Computation.Kind.PROFITABILITY)
    # The years the Profitability panel offers for this account, so that both show the same.
    years = _account_years(run, account.account_id) if run else []
    if not run and (source := ledger()) is not None and source.files("invoices"):
        years = [str(source.column_max("invoices", "invoice_date").year)]
    context = {"account": account, "labels": MIX_LABELS, "mix": None}
    if not years:
        return context
    year = request.GET.get("pl_year") if request.GET.get("pl_year") in years else years[-1]
    by = request.GET.get("mix_by") if request.GET.get("mix_by") in MIX_LABELS else "product_line"
    mix = product_mix_of(year, by, [account.account_id])
    # Buying units belong to one customer: there is nothing to compare them with.
    everyone = product_mix_of(year, by) if by != "business_unit" else None
    others = {r["key"]: r for r in everyone["rows"]} if everyone else {}
    names = product_names() if by == "product" else {}
    for row in with_bars(mix["rows"] if mix else [], names):
        row["all"] = others.get(row["key"])
    return context | {
        "mix": mix,
        "year": year,
        "by": by,
        "by_label": MIX_LABELS[by],
        "compared": bool(others),
    }
