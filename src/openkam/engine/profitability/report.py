"""JSON-ready reports: what ``openkam profitability --json`` prints and the API returns.

Money is a number rounded to the cent (``cents / 100`` as a float, whose shortest repr is the
two-decimal amount); percentages have two decimals; dates are ISO strings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.ledger import Ledger
from openkam.engine.profitability.money import percent, to_cents
from openkam.engine.profitability.periods import Period
from openkam.engine.profitability.price_cost import PriceCostMatrix, price_cost_matrix
from openkam.engine.profitability.segments import segment_totals
from openkam.engine.profitability.waterfall import (
    MONEY_LINES,
    ProfitabilityResult,
    compute_profitability,
)
from openkam.engine.profitability.whale import whale_curve


def profitability_report(ledger: Ledger | str, period: Period = "month", **options) -> dict:
    """The profitability report as a JSON-ready dict (arguments as for
    :func:`~openkam.engine.profitability.compute_profitability`).

    Returns
    -------
    dict
        ``{"currency", "period", "from", "to", "as_of", "cost_of_capital", "rows": [...],
        "pools": [...], "totals": {...}, "warnings": [...]}``. A row has ``account_id``,
        ``period``, ``scope`` ("account", or "subtree" for a parent's roll-up), the money
        lines ``gross_sales`` … ``net_contribution``, ``cost_by_pool`` ({pool: amount}, with
        ``credit_cost`` for the credit cost of payment terms) and ``contribution_margin_pct``
        (null when net sales are zero). A pool has ``pool``, ``period``, ``cost``,
        ``allocated`` and ``unused`` (allocated + unused = cost), with ``capacity``, ``used``
        and ``utilisation_pct``. ``totals`` adds the ``"account"`` rows (never the subtree
        rows); ``warnings`` lists over-capacity pool periods. Every amount is in
        ``currency``, the reporting currency (ISO 4217).
    """
    result = compute_profitability(ledger, period, **options)
    return result_to_dict(result)


def result_to_dict(result: ProfitabilityResult) -> dict:
    """A :class:`ProfitabilityResult` as the report dict of :func:`profitability_report`."""
    by_row = cost_by_pool_per_row(result.cost_by_pool)

    table = result.waterfall
    cents = {name: to_cents(table[name]) for name in MONEY_LINES}
    pct = table["contribution_margin_pct"].to_pylist()
    rows = []
    for i, r in enumerate(table.select(["scope", "account_id", "period"]).to_pylist()):
        row = {"account_id": r["account_id"], "period": r["period"], "scope": r["scope"]}
        row.update({name: _money(cents[name][i]) for name in MONEY_LINES})
        row["cost_by_pool"] = by_row.get((r["scope"], r["account_id"], r["period"]), {})
        row["contribution_margin_pct"] = pct[i]
        rows.append(row)

    return {
        "currency": result.currency,
        "period": result.period,
        "from": _iso(result.date_from),
        "to": _iso(result.date_to),
        "as_of": _iso(result.as_of),
        "cost_of_capital": float(result.cost_of_capital),
        "rows": rows,
        "pools": pools_to_dicts(result.pools),
        "totals": _totals(result, cents),
        "warnings": [w.as_dict() for w in result.warnings],
    }


def cost_by_pool_per_row(cost_by_pool: pa.Table) -> dict[tuple, dict[str, float]]:
    """``{(scope, account_id, period): {pool: amount}}`` of a result's ``cost_by_pool``
    table, amounts as numbers (cents / 100), as the report rows carry them."""
    amounts = (to_cents(cost_by_pool["amount"]) / 100).tolist()
    out: dict[tuple, dict[str, float]] = {}
    for scope, account, period, pool, amount in zip(
        cost_by_pool["scope"].to_pylist(),
        cost_by_pool["account_id"].to_pylist(),
        cost_by_pool["period"].to_pylist(),
        cost_by_pool["pool"].to_pylist(),
        amounts,
        strict=True,
    ):
        out.setdefault((scope, account, period), {})[pool] = amount
    return out


def _totals(result: ProfitabilityResult, cents: dict[str, np.ndarray]) -> dict:
    own = pc.equal(result.waterfall["scope"], "account").to_numpy(zero_copy_only=False)
    sums = {name: int(cents[name][own].sum()) for name in MONEY_LINES}
    pools = result.cost_by_pool.filter(pc.equal(result.cost_by_pool["scope"], "account"))
    by_pool = pools.select(["pool"]).append_column("cents", pa.array(to_cents(pools["amount"])))
    by_pool = by_pool.group_by("pool").aggregate([("cents", "sum")]).sort_by("pool")
    totals = {name: _money(sums[name]) for name in MONEY_LINES}
    totals["cost_by_pool"] = {r["pool"]: _money(r["cents_sum"]) for r in by_pool.to_pylist()}
    totals["contribution_margin_pct"] = percent([sums["net_contribution"]], [sums["net_sales"]])[
        0
    ].as_py()
    totals["accounts"] = len(set(result.waterfall.filter(own)["account_id"].to_pylist()))
    return totals


def pools_to_dicts(pools: pa.Table) -> list[dict]:
    """The pool periods of a result (``ProfitabilityResult.pools``) as the report's dicts."""
    money = {name: to_cents(pools[name]) for name in ("cost", "allocated", "unused")}
    out = []
    for i, r in enumerate(
        pools.select(
            ["pool", "period", "capacity", "used", "utilisation_pct", "driver_unit"]
        ).to_pylist()
    ):
        out.append(
            {
                "pool": r["pool"],
                "period": r["period"],
                "cost": _money(money["cost"][i]),
                "allocated": _money(money["allocated"][i]),
                "unused": _money(money["unused"][i]),
                "capacity": float(r["capacity"]),
                "used": float(r["used"]),
                "driver_unit": r["driver_unit"],
                "utilisation_pct": r["utilisation_pct"],
            }
        )
    return out


def whale_curve_report(ledger: Ledger | str, **options) -> dict:
    """The whale curve over the window as a JSON-ready dict (see
    :func:`~openkam.engine.profitability.whale_curve` for the definition; arguments as for
    :func:`~openkam.engine.profitability.compute_profitability`, without the period).

    Net contribution is summed per account over the years of the window.

    Returns
    -------
    dict
        ``{"currency", "points": [{"rank", "account_id", "net_contribution", "cumulative_contribution",
        "account_share_pct", "cumulative_contribution_pct"}...], "peak_pct",
        "peak_account_share_pct", "accounts", "total_contribution"}``. ``peak_pct`` is the
        highest cumulative share of total contribution, reached after
        ``peak_account_share_pct`` % of the accounts; both are null when there are no
        accounts or the total contribution is not positive.
    """
    result = compute_profitability(ledger, "year", **options)
    return {"currency": result.currency} | whale_to_dict(whale_curve(result))


def whale_to_dict(curve: pa.Table) -> dict:
    """A :func:`whale_curve` table as the dict of :func:`whale_curve_report`."""
    net = to_cents(curve["net_contribution"])
    cumulative = to_cents(curve["cumulative_contribution"])
    points = []
    for i, r in enumerate(
        curve.select(
            ["rank", "account_id", "account_share_pct", "cumulative_contribution_pct"]
        ).to_pylist()
    ):
        points.append(
            {
                "rank": r["rank"],
                "account_id": r["account_id"],
                "net_contribution": _money(net[i]),
                "cumulative_contribution": _money(cumulative[i]),
                "account_share_pct": r["account_share_pct"],
                "cumulative_contribution_pct": r["cumulative_contribution_pct"],
            }
        )
    peak = peak_share = None
    pcts = [p["cumulative_contribution_pct"] for p in points]
    if pcts and pcts[0] is not None:
        best = int(np.argmax(pcts))
        peak, peak_share = pcts[best], points[best]["account_share_pct"]
    return {
        "points": points,
        "peak_pct": peak,
        "peak_account_share_pct": peak_share,
        "accounts": len(points),
        "total_contribution": _money(cumulative[-1]) if len(points) else 0.0,
    }


def price_cost_report(ledger: Ledger | str, **options) -> dict:
    """The customer profitability matrix over the window as a JSON-ready dict (see
    :mod:`~openkam.engine.profitability.price_cost`; arguments as for
    :func:`~openkam.engine.profitability.compute_profitability`, without the period).

    Each account's figures are summed over the years of the window, as for the whale curve.
    """
    result = compute_profitability(ledger, "year", **options)
    own = result.waterfall.filter(pc.equal(result.waterfall["scope"], "account"))
    return {"currency": result.currency} | matrix_to_dict(price_cost_matrix(own))


def segments_report(ledger: Ledger | str, segment_of: dict[str, str | None], **options) -> dict:
    """Profitability per segment of accounts over the window as a JSON-ready dict (see
    :mod:`~openkam.engine.profitability.segments`; ``segment_of`` maps an account to its
    segment; other arguments as for
    :func:`~openkam.engine.profitability.compute_profitability`, without the period).

    Returns ``{"currency", "segments": [{"segment", "accounts", "losing_accounts", "net_sales",
    "gross_margin", "cost_to_serve", "net_contribution", "cts_pct",
    "contribution_margin_pct"}...]}``, each account's figures summed over the window.
    """
    result = compute_profitability(ledger, "year", **options)
    own = result.waterfall.filter(pc.equal(result.waterfall["scope"], "account"))
    return {
        "currency": result.currency,
        "segments": table_to_dicts(segment_totals(own, segment_of)),
    }


def matrix_to_dict(matrix: PriceCostMatrix) -> dict:
    """A :class:`PriceCostMatrix` as a JSON-ready dict: ``{"net_price_pct",
    "cost_to_serve_pct", "quadrants": [{"quadrant", "accounts", "net_sales",
    "net_contribution", "net_sales_share_pct", "contribution_margin_pct"}...],
    "unclassified": {"accounts", "net_contribution"}, "accounts": [{"account_id",
    "gross_sales", "net_sales", "cost_to_serve", "net_contribution", "net_price_pct",
    "cost_to_serve_pct", "quadrant"}...]}`` (money in cents / 100)."""

    return {
        "net_price_pct": matrix.net_price_pct,
        "cost_to_serve_pct": matrix.cost_to_serve_pct,
        "quadrants": table_to_dicts(matrix.quadrants),
        "unclassified": {
            "accounts": matrix.unclassified_accounts,
            "net_contribution": float(matrix.unclassified_contribution),
        },
        "accounts": table_to_dicts(matrix.accounts),
    }


def table_to_dicts(table: pa.Table) -> list[dict]:
    """The rows of ``table`` as dicts, decimal money as numbers (cents / 100)."""
    money = {
        name: to_cents(table[name])
        for name in table.column_names
        if pa.types.is_decimal(table.schema.field(name).type)
    }
    return [
        {name: _money(money[name][i]) if name in money else value for name, value in row.items()}
        for i, row in enumerate(table.to_pylist())
    ]


def _money(cents) -> float:
    return int(cents) / 100


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
