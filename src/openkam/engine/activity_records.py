"""The activity records behind a cost-to-serve figure: the drill-down from a pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.profitability import abc
from openkam.engine.profitability.aggregates import activity_cells, activity_months, within
from openkam.engine.profitability.money import cents_to_decimal
from openkam.engine.profitability.periods import PERIODS, Period, bounds, key_of, span_label

#: The columns of a record of the drill-down page.
_RECORD_COLUMNS = ("activity_date", "account_id", "pool", "quantity", "activity_id")


def whole_period(date_from: dt.date, date_to: dt.date) -> tuple[int, Period]:
    """The key and grain of [date_from, date_to] when it is one whole month, quarter or year
    (the reporting periods of the waterfall); ValueError otherwise."""
    for grain in PERIODS:
        key = key_of(date_from, grain)
        if bounds(key, grain) == (date_from, date_to):
            return key, grain
    raise ValueError(f"{date_from}/{date_to} is not a whole month, quarter or year")


def activity_totals(
    activities: nw.LazyFrame,
    pools: nw.LazyFrame,
    account_ids: Iterable[str],
    pool: str,
    date_from: dt.date,
    date_to: dt.date,
) -> dict:
    """The cost of ``pool`` for the accounts in one reporting period, as the waterfall
    allocates it, and how it is made up.

    [date_from, date_to] must be a whole month, quarter or year. The time-driven ABC cost
    is allocated per *cell* (pool period, account, reporting period), exactly as
    :func:`~openkam.engine.profitability.compute_profitability` does it and with its own
    functions (:func:`~openkam.engine.profitability.abc.allocate`): the pool period's used
    quantity × rate is rounded once and split over the accounts and periods by largest
    remainder, so a cell is within a cent of rate × Σ quantity. A record alone costs rate ×
    quantity, unrounded, so the sum of the records can differ from the total by a few cents.

    Returns ``records`` and ``quantity`` (Σ, exact) over every record; ``uncosted``, how
    many of them no period of the pool covers (not costed: the waterfall refuses them as an
    input error); ``cost``, Σ rate × quantity before any rounding (a float); ``allocated``,
    Σ of the rounded cells (a Decimal: the waterfall's figure); ``driver_unit``;
    ``rounded_per``, the grain of every cell when they share one ("month", …, else None);
    and ``cells``, one dict per cell in date order: ``account_id``, ``cell`` (the label of
    its days, its pool period within the reporting period), ``cell_grain``,
    ``pool_period`` (label), ``period_start``, ``period_end``, ``records``, ``quantity``,
    ``pool_cost``, ``capacity``, ``driver_unit``, ``rate`` (cost ÷ capacity, exact),
    ``cost`` (rate × Σ quantity, exact) and ``allocated`` (that rounded to the cent).
    """
    key, grain = whole_period(date_from, date_to)
    periods = _pool_periods(pools, pool)
    wanted = pa.array(sorted(set(account_ids)), pa.string())
    # Charges are split from each pool period's allocated cost over every account that used
    # it, so the cells of the pool periods of this reporting period are made for everyone,
    # over the whole pool periods, and only then narrowed to the accounts asked for.
    overlapping = periods.filter(pa.array(abc.pools_within(periods, date_from, date_to)))
    start, end = date_from, date_to
    if overlapping.num_rows:
        start = min(start, pc.min(overlapping["period_start"]).as_py())
        end = max(end, pc.max(overlapping["period_end"]).as_py())
    everyone = activities.filter(nw.col("pool") == pool)
    if abc.month_aligned(periods):
        # As the waterfall does: sum per month, then find each month's pool period.
        months = _collect(activity_months(everyone, start, end))
        cells = abc.cells_of_months(months, periods, grain)
    else:
        # Pool periods that split a month: each record's day decides its period. These
        # records are read once and joined to the pool's calendar in memory.
        records = _collect(within(everyone.select(*_RECORD_COLUMNS), "activity_date", start, end))
        calendar = nw.from_native(abc.pool_calendar(periods)).lazy()
        lazy = nw.from_native(records).lazy()
        cells = _collect(activity_cells(lazy, calendar, grain, start, end))
    costed = cells.filter(pc.is_valid(cells["pool_start"]))
    allocated = abc.allocate(costed, periods, [grain], grain)[grain]
    mine = pc.and_(pc.is_in(cells["account_id"], wanted), pc.equal(cells["period_key"], key))
    uncosted = cells.filter(pc.and_(mine, pc.is_null(cells["pool_start"])))
    allocated = allocated.filter(
        pc.and_(pc.is_in(allocated["account_id"], wanted), pc.equal(allocated["period_key"], key))
    )
    by_start = {row["period_start"]: row for row in periods.to_pylist()}
    out = []
    for cell, cents in zip(
        allocated.to_pylist(),
        cents_to_decimal(allocated["cents"].to_numpy()).to_pylist(),
        strict=True,
    ):
        period = by_start[cell["pool_start"]]
        rate = period["cost"] / period["capacity"]
        # The cell's days: its pool period within the reporting period.
        first = max(period["period_start"], date_from)
        last = min(period["period_end"], date_to)
        out.append(
            {
                "account_id": cell["account_id"],
                "cell": span_label(first, last),
                "cell_grain": _grain_of(first, last),
                "pool_period": span_label(period["period_start"], period["period_end"]),
                "period_start": period["period_start"],
                "period_end": period["period_end"],
                "records": int(cell["records"]),
                "quantity": cell["quantity"],
                "pool_cost": period["cost"],
                "capacity": period["capacity"],
                "driver_unit": period["driver_unit"],
                "rate": rate,
                "cost": period["cost"] * cell["quantity"] / period["capacity"],
                "allocated": cents,
            }
        )
    out.sort(key=lambda c: (c["period_start"], c["account_id"]))
    units = sorted({c["driver_unit"] for c in out} or _units_between(periods, date_from, date_to))
    grains = {c["cell_grain"] for c in out}
    left_out = uncosted.select(["records", "quantity"]).to_pylist()
    return {
        "records": sum(c["records"] for c in out + left_out),
        "quantity": sum((c["quantity"] for c in out + left_out), Decimal(0)),
        "uncosted": sum(c["records"] for c in left_out),
        "cost": float(sum((c["cost"] for c in out), Decimal(0))),
        "allocated": sum((c["allocated"] for c in out), Decimal("0.00")),
        "driver_unit": " / ".join(u for u in units if u),
        "cells": out,
        # What a cell is, in words: "month" when every cell is a calendar month, and so on.
        "rounded_per": grains.pop() if len(grains) == 1 else None,
    }


def activity_page(
    activities: nw.LazyFrame,
    pools: nw.LazyFrame,
    account_ids: Iterable[str],
    pool: str,
    date_from: dt.date,
    date_to: dt.date,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """One page of the activity records of ``pool`` for the accounts in [date_from,
    date_to], newest first: records ``offset`` to ``offset + limit``.

    Each record carries its pool period (``pool_period``, its label), the period's
    ``pool_cost``, ``capacity`` and rate (``rate`` = cost ÷ practical capacity, an exact
    Decimal), its ``driver_unit`` and its ``cost`` = rate × quantity, unrounded (Kaplan &
    Anderson 2004). Records that no pool
    period covers have None for these.
    """
    periods = sorted(_pool_periods(pools, pool).to_pylist(), key=lambda p: p["period_start"])
    rows = (
        within(
            _of_accounts(activities, account_ids, pool).select(*_RECORD_COLUMNS),
            "activity_date",
            date_from,
            date_to,
        )
        .sort(["activity_date", "account_id", "activity_id", "quantity"], descending=True)
        .head(offset + limit)
        .collect("pyarrow")
        .to_arrow()
        .slice(offset, limit)
        .to_pylist()
    )
    for row in rows:
        period = next(
            (p for p in periods if p["period_start"] <= row["activity_date"] <= p["period_end"]),
            None,
        )
        if period is None:
            row.update(
                pool_period=None,
                driver_unit=None,
                pool_cost=None,
                capacity=None,
                rate=None,
                cost=None,
            )
            continue
        row.update(
            pool_period=span_label(period["period_start"], period["period_end"]),
            driver_unit=period["driver_unit"],
            pool_cost=period["cost"],
            capacity=period["capacity"],
            rate=period["cost"] / period["capacity"],
            cost=period["cost"] * row["quantity"] / period["capacity"],
        )
    return rows


def _of_accounts(activities: nw.LazyFrame, account_ids: Iterable[str], pool: str) -> nw.LazyFrame:
    return activities.filter(nw.col("pool") == pool, nw.col("account_id").is_in(list(account_ids)))


def _pool_periods(pools: nw.LazyFrame, pool: str) -> pa.Table:
    """The periods of ``pool`` whose rate is defined (capacity > 0; the waterfall refuses
    any other as an input error)."""
    return _collect(
        pools.filter(nw.col("pool") == pool, nw.col("capacity") > 0).select(
            "pool", "period_start", "period_end", "cost", "capacity", "driver_unit"
        )
    )


def _grain_of(first: dt.date, last: dt.date) -> Period | None:
    try:
        return whole_period(first, last)[1]
    except ValueError:
        return None


def _units_between(periods: pa.Table, date_from: dt.date, date_to: dt.date) -> set[str]:
    return {
        p["driver_unit"]
        for p in periods.to_pylist()
        if p["period_start"] <= date_to and p["period_end"] >= date_from
    }


def _collect(frame: nw.LazyFrame) -> pa.Table:
    return frame.collect("pyarrow").to_arrow()
