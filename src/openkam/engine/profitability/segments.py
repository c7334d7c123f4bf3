"""Profitability by segment: the accounts' waterfalls added up per group of accounts.

A sales director compares groups of accounts (key accounts against the rest, industries,
regions, the accounts of each key account manager) by what they leave after the cost to
serve them, not by their sales: the sums of net sales, gross margin, cost to serve and net
contribution per segment, with the ratios formed from those sums (cost to serve in % of net
sales; contribution margin = net contribution ÷ net sales), and the number of accounts that
lose money. Sums are exact, in cents.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from openkam.engine.profitability.money import cents_to_decimal, percent, to_cents

#: The money columns summed per segment.
SEGMENT_SUMS = ("net_sales", "gross_margin", "cost_to_serve", "net_contribution")
#: The segment of accounts that have none (no industry recorded, no KAM…).
NO_SEGMENT = "(none)"


def segment_totals(figures: pa.Table, segment_of: Mapping[str, str | None]) -> pa.Table:
    """Add up ``figures`` (``account_id`` and the decimal :data:`SEGMENT_SUMS`; several rows
    of an account are added first) per segment, ``segment_of[account_id]``.

    Returns
    -------
    pyarrow.Table
        One row per segment, by net contribution, highest first (ties by name): segment,
        accounts, losing_accounts (net contribution < 0), the sums (``decimal128(18, 2)``),
        cts_pct and contribution_margin_pct (float64, 2 decimals; null when net sales are ≤ 0).
    """
    missing = [c for c in ("account_id", *SEGMENT_SUMS) if c not in figures.column_names]
    if missing:
        raise ValueError(f"segment_totals needs the columns {', '.join(missing)}")
    per_account = figures.select(["account_id", *SEGMENT_SUMS]).group_by("account_id")
    per_account = per_account.aggregate([(c, "sum") for c in SEGMENT_SUMS])
    ids = per_account["account_id"].to_pylist()
    cents = {c: to_cents(per_account[f"{c}_sum"]) for c in SEGMENT_SUMS}
    labels = [segment_of.get(a) or NO_SEGMENT for a in ids]
    names, code = np.unique(np.array(labels, dtype=object), return_inverse=True)
    code = code.reshape(-1)
    n = len(names)
    sums = {}
    for c in SEGMENT_SUMS:
        # np.add.at keeps int64 (bincount would go through float64 and could round cents).
        sums[c] = np.zeros(n, dtype=np.int64)
        np.add.at(sums[c], code, cents[c])
    accounts = np.bincount(code, minlength=n).astype(np.int64)
    losing = np.bincount(code, weights=cents["net_contribution"] < 0, minlength=n)
    order = sorted(range(n), key=lambda i: (-int(sums["net_contribution"][i]), names[i]))
    net = sums["net_sales"][order]
    return pa.table(
        {
            "segment": pa.array([str(names[i]) for i in order], pa.string()),
            "accounts": pa.array(accounts[order], pa.int64()),
            "losing_accounts": pa.array(losing[order].astype(np.int64), pa.int64()),
            **{c: cents_to_decimal(sums[c][order]) for c in SEGMENT_SUMS},
            "cts_pct": percent(sums["cost_to_serve"][order], net),
            "contribution_margin_pct": percent(sums["net_contribution"][order], net),
        }
    )
