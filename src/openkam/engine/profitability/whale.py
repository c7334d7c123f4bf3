"""The whale curve of cumulative account profitability.

Accounts are sorted by net contribution, most profitable first; point *i* plots the share of
accounts ranked 1..i (x, %) against their cumulative contribution as a share of the total
contribution of all accounts (y, %). The curve rises above 100 % while profitable accounts
are added and falls back to 100 % as loss-making ones follow; its peak, typically 150–300 %,
is the profit the best accounts make before the worst ones destroy part of it (Kaplan &
Cooper, *Cost & Effect*, 1998, ch. 10; Shapiro, Rangan, Moriarty & Ross, "Manage Customers
for Profits (Not Just Sales)", HBR 65(5), 1987).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.profitability.money import cents_to_decimal, to_cents
from openkam.engine.profitability.waterfall import ProfitabilityResult


def whale_curve(result: ProfitabilityResult) -> pa.Table:
    """The whale curve of the accounts in a result, over all its periods.

    Only ``scope == "account"`` rows count (subtree rows would count subsidiaries twice).
    See :func:`whale_curve_of` for the table returned.
    """
    own = result.waterfall.filter(pc.equal(result.waterfall["scope"], "account"))
    return whale_curve_of(own)


def whale_curve_of(figures: pa.Table) -> pa.Table:
    """The whale curve of ``figures`` (``account_id`` and a decimal ``net_contribution``;
    several rows of an account, e.g. its periods, are added up first).

    Returns
    -------
    pyarrow.Table
        One row per account, in rank order: rank, account_id, net_contribution
        (``decimal128(18, 2)``), cumulative_contribution, account_share_pct and
        cumulative_contribution_pct (float64; null when the total contribution is not
        positive, where shares of the total mean nothing). Ties are broken by account_id.
    """
    per_account = figures.select(["account_id"]).append_column(
        "cents", pa.array(to_cents(figures["net_contribution"]))
    )
    per_account = per_account.group_by("account_id").aggregate([("cents", "sum")])
    ids = np.array(per_account["account_id"].to_pylist(), dtype=object)
    cents = per_account["cents_sum"].to_numpy()
    order = np.lexsort((ids, -cents)) if len(ids) else np.array([], dtype=np.int64)
    ids, cents = ids[order], cents[order]
    cumulative = np.cumsum(cents)
    n = len(ids)
    total = int(cumulative[-1]) if n else 0
    ranks = np.arange(1, n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.round(100.0 * ranks / n, 2) if n else np.zeros(0)
        curve = np.round(100.0 * cumulative / total, 2) if total > 0 else np.zeros(n)
    return pa.table(
        {
            "rank": pa.array(ranks, pa.int64()),
            "account_id": pa.array(ids.tolist(), pa.string()),
            "net_contribution": cents_to_decimal(cents),
            "cumulative_contribution": cents_to_decimal(cumulative),
            "account_share_pct": pa.array(share, pa.float64()),
            "cumulative_contribution_pct": pa.array(
                curve, pa.float64(), mask=np.full(n, total <= 0)
            ),
        }
    )
