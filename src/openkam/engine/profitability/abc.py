"""Time-driven activity-based costing of cost-to-serve (Kaplan & Anderson 2004).

Each cost pool period has a capacity cost rate::

    rate = cost of the pool in the period / practical capacity (in driver units)

and an activity record costs ``rate × driver quantity`` (Kaplan, R. S. & Anderson, S. R.,
"Time-Driven Activity-Based Costing", Harvard Business Review 82(11), 2004). Capacity that no
activity used is reported as *unused capacity* of the pool, not spread over the accounts.

Exactness by construction (DESIGN §4, "splitting money"): a pool period's *allocated* cost
is its used quantity × rate, rounded once to the cent (half up); the accounts' charges are
split from it by largest remainder (:func:`openkam.engine.money.largest_remainder`), and
each account's charge over the years, quarters and months of its activities the same way.
So ``allocated + unused == cost`` to the cent, the accounts add up to the allocated cost,
the months to their quarter and the quarters to their year, and every charge is within one
cent of quantity × rate. A pool of 100.00 for 3 hours, three accounts using one hour each:
allocated 100.00 = 33.34 + 33.33 + 33.33, unused 0.00. A charge never depends on the
reporting window or on account filters (a pool period is always costed whole, over all
accounts), so a month's figures are the same in every report that shows that month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.profitability.aggregates import CELL_SUMS
from openkam.engine.profitability.grouping import codes, encode, nested_split, sum_to_grain
from openkam.engine.profitability.issues import InputIssue
from openkam.engine.profitability.money import (
    ints_to_decimal,
    to_cents,
    unscaled,
)
from openkam.engine.profitability.periods import (
    PERIODS,
    Period,
    coarser_keys,
    month_start_days,
    span_label,
    whole_months,
)

#: Pool name of the credit cost of payment terms, which is computed, not recorded.
CREDIT_POOL = "credit_cost"
_ONE_DAY = dt.timedelta(days=1)


def pool_issues(pools: pa.Table) -> list[InputIssue]:
    """Structural problems of the cost pool records (one issue per bad record)."""
    issues = []
    rows = sorted(
        pools.select(["pool", "period_start", "period_end", "capacity"]).to_pylist(),
        key=lambda r: (r["pool"], r["period_start"]),
    )
    previous: dict | None = None
    for row in rows:
        pool, start, end = row["pool"], row["period_start"], row["period_end"]
        label = span_label(start, end) if end >= start else f"{start}/{end}"
        if pool == CREDIT_POOL:
            issues.append(
                InputIssue(
                    "reserved_pool",
                    "cost_pools",
                    pool,
                    label,
                    1,
                    f"the pool name {CREDIT_POOL!r} is reserved for the "
                    "computed credit cost of payment terms",
                )
            )
        if end < start:
            issues.append(
                InputIssue(
                    "bad_pool_period",
                    "cost_pools",
                    pool,
                    label,
                    1,
                    "the period ends before it starts",
                )
            )
        if row["capacity"] <= 0:
            issues.append(
                InputIssue(
                    "capacity_not_positive",
                    "cost_pools",
                    pool,
                    label,
                    1,
                    f"practical capacity is {row['capacity']}; the cost "
                    "rate cost / capacity is undefined",
                )
            )
        if previous is not None and previous["pool"] == pool and start <= previous["period_end"]:
            issues.append(
                InputIssue(
                    "overlapping_pool_periods",
                    "cost_pools",
                    pool,
                    label,
                    1,
                    f"overlaps the period starting {previous['period_start']}",
                )
            )
        previous = row
    return issues


def pools_within(pools: pa.Table, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    """Which pool periods intersect the window [start, end] (either bound may be open)."""
    keep = pa.array(np.ones(pools.num_rows, dtype=bool))
    if start is not None:
        keep = pc.and_(keep, pc.greater_equal(pools["period_end"], pa.scalar(start, pa.date32())))
    if end is not None:
        keep = pc.and_(keep, pc.less_equal(pools["period_start"], pa.scalar(end, pa.date32())))
    return np.asarray(keep, dtype=bool)


def pool_calendar(pools: pa.Table) -> pa.Table:
    """(pool, date, pool_start): every day of every pool period, to find an activity's period
    with an equi-join (both engines broadcast this small table)."""
    names, days, starts = [], [], []
    seen: set[tuple[str, dt.date]] = set()
    for row in pools.select(["pool", "period_start", "period_end"]).to_pylist():
        day = row["period_start"]
        while day <= row["period_end"]:
            # Overlapping periods are an input error; keep the first so counts stay sane.
            if (row["pool"], day) not in seen:
                seen.add((row["pool"], day))
                names.append(row["pool"])
                days.append(day)
                starts.append(row["period_start"])
            day += _ONE_DAY
    return pa.table(
        {
            "pool": pa.array(names, pa.string()),
            "date": pa.array(days, pa.date32()),
            "pool_start": pa.array(starts, pa.date32()),
        }
    )


def month_aligned(pools: pa.Table) -> bool:
    """Whether every pool period is made of whole months (from a 1st to a month's last day).

    A month then lies within at most one period of a pool (overlaps aside, an input error),
    so activities can be summed per month before their pool period is looked up.
    """
    return all(
        whole_months(start, end)
        for start, end in zip(
            pools["period_start"].to_pylist(), pools["period_end"].to_pylist(), strict=True
        )
    )


def cells_of_months(months: pa.Table, pools: pa.Table, period: Period) -> pa.Table:
    """The allocation cells of :func:`~.aggregates.activity_cells` at grain ``period``, from
    the month sums of :func:`~.aggregates.activity_months` and month-aligned ``pools``.

    Each (pool, month) row gets the start of the pool period holding that month, null when
    none does (as the calendar join gives), then the months are summed to ``period``.
    """
    starts = _month_pool_starts(months["pool"], months["period_key"], pools)
    return sum_to_grain(months.add_column(1, "pool_start", starts), CELL_SUMS, "month", period)


def _month_pool_starts(names, month_keys, pools: pa.Table) -> pa.ChunkedArray:
    """For each (pool name, month key), the ``period_start`` of the period of that pool with
    start ≤ the month's first day ≤ end; null where there is none."""
    if not pools.num_rows:
        return pa.chunked_array([pa.nulls(len(names), pa.date32())])
    pool_names = pools["pool"].combine_chunks()
    vocabulary = pc.unique(pool_names)
    pool_codes, cell_codes = codes(pool_names, vocabulary), codes(names, vocabulary)
    starts, ends = _days(pools["period_start"]), _days(pools["period_end"])
    first_days = month_start_days(month_keys.to_numpy())
    # The latest period of the cell's pool that starts on or before the month's first day.
    pool_keys = _keys(pool_codes, starts)
    order = np.argsort(pool_keys, kind="stable")
    position = np.searchsorted(pool_keys[order], _keys(cell_codes, first_days), side="right")
    candidate = order[np.maximum(position - 1, 0)]
    found = (position > 0) & (pool_codes[candidate] == cell_codes) & (ends[candidate] >= first_days)
    return pools["period_start"].take(pa.array(candidate, mask=~found))


def pool_rows(cells: pa.Table, pools: pa.Table) -> np.ndarray:
    """For each cell, the row of ``pools`` holding its (pool, period_start); −1 if none.

    A sorted-key lookup in NumPy: far cheaper than a hash join for a few hundred pools.
    """
    names = pools["pool"].combine_chunks()
    vocabulary = pc.unique(names)
    pool_keys = _keys(codes(names, vocabulary), _days(pools["period_start"]))
    cell_keys = _keys(codes(cells["pool"], vocabulary), _days(cells["pool_start"]))
    order = np.argsort(pool_keys, kind="stable")
    sorted_keys = pool_keys[order]
    position = np.clip(np.searchsorted(sorted_keys, cell_keys), 0, max(len(order) - 1, 0))
    if not len(order):
        return np.full(len(cell_keys), -1, dtype=np.int64)
    # A cell without a pool period (null pool_start) matches nothing, not a 1970-01-01 period.
    found = (sorted_keys[position] == cell_keys) & ~_is_null(cells["pool_start"])
    return np.where(found, order[position], -1)


def _is_null(column) -> np.ndarray:
    return np.asarray(pc.is_null(column), dtype=bool)


def _days(dates) -> np.ndarray:
    """Day numbers of a date32 column (nulls as 0)."""
    return np.asarray(pc.fill_null(dates.cast(pa.int32()), 0), dtype=np.int64)


def _keys(pool_codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    # One sortable int64 per (pool code, day): day numbers stay far within ±2**31.
    return pool_codes * 2**32 + days


def allocate(cells: pa.Table, pools: pa.Table, grains: Sequence[Period], finest: Period) -> dict:
    """Cost the allocation cells of ``cells`` (at grain ``finest``) at each of ``grains``.

    The cents are split top down, each level by largest remainder from the one above
    (:func:`~.grouping.nested_split`): a pool period's allocated cost is its used quantity
    × rate, rounded once; the accounts' charges are split from it in proportion to their
    quantities; each account's charge is split over the years, quarters and months of its
    activities. So the accounts add up to the pool's allocated cost, a year's charge to its
    quarters' and a quarter's to its months', and every charge is within one cent of
    quantity × rate.

    Returns ``{grain: table}``: the cells summed to that grain (pool, pool_start,
    account_id, period_key, quantity, records) with ``pool_row`` (its row in ``pools``)
    and ``cents``. ``cells`` must all have a pool period (``pool_start`` not null) of
    positive capacity.
    """
    rows = pool_rows(cells, pools)
    if np.any(rows < 0):
        raise ValueError("allocation cells without a cost pool period")
    cost, capacity = to_cents(pools["cost"]), unscaled(pools["capacity"], 3)
    quantity = unscaled(cells["quantity"], 3)
    records = np.asarray(cells["records"].to_numpy(), dtype=np.int64)
    _, (accounts,) = encode(cells["account_id"])
    finest_keys = np.asarray(cells["period_key"].to_numpy(), dtype=np.int64)
    # Levels: the pool period, its accounts, then the periods from the year down.
    chain = [p for p in ("year", "quarter", "month") if PERIODS.index(p) >= PERIODS.index(finest)]
    levels = [[rows], [rows, accounts]]
    levels += [[rows, accounts, coarser_keys(finest_keys, finest, p)] for p in chain]
    split = dict(
        zip(
            ["pool", "account", *chain],
            nested_split(levels, quantity, cost[rows], capacity[rows]),
            strict=True,
        )
    )
    result = {}
    for grain in grains:
        level = split[grain]
        first = pa.array(level.first)
        result[grain] = pa.table(
            {
                "pool": cells["pool"].take(first),
                "pool_start": cells["pool_start"].take(first),
                "account_id": cells["account_id"].take(first),
                "period_key": pa.array(coarser_keys(finest_keys, finest, grain)[level.first]),
                "quantity": ints_to_decimal(level.weights, pa.decimal128(38, 3)),
                "records": pa.array(
                    np.bincount(level.ids, records, len(level.first)).astype(np.int64)
                ),
                "pool_row": pa.array(rows[level.first]),
                "cents": pa.array(level.cents),
            }
        )
    return result


def pool_usage(
    allocated: pa.Table, pools: pa.Table, keep: np.ndarray
) -> tuple[pa.Table, list[InputIssue]]:
    """Per pool period of ``pools[keep]``: cost, capacity, used quantity, allocated and
    unused, and an ``over_capacity`` warning for each period whose activities exceed its
    capacity. ``allocated`` comes from :func:`allocate` on the same ``pools``."""
    rows = allocated["pool_row"].to_numpy()
    sums = {}
    for name, values in (
        ("cents", allocated["cents"].to_numpy()),
        ("milli", unscaled(allocated["quantity"], 3)),
        ("records", allocated["records"].to_numpy().astype(np.int64)),
    ):
        total = np.zeros(pools.num_rows, dtype=np.int64)
        np.add.at(total, rows, values)
        sums[name] = total
    # The kept pool periods in report order, by their row in ``pools``.
    kept = np.flatnonzero(keep)
    order = pc.sort_indices(
        pools.take(kept), [("pool", "ascending"), ("period_start", "ascending")]
    )
    index = kept[np.asarray(order, dtype=np.int64)]
    periods = pools.take(index)
    cost_cents = to_cents(periods["cost"])
    allocated_cents = sums["cents"][index]
    used = ints_to_decimal(sums["milli"][index], pa.decimal128(38, 3))
    starts, ends = periods["period_start"].to_pylist(), periods["period_end"].to_pylist()
    labels = [span_label(start, end) for start, end in zip(starts, ends, strict=True)]
    usage = pa.table(
        {
            "pool": periods["pool"].combine_chunks(),
            "period": pa.array(labels, pa.string()),
            "period_start": pa.array(starts, pa.date32()),
            "period_end": pa.array(ends, pa.date32()),
            "cost_cents": pa.array(cost_cents),
            "capacity": periods["capacity"].combine_chunks().cast(pa.decimal128(18, 3)),
            "used": used,
            "allocated_cents": pa.array(allocated_cents),
            "unused_cents": pa.array(cost_cents - allocated_cents),
            "records": pa.array(sums["records"][index]),
        }
    )
    over = np.flatnonzero(sums["milli"][index] > unscaled(periods["capacity"], 3))
    units = periods["driver_unit"]
    return usage, [
        _over_capacity(usage.slice(i, 1).to_pylist()[0], units[i].as_py()) for i in over.tolist()
    ]


def _quantity(value) -> str:
    """A driver quantity as people write it: 5,634 rather than 5634.000."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _over_capacity(period: dict, driver_unit: str) -> InputIssue:
    """The warning for a row of :func:`pool_usage` whose activities exceed its capacity."""
    return InputIssue(
        "over_capacity",
        "activities",
        period["pool"],
        period["period"],
        period["records"],
        f"activities use {_quantity(period['used'])} {driver_unit} against a practical "
        f"capacity of {_quantity(period['capacity'])} ({period['used'] * 100 / period['capacity']:.1f} %): "
        "allocated exceeds the pool cost and unused capacity is negative",
    )
