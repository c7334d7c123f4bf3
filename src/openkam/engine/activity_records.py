"""The activity records behind a cost-to-serve figure: the drill-down from a pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import narwhals as nw


def activity_records(
    activities: nw.LazyFrame,
    pools: nw.LazyFrame,
    account_ids: Iterable[str],
    pool: str,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = 500,
) -> tuple[list[dict], dict]:
    """Activity records of ``pool`` for the accounts in [date_from, date_to], newest first.

    Each record carries its pool period's rate (cost / practical capacity) and its cost
    (rate × quantity), the time-driven ABC charge of Kaplan & Anderson (2004); the figures
    on the profitability page round the sum per account and pool period to the cent.
    Returns the latest ``limit`` records and the totals over all of them (``records``,
    ``quantity``, ``cost``).
    """
    rates = (
        pools.filter(nw.col("pool") == pool)
        .with_columns(rate=nw.col("cost").cast(nw.Float64) / nw.col("capacity").cast(nw.Float64))
        .select("pool", "period_start", "period_end", "rate", "driver_unit")
    )
    costed = (
        activities.filter(
            nw.col("pool") == pool,
            nw.col("account_id").is_in(list(account_ids)),
            nw.col("activity_date") >= date_from,
            nw.col("activity_date") <= date_to,
        )
        .join(rates, on="pool", how="left")
        .filter(
            (nw.col("activity_date") >= nw.col("period_start"))
            & (nw.col("activity_date") <= nw.col("period_end"))
        )
        .with_columns(cost=nw.col("rate") * nw.col("quantity").cast(nw.Float64))
    )
    totals = (
        costed.select(nw.len().alias("records"), nw.col("quantity").sum(), nw.col("cost").sum())
        .collect()
        .to_arrow()
        .to_pylist()[0]
    )
    rows = (
        costed.sort(["activity_date", "account_id"], descending=True)
        .head(limit)
        .select("activity_date", "account_id", "pool", "quantity", "driver_unit", "rate", "cost")
        .collect()
        .to_arrow()
        .to_pylist()
    )
    return rows, totals
