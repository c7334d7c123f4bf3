"""The customer profitability matrix: net price realised against the cost to serve.

Shapiro, Rangan, Moriarty & Ross ("Manage Customers for Profits (Not Just Sales)", HBR 65(5),
1987) place each account by the price it pays and by what it costs to serve, which tells a
sales director *why* an account earns or loses what the whale curve shows:

- **carriage trade**: pays a high price and costs much to serve (demanding, and pays for it);
- **passive**: pays a high price and costs little (valuable; protect it, but it may be
  under-served or an easy target for competitors);
- **bargain basement**: pays a low price and costs little (price-driven, self-sufficient);
- **aggressive**: pays a low price and costs much to serve (uses its buying power on both
  price and service: the usual place of the loss-making "whales").

With many products "price" is measured as the **net price realisation**: net sales as a
percentage of gross sales at list price (what is left after on-invoice discounts, rebates
and allowances). The cost to serve is measured relative to the business it brings, as
**cost to serve in % of net sales**. An account is "high" on an axis when it is at or above
the portfolio's own ratio (Σ net sales / Σ gross sales, Σ cost to serve / Σ net sales over
the classified accounts): the split asks whether the account pays more, or costs more, than
the portfolio as a whole. Accounts without positive gross and net sales have neither ratio
and are counted as not classified.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa

from openkam.engine.profitability.money import cents_to_decimal, to_cents

#: The quadrants, in the order they are reported: (name, high price?, high cost?).
QUADRANTS = (
    ("carriage_trade", True, True),
    ("passive", True, False),
    ("bargain_basement", False, False),
    ("aggressive", False, True),
)
#: Readable names of the quadrants.
QUADRANT_LABELS = {
    "carriage_trade": "Carriage trade",
    "passive": "Passive",
    "bargain_basement": "Bargain basement",
    "aggressive": "Aggressive",
}
#: The money columns the matrix reads, one row per account (or several, which are added).
INPUT_COLUMNS = ("gross_sales", "net_sales", "cost_to_serve", "net_contribution")


@dataclass(frozen=True)
class PriceCostMatrix:
    """The matrix of a set of accounts.

    Attributes
    ----------
    accounts
        One row per account, sorted by account_id: account_id, the :data:`INPUT_COLUMNS`
        (``decimal128(18, 2)``), net_price_pct and cost_to_serve_pct (float64, null when not
        classified) and quadrant (null when not classified).
    net_price_pct, cost_to_serve_pct
        The portfolio's ratios that split the axes (null when no account is classified).
    quadrants
        One row per quadrant in :data:`QUADRANTS` order: quadrant, accounts, net_sales,
        net_contribution, net_sales_share_pct (of the classified accounts' net sales) and
        contribution_margin_pct (null when net sales are ≤ 0).
    unclassified
        Accounts without positive gross and net sales, and their net contribution.
    """

    accounts: pa.Table
    net_price_pct: float | None
    cost_to_serve_pct: float | None
    quadrants: pa.Table
    unclassified_accounts: int
    unclassified_contribution: Decimal


def price_cost_matrix(figures: pa.Table) -> PriceCostMatrix:
    """Classify accounts by net price realisation and cost to serve (see the module notes).

    ``figures`` has ``account_id`` and the decimal :data:`INPUT_COLUMNS`; rows of the same
    account are added first, so the figures of several periods make one point per account.
    """
    summed = _per_account(figures)
    cents = {name: to_cents(summed[name]) for name in INPUT_COLUMNS}
    gross, net, cts = cents["gross_sales"], cents["net_sales"], cents["cost_to_serve"]
    classified = (gross > 0) & (net > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        price_pct = np.where(classified, 100.0 * net / gross, np.nan)
        cost_pct = np.where(classified, 100.0 * cts / net, np.nan)
    price_cut = cost_cut = None
    if classified.any():
        # Integer sums are exact; the ratios are formed once, from the exact totals.
        price_cut = 100.0 * int(net[classified].sum()) / int(gross[classified].sum())
        cost_cut = 100.0 * int(cts[classified].sum()) / int(net[classified].sum())
    quadrant = np.full(len(gross), None, dtype=object)
    members = {}
    for name, high_price, high_cost in QUADRANTS:
        keep = classified.copy()
        if price_cut is not None:
            keep &= (price_pct >= price_cut) == high_price
            keep &= (cost_pct >= cost_cut) == high_cost
        quadrant[keep] = name
        members[name] = keep
    accounts = summed.append_column(
        "net_price_pct", pa.array(np.round(price_pct, 2), pa.float64(), mask=~classified)
    )
    accounts = accounts.append_column(
        "cost_to_serve_pct", pa.array(np.round(cost_pct, 2), pa.float64(), mask=~classified)
    ).append_column("quadrant", pa.array(quadrant.tolist(), pa.string()))
    classified_net = int(net[classified].sum())
    rows = []
    for name, _, _ in QUADRANTS:
        keep = members[name]
        q_net, q_contribution = int(net[keep].sum()), int(cents["net_contribution"][keep].sum())
        rows.append(
            {
                "quadrant": name,
                "accounts": int(keep.sum()),
                "net_sales": q_net,
                "net_contribution": q_contribution,
                "net_sales_share_pct": _pct(q_net, classified_net),
                "contribution_margin_pct": _pct(q_contribution, q_net),
            }
        )
    quadrants = pa.table(
        {
            "quadrant": pa.array([r["quadrant"] for r in rows], pa.string()),
            "accounts": pa.array([r["accounts"] for r in rows], pa.int64()),
            "net_sales": cents_to_decimal(np.array([r["net_sales"] for r in rows], np.int64)),
            "net_contribution": cents_to_decimal(
                np.array([r["net_contribution"] for r in rows], np.int64)
            ),
            "net_sales_share_pct": pa.array([r["net_sales_share_pct"] for r in rows], pa.float64()),
            "contribution_margin_pct": pa.array(
                [r["contribution_margin_pct"] for r in rows], pa.float64()
            ),
        }
    )
    return PriceCostMatrix(
        accounts=accounts,
        net_price_pct=None if price_cut is None else round(price_cut, 2),
        cost_to_serve_pct=None if cost_cut is None else round(cost_cut, 2),
        quadrants=quadrants,
        unclassified_accounts=int((~classified).sum()),
        unclassified_contribution=Decimal(int(cents["net_contribution"][~classified].sum())).scaleb(
            -2
        ),
    )


def _per_account(figures: pa.Table) -> pa.Table:
    missing = [c for c in ("account_id", *INPUT_COLUMNS) if c not in figures.column_names]
    if missing:
        raise ValueError(f"price_cost_matrix needs the columns {', '.join(missing)}")
    grouped = figures.select(["account_id", *INPUT_COLUMNS]).group_by("account_id")
    summed = grouped.aggregate([(c, "sum") for c in INPUT_COLUMNS])
    summed = summed.rename_columns([c.removesuffix("_sum") for c in summed.column_names])
    summed = summed.sort_by("account_id")
    return pa.table(
        {
            "account_id": summed["account_id"],
            **{c: cents_to_decimal(to_cents(summed[c])) for c in INPUT_COLUMNS},
        }
    )


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None
