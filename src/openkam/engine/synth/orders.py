"""How many orders each account places in each month: a BG/NBD-like buying process.

Each account buys as a Poisson process whose rate is gamma-distributed across accounts
(times a size effect, a growth trend, seasonality and business days), and after every
purchase it may drop out for good: the number of purchases before dropout is geometric with
probability ``p`` (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
alternative to the Pareto/NBD model", *Marketing Science* 24(2), assumptions (i)–(v)).

To hit the requested number of invoice lines, one global scale ``c`` of the purchase rates is
solved for by bisection. The counts are drawn by inverse CDF from uniforms fixed before the
search, so the expected line count is monotone in ``c`` and the search is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from openkam.engine.synth.profiles import Accounts
from openkam.engine.synth.timeline import BUSINESS_DAYS_PER_YEAR, SEASONALITY, Calendar

#: Expected lines of a credit note (1 + Poisson(0.4)).
RETURN_LINES = 1.4
#: Share of the growth trend that shows in order frequency; the rest shows in order size.
FREQUENCY_SHARE = 0.6
#: Invoice lines per account and year at which the catalogue of service rates is calibrated.
REFERENCE_DENSITY = 167.0


@dataclass
class OrderPlan:
    """Sales orders and credit notes per account (rows) and month (columns)."""

    orders: np.ndarray
    returns: np.ndarray
    #: Orders per year of each account at the start of its relationship.
    lam: np.ndarray
    #: Years since acquisition at the middle of each month (0 before acquisition).
    age: np.ndarray
    #: Month of each account's first purchase.
    acq_month: np.ndarray
    #: Expected invoice lines of the plan (the realised count differs by sampling noise).
    expected_lines: float

    @property
    def active(self) -> np.ndarray:
        """(accounts, months): acquired and not yet past the month after its last order."""
        bought = self.orders > 0
        months = np.arange(self.orders.shape[1])
        last = np.where(bought.any(1), self.orders.shape[1] - 1 - np.argmax(bought[:, ::-1], 1), -1)
        return (months[None, :] >= self.acq_month[:, None]) & (months[None, :] <= last[:, None] + 1)


#: Below this mean the Poisson quantile is computed exactly, above it by Cornish–Fisher.
EXACT_POISSON_BELOW = 30.0


def poisson_quantile(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson quantiles ``F⁻¹(u; mean)``, vectorised and non-decreasing in ``mean``.

    Exact (summing the probability mass) below ``EXACT_POISSON_BELOW``; above, the
    Cornish–Fisher expansion ``mean + √mean·z + (z² − 1)/6`` with ``z = Φ⁻¹(u)``, which is
    within one count of the exact quantile there and much cheaper than ``scipy``'s search.
    """
    u = np.asarray(u, dtype=float)
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    out = np.empty(len(mean))
    small = mean < EXACT_POISSON_BELOW
    ms, us = mean[small], u[small]
    k = np.zeros(len(ms))
    p = np.exp(-ms)
    cdf = p.copy()
    todo = us > cdf
    j = 0
    while todo.any():
        j += 1
        p = p * ms / j
        k += todo
        cdf += p
        todo &= us > cdf
        if j > 200:  # float round-off can leave u above the summed mass
            break
    out[small] = k
    mb, z = mean[~small], special.ndtri(u[~small])
    out[~small] = np.maximum(np.floor(mb + np.sqrt(mb) * z + (z * z - 1) / 6 + 0.5), 0)
    return out


def _exposure(acc: Accounts, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Ordering intensity per account and month (in years of ordering) and account age."""
    acq_day = cal.business_days[acc.acq_bd]
    first = np.maximum(cal.bd_lo[None, :], acc.acq_bd[:, None])
    days = np.clip(cal.bd_hi[None, :] - first, 0, None)
    mid = (cal.month_lo + cal.month_hi) / 2
    age = np.clip((mid[None, :] - acq_day[:, None]) / 365.25, 0, None)
    trend = np.exp(FREQUENCY_SHARE * acc.growth[:, None] * age)
    season = SEASONALITY[cal.month_of_year - 1][None, :]
    return days / BUSINESS_DAYS_PER_YEAR * season * trend, age


def plan_orders(acc: Accounts, cal: Calendar, lines: int, rng: np.random.Generator) -> OrderPlan:
    """Orders and credit notes per account and month for about ``lines`` invoice lines."""
    w, age = _exposure(acc, cal)
    horizon = w.sum(axis=1)
    u_count = rng.random(acc.n)
    u_drop = rng.random(acc.n)
    per_order = acc.lines_per_order + RETURN_LINES * acc.return_rate

    def realised(log_c: float) -> tuple[np.ndarray, np.ndarray]:
        lam = np.exp(log_c) * acc.rate
        mean = lam * horizon
        total = 1 + poisson_quantile(u_count, mean)
        # Purchases until dropout, geometric on {1, 2, ...}: p = hazard per year / rate per
        # year, so the expected time to dropout does not depend on the scale c.
        p = np.clip(acc.hazard / np.maximum(lam, 1e-12), 1e-12, 1.0)
        survive = np.ceil(np.log1p(-u_drop) / np.log1p(-np.minimum(p, 1 - 1e-16)))
        survive = np.where(p >= 1.0, 1.0, np.maximum(survive, 1.0))
        return np.minimum(total, survive), lam

    lo, hi = -25.0, 25.0
    for _ in range(60):
        mid = (lo + hi) / 2
        kept, _ = realised(mid)
        if float(kept @ per_order) < lines:
            lo = mid
        else:
            hi = mid
    candidates = [(abs(float(realised(x)[0] @ per_order) - lines), x) for x in (lo, hi)]
    log_c = min(candidates)[1]
    kept, lam = realised(log_c)
    n_kept = kept.astype(np.int64)
    total_est = float(kept @ per_order)

    acq_month = cal.month_of(cal.business_days[acc.acq_bd])
    pvals = w / np.where(horizon > 0, horizon, 1)[:, None]
    repeat = poisson_quantile(u_count, lam * horizon).astype(np.int64)
    counts = rng.multinomial(repeat, pvals)
    counts[np.arange(acc.n), acq_month] += 1  # the first purchase
    # Dropout keeps the first purchases in time: cut each row at its surviving count.
    before = np.cumsum(counts, axis=1) - counts
    orders = np.clip(n_kept[:, None] - before, 0, counts)
    returns = rng.poisson(orders * acc.return_rate[:, None])
    return OrderPlan(
        orders=orders,
        returns=returns,
        lam=lam,
        age=age,
        acq_month=acq_month,
        expected_lines=total_est,
    )
