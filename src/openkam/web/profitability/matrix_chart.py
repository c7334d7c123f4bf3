"""The customer profitability matrix as the Profitability page draws it.

The numbers come from ``openkam.engine.profitability.price_cost``; this module adds the
accounts' names, the quadrants' names and the chart's axes, chosen so that a few extreme
accounts do not squeeze the others into a corner.
"""

from __future__ import annotations

import math
from decimal import Decimal

from openkam.engine.profitability import QUADRANT_LABELS
from openkam.web.accounts.models import Account
from openkam.web.profitability.display import decimal_of, percent_of


def matrix_context(matrix: dict) -> dict:
    """The customer profitability matrix as the page shows it: quadrants with their names,
    and the chart's points and axes (the extreme 2 % of accounts are drawn on the edge)."""
    placed = [a for a in matrix["accounts"] if a["quadrant"]]
    portfolio = portfolio_ratios(matrix)
    names = dict(
        Account.objects.filter(account_id__in=[a["account_id"] for a in placed]).values_list(
            "account_id", "name"
        )
    )
    points = [
        {
            "x": a["cost_to_serve_pct"],
            "y": a["net_price_pct"],
            "value": a["net_sales"],
            "id": a["account_id"],
            "name": names.get(a["account_id"], a["account_id"]),
            "group": a["quadrant"],
            "contribution": a["net_contribution"],
        }
        for a in placed
    ]
    xs = sorted(p["x"] for p in points if p["x"] > 0)
    ys = sorted(p["y"] for p in points)
    return {
        **matrix,
        **portfolio,
        "quadrant_rows": [
            {**q, "label": QUADRANT_LABELS[q["quadrant"]]} for q in matrix["quadrants"]
        ],
        "chart": {
            "points": points,
            "thresholds": {"x": matrix["cost_to_serve_pct"], "y": matrix["net_price_pct"]},
            "labels": QUADRANT_LABELS,
            # Cost to serve in % of net sales spans orders of magnitude (a small account can
            # cost more than it buys): a log axis keeps the bulk of the accounts apart.
            "axes": {
                "x": {
                    "type": "logarithmic",
                    "min": _nice(_quantile(xs, 0.01), down=True),
                    "max": _nice(_quantile(xs, 0.99), down=False),
                },
                "y": {
                    "min": 5 * (_quantile(ys, 0.01) // 5),
                    "max": max(100.0, 5 * math.ceil(ys[-1] / 5) if ys else 0),
                },
            },
        },
    }


def portfolio_ratios(matrix: dict) -> dict:
    """The portfolio's ratios that split the matrix, unrounded, from the sums of the
    classified accounts' money (as the engine forms them), for a page to round once; and
    those accounts' net sales, the base of each quadrant's share."""
    placed = [a for a in matrix["accounts"] if a["quadrant"]]
    gross, net, cts = (
        sum((decimal_of(a[name]) for a in placed), Decimal(0))
        for name in ("gross_sales", "net_sales", "cost_to_serve")
    )
    return {
        "classified_net_sales": net,
        "exact_net_price_pct": percent_of(net, gross),
        "exact_cost_to_serve_pct": percent_of(cts, net),
    }


def _quantile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] if values else 1.0


def _nice(value: float, down: bool) -> float:
    """The nearest 1, 2 or 5 × 10^k at or below (``down``) or above ``value`` > 0."""
    exponent = math.floor(math.log10(value))
    steps = [m * 10.0**e for e in (exponent - 1, exponent, exponent + 1) for m in (1, 2, 5)]
    return max(s for s in steps if s <= value) if down else min(s for s in steps if s >= value)
