"""Per-customer recency-frequency-monetary summaries of a transaction log.

Written once on narwhals lazy frames, so the same query runs on DuckDB and on Spark; only
the (much smaller) per-customer result is collected for fitting.

Definitions (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):

- a purchase *occasion* is a customer-day: several transactions on one day are one
  occasion whose value is their sum;
- ``frequency`` x is the number of repeat occasions in the calibration period, i.e. all
  occasions but the first;
- ``recency`` t_x is the time from the first occasion to the last one;
- ``T`` is the time from the first occasion to the end of the calibration period (the
  calibration end date counts as part of the calibration period, and ages are whole days
  between dates: a first purchase on 1997-01-01 and an end on 1997-09-30 give T = 272/7
  weeks, as in the published CDNOW summary);
- ``monetary_value`` is the mean value of the repeat occasions only (0 when x = 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import narwhals as nw
import numpy as np
import pyarrow as pa

from openkam.engine.clv.transactions import normalise_transactions
from openkam.engine.clv.units import SUMMARY_UNITS, unit_days
from openkam.engine.dates import with_day_numbers

__all__ = [
    "TransactionSummary",
    "as_date",
    "rfm_summary",
    "summarise_transactions",
]


def as_date(value: dt.date | str, name: str = "date") -> dt.date:
    """A ``date`` from a date, a datetime, ``YYYY-MM-DD`` or ``YYYYMMDD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 8 and text.isdigit():
            return dt.datetime.strptime(text, "%Y%m%d").date()
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{name}: cannot read {value!r} as a date (YYYY-MM-DD)") from None


def _check_window(calibration_end: dt.date, holdout_end: dt.date | None, time_unit: str) -> None:
    if time_unit not in SUMMARY_UNITS:
        raise ValueError(
            f"unknown time unit {time_unit!r}; choose one of {', '.join(SUMMARY_UNITS)}"
        )
    if holdout_end is not None and holdout_end <= calibration_end:
        raise ValueError(
            f"holdout end {holdout_end} must be after the calibration end {calibration_end}"
        )


def _occasions(tx: nw.LazyFrame, last_day: int, with_value: bool) -> nw.LazyFrame:
    tx = with_day_numbers(tx, day="date").filter(
        ~nw.col("day").is_null() & ~nw.col("customer_id").is_null() & (nw.col("day") <= last_day)
    )
    aggs = [nw.col("value").sum().alias("value")] if with_value else [nw.len().alias("records")]
    return tx.group_by("customer_id", "day").agg(*aggs)


def rfm_summary(
    transactions,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str | None = None,
    time_unit: str = "week",
) -> nw.LazyFrame:
    """Per-customer ``customer_id, frequency, recency, T[, monetary_value]`` as a lazy frame.

    Parameters
    ----------
    transactions
        A transaction frame (narwhals, DuckDB, Spark, Arrow, pandas).
    customer_col, date_col, value_col
        Its customer, date and (optional) value columns; the date may be a date, a
        timestamp, ISO text or YYYYMMDD (see
        :func:`~openkam.engine.clv.transactions.normalise_transactions`).
    calibration_end
        Last day of the calibration period (inclusive).
    holdout_end
        Last day of the holdout period (inclusive). When given, adds
        ``frequency_holdout`` (occasions in the holdout, all of them repeat occasions),
        ``duration_holdout`` and, with values, ``monetary_value_holdout``.
    time_unit
        ``day``, ``week`` (7 days) or ``month`` (365.2425/12 days).

    Notes
    -----
    Customers whose first occasion falls after the calibration end are not in the result
    (they were not yet customers); :func:`summarise_transactions` counts them. Rows come in
    no particular order (:func:`summarise_transactions` sorts them by ``customer_id``).
    """
    cal_end = as_date(calibration_end, "calibration_end")
    hold_end = None if holdout_end is None else as_date(holdout_end, "holdout_end")
    _check_window(cal_end, hold_end, time_unit)
    days = unit_days(time_unit)
    cal_day = cal_end.toordinal()
    last_day = (hold_end or cal_end).toordinal()
    with_value = value_col is not None

    tx = normalise_transactions(
        transactions, customer_col=customer_col, date_col=date_col, value_col=value_col
    )
    # One pass over the occasions (a window and a group-by on the customer, which share
    # their partitioning on Spark) instead of joins: each shuffle costs seconds there.
    day = nw.col("day")
    in_cal = day <= cal_day
    occ = _occasions(tx, last_day, with_value).with_columns(
        first_day=nw.when(in_cal).then(day).min().over("customer_id")
    )
    aggs = [
        nw.col("first_day").min(),
        nw.when(in_cal).then(day).max().alias("last_day"),
        in_cal.cast(nw.Int64).sum().alias("occasions"),
    ]
    if with_value:
        value = nw.col("value")
        aggs += [
            nw.when(in_cal).then(value).otherwise(0.0).sum().alias("total_value"),
            nw.when(day == nw.col("first_day"))
            .then(value)
            .otherwise(0.0)
            .sum()
            .alias("first_value"),
        ]
    if hold_end is not None:
        aggs.append((day > cal_day).cast(nw.Int64).sum().alias("frequency_holdout"))
        if with_value:
            aggs.append(
                nw.when(day > cal_day)
                .then(nw.col("value"))
                .otherwise(0.0)
                .sum()
                .alias("holdout_value")
            )
    out = (
        occ.group_by("customer_id")
        .agg(*aggs)
        .filter(~nw.col("first_day").is_null())
        .with_columns(
            (nw.col("occasions") - 1).cast(nw.Int64).alias("frequency"),
            ((nw.col("last_day") - nw.col("first_day")) / days).cast(nw.Float64).alias("recency"),
            ((cal_day - nw.col("first_day")) / days).cast(nw.Float64).alias("T"),
        )
    )
    columns = ["customer_id", "frequency", "recency", "T"]
    if with_value:
        out = out.with_columns(
            nw.when(nw.col("frequency") > 0)
            .then((nw.col("total_value") - nw.col("first_value")) / nw.col("frequency"))
            .otherwise(0.0)
            .cast(nw.Float64)
            .alias("monetary_value")
        )
        columns.append("monetary_value")
    if hold_end is not None:
        out = out.with_columns(
            nw.col("frequency_holdout").cast(nw.Int64),
            nw.lit((hold_end.toordinal() - cal_day) / days)
            .cast(nw.Float64)
            .alias("duration_holdout"),
        )
        columns += ["frequency_holdout", "duration_holdout"]
        if with_value:
            out = out.with_columns(
                nw.when(nw.col("frequency_holdout") > 0)
                .then(nw.col("holdout_value") / nw.col("frequency_holdout"))
                .otherwise(0.0)
                .cast(nw.Float64)
                .alias("monetary_value_holdout")
            )
            columns.append("monetary_value_holdout")
    # No global sort: on Spark it costs a sampling job and a shuffle, and callers that
    # need an order sort the (small) collected result.
    return out.select(columns)


@dataclass
class TransactionSummary:
    """A collected per-customer summary with what was left out and why.

    Attributes
    ----------
    table
        The summary (see :func:`rfm_summary` for the columns).
    calibration_end, holdout_end, time_unit
        The window and unit it was computed for.
    repeat_occasions_by_day
        Repeat occasions of the summarised customers per day (``day`` ordinal,
        ``occasions``) up to the last day summarised, for tracking curves.
    warnings
        Records ignored (missing fields, after the last day) and customers left out.
    """

    table: pa.Table
    calibration_end: dt.date
    holdout_end: dt.date | None
    time_unit: str
    repeat_occasions_by_day: pa.Table | None = None
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.table.num_rows


def summarise_transactions(
    transactions,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str | None = None,
    time_unit: str = "week",
) -> TransactionSummary:
    """Compute and collect :func:`rfm_summary`, reporting what it leaves out.

    Same parameters as :func:`rfm_summary`. Also counts the records without customer or
    date, the records after the last summarised day (when there is no holdout these are
    the dates after the calibration end), the customers whose first purchase comes after the
    calibration end, and occasions with a negative net value, and collects the repeat
    occasions per day for :func:`~openkam.engine.clv.holdout.holdout_check`.
    """
    cal_end = as_date(calibration_end, "calibration_end")
    hold_end = None if holdout_end is None else as_date(holdout_end, "holdout_end")
    lazy = rfm_summary(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        calibration_end=cal_end,
        holdout_end=hold_end,
        time_unit=time_unit,
    )
    table = lazy.collect("pyarrow").to_native().sort_by("customer_id")
    tx = with_day_numbers(
        normalise_transactions(
            transactions, customer_col=customer_col, date_col=date_col, value_col=value_col
        ),
        day="date",
    )
    cal_day = cal_end.toordinal()
    last_day = (hold_end or cal_end).toordinal()
    counts = (
        tx.select(
            nw.len().alias("records"),
            (nw.col("day").is_null() | nw.col("customer_id").is_null())
            .cast(nw.Int64)
            .sum()
            .alias("incomplete"),
            (nw.col("day") > last_day).cast(nw.Int64).sum().alias("after"),
        )
        .collect("pyarrow")
        .to_native()
        .to_pylist()[0]
    )
    occ = _occasions(tx, last_day, value_col is not None)
    # First purchases over the whole log, so that customers who only appear after the
    # calibration end are counted even when their records lie beyond the last day.
    firsts = (
        tx.filter(~nw.col("day").is_null() & ~nw.col("customer_id").is_null())
        .group_by("customer_id")
        .agg(nw.col("day").min().alias("first_day"))
    )
    late = (
        firsts.filter(nw.col("first_day") > cal_day)
        .select(nw.len().alias("n"))
        .collect("pyarrow")
        .to_native()
        .column("n")[0]
        .as_py()
    )
    repeats = (
        occ.join(firsts.filter(nw.col("first_day") <= cal_day), on="customer_id")
        .filter(nw.col("day") > nw.col("first_day"))
        .group_by("day")
        .agg(nw.len().alias("occasions"))
        .sort("day")
        .collect("pyarrow")
        .to_native()
    )
    warnings: list[str] = []
    if counts["incomplete"]:
        warnings.append(f"{counts['incomplete']} record(s) without customer or date were ignored")
    if counts["after"]:
        end = hold_end or cal_end
        kind = "holdout" if hold_end else "calibration"
        warnings.append(
            f"{counts['after']} record(s) dated after the {kind} end {end} were ignored"
        )
    if late:
        warnings.append(
            f"{late} customer(s) whose first purchase is after the calibration end {cal_end} "
            "are not in the summary"
        )
    if value_col is not None:
        negative = (
            occ.filter(nw.col("value") < 0)
            .select("customer_id")
            .unique()
            .sort("customer_id")
            .collect("pyarrow")
            .to_native()
            .column(0)
        )
        if len(negative):
            shown = ", ".join(str(v) for v in negative.slice(0, 5).to_pylist())
            warnings.append(
                f"{len(negative)} customer(s) have purchase days with a negative net value "
                f"(returns exceeding sales), e.g. {shown}"
            )
    return TransactionSummary(
        table=table,
        calibration_end=cal_end,
        holdout_end=hold_end,
        time_unit=time_unit,
        repeat_occasions_by_day=repeats,
        warnings=warnings,
    )


def day_offsets(summary: TransactionSummary) -> tuple[np.ndarray, np.ndarray]:
    """Days after the calibration end and repeat occasions on them (empty without data)."""
    table = summary.repeat_occasions_by_day
    if table is None or table.num_rows == 0:
        return np.zeros(0), np.zeros(0)
    days = np.asarray(table.column("day").to_numpy(), dtype=float)
    counts = np.asarray(table.column("occasions").to_numpy(), dtype=float)
    return days - summary.calibration_end.toordinal(), counts
