"""Cost pools per month for time-driven activity-based costing (Kaplan & Anderson 2004).

Each pool has a cost rate per driver unit (a catalogue rate, with yearly inflation and a
little monthly noise). Its practical capacity is planned per quarter for the quarter's
average volume at a target utilisation of 74–93 % and for its busiest month at 86–101 %,
so every pool has unused capacity in most months and is rarely stretched past 100 %. Its cost is
capacity × rate, so that cost / capacity gives back the rate:

    rate = cost of capacity supplied / practical capacity   (Kaplan & Anderson 2004)

Kaplan, R. S. & Anderson, S. R. (2004), "Time-driven activity-based costing",
*Harvard Business Review* 82(11), 131–138.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from openkam.engine.schema import COST_POOLS, MONEY, QUANTITY
from openkam.engine.synth import catalog
from openkam.engine.synth.columns import dates, decimals
from openkam.engine.synth.timeline import Calendar

#: Yearly increase of the cost rates (wages, freight).
COST_INFLATION = 0.035
#: Where the whale curve should peak: Kaplan & Cooper's customers typically return
#: 150–300 % of total profit before the unprofitable ones give part of it back.
WHALE_PEAK = 2.0
#: Bounds of the cost-level calibration, so that a degenerate ledger keeps sane costs.
LEVEL_BOUNDS = (0.3, 4.0)


def unit_rates(cal: Calendar, density: float, rng: np.random.Generator) -> np.ndarray:
    """Cost per driver unit of each pool (rows, ``catalog.POOLS`` order) and month, EUR.

    ``density`` scales the time-driven pools (visits, KAM hours) with the ledger's order
    density relative to the reference calibration, so that cost-to-serve keeps its share
    of revenue when a demo has many more lines per account (dedicated stock needs no such
    scaling: its pallets follow the account's sales).
    """
    base = np.array([p.rate * (density if p.per_time else 1.0) for p in catalog.POOLS])
    inflation = (1 + COST_INFLATION) ** (np.arange(cal.months) // 12)
    noise = 1 + rng.normal(0, 0.02, (len(base), cal.months))
    return base[:, None] * inflation[None, :] * noise


def whale_peak(base: np.ndarray, cost_to_serve: np.ndarray, level: float) -> float:
    """Peak of the whale curve when the pools cost ``level`` × their catalogue rates.

    With accounts sorted by contribution ``c = base − level × cost_to_serve`` (descending),
    cumulative contribution peaks after the last profitable account, at Σ c⁺ / Σ c.
    """
    c = base - level * cost_to_serve
    total = c.sum()
    return float(c[c > 0].sum() / total) if total > 0 else float("inf")


def calibrate_level(base: np.ndarray, cost_to_serve: np.ndarray, peak: float = WHALE_PEAK) -> float:
    """The cost level at which the whale curve peaks at ``peak``.

    ``base`` is each account's net sales minus cost of goods sold; ``cost_to_serve`` its
    activity cost at catalogue rates. The peak Σ c⁺ / Σ c rises monotonically with the level
    (its derivative has the sign of Σc·Σcts − Σc⁺·Σcts⁺ … ≥ 0), so bisection finds it.
    """
    lo, hi = LEVEL_BOUNDS
    if whale_peak(base, cost_to_serve, lo) >= peak:
        return lo
    if whale_peak(base, cost_to_serve, hi) <= peak:
        return hi
    for _ in range(60):
        mid = (lo + hi) / 2
        if whale_peak(base, cost_to_serve, mid) < peak:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def cost_pools(
    volume: np.ndarray, rate: np.ndarray, cal: Calendar, rng: np.random.Generator
) -> pa.Table:
    """The ``cost_pools`` table: one row per pool and month of the calendar.

    ``volume`` holds the driver units consumed and ``rate`` the cost per unit, per pool (rows,
    in ``catalog.POOLS`` order) and month.
    """
    n_pools, months = volume.shape
    quarter = np.arange(months) // 3
    capacity = np.zeros((n_pools, months))
    for qi in range(quarter.max() + 1):
        ms = quarter == qi
        used = volume[:, ms].mean(axis=1)
        peak = volume[:, ms].max(axis=1)
        # A pool idle for a whole quarter still has the capacity planned for an average one.
        planned = np.where(used > 0, used, np.maximum(volume.mean(axis=1), 1.0))
        # Sized for the quarter's average at 74-93 % utilisation, and for its busiest month
        # at 86-101 %, so that overloads happen but rarely.
        need = np.maximum(
            planned / rng.uniform(0.74, 0.93, n_pools), peak / rng.uniform(0.86, 1.01, n_pools)
        )
        capacity[:, ms] = np.maximum(np.ceil(need), 1.0)[:, None]
    cost = np.rint(capacity * rate * 100).astype(np.int64)
    pool = np.repeat(np.arange(n_pools), months)
    month = np.tile(np.arange(months), n_pools)
    return pa.Table.from_arrays(
        [
            pa.array([catalog.POOLS[i].name for i in pool]),
            dates(cal.month_lo[month]),
            dates(cal.month_hi[month] - 1),
            decimals(cost.ravel(), MONEY),
            decimals(np.rint(capacity * 1000).astype(np.int64).ravel(), QUANTITY),
            pa.array([catalog.POOLS[i].driver_unit for i in pool]),
        ],
        schema=COST_POOLS.schema_without("currency"),
    )
