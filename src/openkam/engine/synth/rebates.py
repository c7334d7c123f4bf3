"""Rebates and off-invoice allowances, from what each account was invoiced.

Three kinds, as a sales-finance ledger records them:

* ``volume``: a contractual rate on the period's invoiced sales (yearly; quarterly for the
  largest accounts), paid only when the period reaches the agreed threshold;
* ``early-payment``: a 2 % cash discount (Skonto) on invoices paid within 10 days;
* ``marketing``: quarterly allowances for co-marketing, mostly retail and consumer goods.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa

from openkam.engine.schema import MONEY, REBATES
from openkam.engine.synth.columns import dates, decimals, numbered_ids, pick
from openkam.engine.synth.ledger import Totals
from openkam.engine.synth.profiles import Accounts
from openkam.engine.synth.timeline import Calendar

EARLY_PAYMENT_RATE = 0.02
#: A volume rebate is paid when the period reaches this share of the account's usual volume.
VOLUME_THRESHOLD = 0.7
KINDS = pa.array(["volume", "early-payment", "marketing"])


def _periods(sales: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum months into periods of ``length`` months; also return each period's last month."""
    months = sales.shape[1]
    starts = np.arange(0, months, length)
    return np.add.reduceat(sales, starts, axis=1), np.minimum(starts + length, months) - 1


def rebates(
    acc: Accounts, totals: Totals, cal: Calendar, account_ids: pa.Array, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray]:
    """The ``rebates`` table, sorted by date, with ids ``REB-00000001`` …, and the total
    rebates per account in cents."""
    acct, day, amount, kind = [], [], [], []

    def add(a, d, cents, k):
        keep = cents > 0
        acct.append(a[keep])
        day.append(d[keep])
        amount.append(cents[keep])
        kind.append(np.full(int(keep.sum()), k))

    inv = totals.invoiced
    for length, mask in ((12, ~acc.quarterly_rebate), (3, acc.quarterly_rebate)):
        holders = np.flatnonzero((acc.volume_rebate > 0) & mask)
        if not len(holders):
            continue
        sales, last = _periods(inv[holders], length)
        # A period the window cuts short (the current year of a demo that runs to last
        # month) is not over: its rebate is not due yet, and its sales are not a usual volume.
        complete = (np.arange(sales.shape[1]) + 1) * length <= inv.shape[1]
        positive = np.where((sales > 0) & complete, sales, np.nan)
        with warnings.catch_warnings():
            # An account that never bought has no usual volume (and gets no rebate).
            warnings.simplefilter("ignore", RuntimeWarning)
            usual = np.nan_to_num(np.nanmedian(positive, axis=1), nan=np.inf)
        reached = (sales >= VOLUME_THRESHOLD * usual[:, None]) & complete
        cents = np.rint(np.where(reached, sales, 0) * acc.volume_rebate[holders][:, None])
        a = np.repeat(holders, sales.shape[1])
        d = np.tile(cal.month_hi[last] - 1, len(holders))
        add(a, d, cents.ravel(), 0)

    early = np.rint(totals.paid_early * EARLY_PAYMENT_RATE)
    a = np.repeat(np.arange(acc.n), inv.shape[1])
    add(a, np.tile(cal.month_hi - 1, acc.n), early.ravel(), 1)

    sponsored = np.flatnonzero(acc.marketing_rate > 0)
    if len(sponsored):
        sales, last = _periods(inv[sponsored], 3)
        rate = acc.marketing_rate[sponsored][:, None] * rng.uniform(0.7, 1.3, sales.shape)
        # Allowances are agreed as round sums.
        cents = np.rint(np.maximum(sales, 0) * rate / 5000) * 5000
        mid = np.minimum(cal.month_lo[np.maximum(last - 1, 0)] + 14, cal.end - 1)
        add(np.repeat(sponsored, sales.shape[1]), np.tile(mid, len(sponsored)), cents.ravel(), 2)

    acct_a = np.concatenate(acct).astype(np.int64)
    day_a = np.concatenate(day).astype(np.int64)
    cents_a = np.concatenate(amount).astype(np.int64)
    kind_a = np.concatenate(kind).astype(np.int64)
    order = np.lexsort((kind_a, acct_a, day_a))
    acct_a, day_a, cents_a, kind_a = acct_a[order], day_a[order], cents_a[order], kind_a[order]
    per_account = np.bincount(acct_a, weights=cents_a, minlength=acc.n)
    table = pa.Table.from_arrays(
        [
            pick(account_ids, acct_a),
            dates(day_a),
            numbered_ids("REB-", np.arange(1, len(acct_a) + 1), 8),
            decimals(cents_a, MONEY),
            pick(KINDS, kind_a),
        ],
        schema=REBATES.schema_without("currency"),
    )
    return table, per_account
