"""Day numbers of date columns, so that date differences are integer subtractions.

Narwhals has no date difference that runs on both DuckDB and Spark, yet every engine has a
native one, and native it must be: the portable form (year, day of year and a leap-year
count) costs DuckDB about 40 % of the invoice pass of the profitability recompute. So this
module is, beside :mod:`openkam.engine.backends`, the one other place that looks under a
narwhals frame: on DuckDB and Spark it adds the columns with the engine's own date
arithmetic, on any other backend with the portable integer form.

A day number is ``date.toordinal()``: 1 for 0001-01-01 in the proleptic Gregorian calendar
(which DuckDB and Spark 3+ both use), so differences of day numbers are exact day counts.
"""

from __future__ import annotations

import datetime as dt

import narwhals as nw

__all__ = ["day_number_of", "with_day_numbers"]

_DAY_ZERO = "0001-01-01"


def day_number_of(day: dt.date) -> int:
    """The day number of one date, as :func:`with_day_numbers` computes it for a column."""
    return day.toordinal()


def with_day_numbers(frame: nw.LazyFrame, **columns: str) -> nw.LazyFrame:
    """``frame`` with an Int64 day-number column ``name`` for each ``name=date_column``.

    Null dates give null day numbers.

    >>> import duckdb
    >>> rel = duckdb.sql("select DATE '2024-03-01' as d")
    >>> with_day_numbers(nw.from_native(rel), n="d").collect().item(0, "n")
    738946
    """
    if not columns:
        return frame
    implementation = frame.implementation
    if implementation is nw.Implementation.DUCKDB:
        relation = frame.to_native()
        exprs = ", ".join(
            f"CAST(({_quote(date)} - DATE '{_DAY_ZERO}') + 1 AS BIGINT) AS {_quote(name)}"
            for name, date in columns.items()
        )
        return nw.from_native(relation.project(f"*, {exprs}"))
    if implementation is nw.Implementation.PYSPARK:
        from pyspark.sql import functions as F

        start = F.lit(_DAY_ZERO).cast("date")
        native = frame.to_native().withColumns(
            {
                name: (F.datediff(F.col(date), start) + 1).cast("bigint")
                for name, date in columns.items()
            }
        )
        return nw.from_native(native)
    return frame.with_columns(_portable(date).alias(name) for name, date in columns.items())


def _portable(column: str) -> nw.Expr:
    # Days before the year (365 a year plus the Gregorian leap days) plus the day of year.
    y = nw.col(column).dt.year().cast(nw.Int64) - 1
    return 365 * y + y // 4 - y // 100 + y // 400 + nw.col(column).dt.ordinal_day()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
