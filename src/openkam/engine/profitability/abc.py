"""Time-driven activity-based costing of cost-to-serve (Kaplan & Anderson 2004).

Each cost pool period has a capacity cost rate::

    rate = cost of the pool in the period / practical capacity (in driver units)

and an activity record costs ``rate × driver quantity`` (Kaplan, R. S. & Anderson, S. R.,
"Time-Driven Activity-Based Costing", Harvard Business Review 82(11), 2004). Capacity that no
activity used is reported as *unused capacity* of the pool, not spread over the accounts.

Exactness by construction: the allocation cell is (pool, pool period, account, reporting
period); each cell is ``round(cost × Σ quantity / capacity)`` to the cent (half up), and a
pool period's ``unused = cost − Σ cells``, so ``allocated + unused == cost`` to the cent. A
cell never depends on the reporting window or on account filters, so a month's figures are
the same in every report that shows that month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.profitability.issues import InputIssue
from openkam.engine.profitability.money import allocate_cents, to_cents, unscaled
from openkam.engine.profitability.periods import span_label

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


def pools_within(pools: pa.Table, start: dt.date | None, end: dt.date | None) -> pa.Table:
    """The pool periods that intersect the window [start, end] (either bound may be open)."""
    keep = pa.array(np.ones(pools.num_rows, dtype=bool))
    if start is not None:
        keep = pc.and_(keep, pc.greater_equal(pools["period_end"], pa.scalar(start, pa.date32())))
    if end is not None:
        keep = pc.and_(keep, pc.less_equal(pools["period_start"], pa.scalar(end, pa.date32())))
    return pools.filter(keep)


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


def allocate(cells: pa.Table, pools: pa.Table) -> pa.Table:
    """Cost each allocation cell: adds ``cents`` (rate × quantity, rounded half up).

    ``cells`` must all have a pool period (``pool_start`` not null) of positive capacity.
    """
    rates = pools.select(["pool", "period_start", "cost", "capacity"]).rename_columns(
        ["pool", "pool_start", "cost", "capacity"]
    )
    joined = cells.join(rates, keys=["pool", "pool_start"], join_type="inner")
    cents = allocate_cents(
        to_cents(joined["cost"]),
        unscaled(joined["capacity"], 3),
        unscaled(joined["quantity"], 3),
    )
    return joined.drop_columns(["cost", "capacity"]).append_column("cents", pa.array(cents))


def pool_usage(allocated: pa.Table, pools: pa.Table) -> tuple[pa.Table, list[InputIssue]]:
    """Per pool period: cost, capacity, used quantity, rate, allocated and unused, and an
    ``over_capacity`` warning for each period whose activities exceed its capacity."""
    by_period = allocated.group_by(["pool", "pool_start"]).aggregate(
        [("cents", "sum"), ("quantity", "sum"), ("records", "sum")]
    )
    usage = {(r["pool"], r["pool_start"]): r for r in by_period.to_pylist()}
    pools = pools.sort_by([("pool", "ascending"), ("period_start", "ascending")])
    cost_cents = to_cents(pools["cost"])
    out = {
        k: []
        for k in (
            "pool",
            "period",
            "period_start",
            "period_end",
            "cost_cents",
            "capacity",
            "used",
            "allocated_cents",
            "unused_cents",
            "records",
        )
    }
    warnings = []
    for i, row in enumerate(
        pools.select(["pool", "period_start", "period_end", "capacity", "driver_unit"]).to_pylist()
    ):
        used = usage.get((row["pool"], row["period_start"]))
        allocated_cents = int(used["cents_sum"]) if used else 0
        quantity = used["quantity_sum"] if used else 0
        records = int(used["records_sum"]) if used else 0
        label = span_label(row["period_start"], row["period_end"])
        out["pool"].append(row["pool"])
        out["period"].append(label)
        out["period_start"].append(row["period_start"])
        out["period_end"].append(row["period_end"])
        out["cost_cents"].append(int(cost_cents[i]))
        out["capacity"].append(row["capacity"])
        out["used"].append(quantity)
        out["allocated_cents"].append(allocated_cents)
        out["unused_cents"].append(int(cost_cents[i]) - allocated_cents)
        out["records"].append(records)
        if quantity > row["capacity"]:
            warnings.append(
                InputIssue(
                    "over_capacity",
                    "activities",
                    row["pool"],
                    label,
                    records,
                    f"activities use {quantity} {row['driver_unit']} against a practical "
                    f"capacity of {row['capacity']}: allocated exceeds the pool cost and unused "
                    "capacity is negative",
                )
            )
    types = {
        "period_start": pa.date32(),
        "period_end": pa.date32(),
        "capacity": pa.decimal128(18, 3),
        "used": pa.decimal128(38, 3),
    }
    return pa.table({k: pa.array(v, types.get(k)) for k, v in out.items()}), warnings
