"""Reporting periods (month, quarter, year): integer keys in the engine, labels for people.

The engines group by an integer key computed from the date (month ``12·y + m − 1``, quarter
``4·y + ⌊(m − 1)/3⌋``, year ``y``) because integer arithmetic means the same on DuckDB and
Spark; labels ("2024-01", "2024-Q1", "2024") and bounds are made afterwards, on the few
aggregated keys.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

import narwhals as nw
import numpy as np

Period = Literal["month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("month", "quarter", "year")


def check_period(period: str) -> Period:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")
    return period  # type: ignore[return-value]


def key_expr(date: nw.Expr, period: Period) -> nw.Expr:
    """The integer period key of a date column, as a narwhals expression."""
    year = date.dt.year().cast(nw.Int64)
    if period == "year":
        return year
    month0 = date.dt.month().cast(nw.Int64) - 1
    if period == "quarter":
        return year * 4 + month0 // 3
    return year * 12 + month0


def key_of(day: dt.date, period: Period) -> int:
    """The period key of one date (the same arithmetic as :func:`key_expr`)."""
    if period == "year":
        return day.year
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year * 12 + day.month - 1


def whole_months(start: dt.date | None, end: dt.date | None) -> bool:
    """Whether [start, end] starts on a 1st and ends on a month's last day (None: open)."""
    return (start is None or start.day == 1) and (
        end is None or (end + dt.timedelta(days=1)).day == 1
    )


def coarser_keys(keys: np.ndarray, source: Period, target: Period) -> np.ndarray:
    """Period keys of grain ``source`` turned into the keys of the coarser grain ``target``
    (a month into its quarter or year, a quarter into its year)."""
    order = PERIODS.index
    if order(target) < order(source):
        raise ValueError(f"cannot split {source}s into {target}s")
    keys = np.asarray(keys, dtype=np.int64)
    if source == target:
        return keys
    if source == "quarter":
        return keys // 4
    if target == "year":
        return keys // 12
    return 4 * (keys // 12) + (keys % 12) // 3


def month_start_days(keys: np.ndarray) -> np.ndarray:
    """The first day of each month key, as days since 1970-01-01 (Arrow's ``date32``)."""
    months = np.asarray(keys, dtype=np.int64) - 1970 * 12
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def bounds(key: int, period: Period) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the period with this key."""
    if period == "year":
        return dt.date(key, 1, 1), dt.date(key, 12, 31)
    if period == "quarter":
        year, first_month = key // 4, 3 * (key % 4) + 1
        last_month = first_month + 2
    else:
        year, first_month = key // 12, key % 12 + 1
        last_month = first_month
    last_day = calendar.monthrange(year, last_month)[1]
    return dt.date(year, first_month, 1), dt.date(year, last_month, last_day)


def label(key: int, period: Period) -> str:
    """ "2024" for a year, "2024-Q1" for a quarter, "2024-01" for a month."""
    if period == "year":
        return f"{key:04d}"
    if period == "quarter":
        return f"{key // 4:04d}-Q{key % 4 + 1}"
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


def parse_label(text: str) -> tuple[int, Period]:
    """The key and grain of a label made by :func:`label` ("2024", "2024-Q1", "2024-01").

    Raises ValueError for anything else.
    """
    text = text.strip()
    if len(text) == 4 and text.isdigit():
        return int(text), "year"
    if len(text) == 7 and text[:4].isdigit():
        year, rest = int(text[:4]), text[4:]
        if rest[:2] == "-Q" and rest[2] in "1234":
            return 4 * year + int(rest[2]) - 1, "quarter"
        if rest[0] == "-" and rest[1:].isdigit() and 1 <= int(rest[1:]) <= 12:
            return 12 * year + int(rest[1:]) - 1, "month"
    raise ValueError(f"not a period: {text!r} (use 2024, 2024-Q1 or 2024-01)")


def previous_label(text: str) -> str:
    """The label of the period before: "2023" for "2024", "2023-Q4" for "2024-Q1"."""
    key, period = parse_label(text)
    return label(key - 1, period)


def label_bounds(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period a label names ("2024", "2024-Q1", "2024-01")."""
    key, period = parse_label(text)
    return bounds(key, period)


def span_label(start: dt.date, end: dt.date) -> str:
    """Label of an arbitrary span (a cost pool's period): a calendar label when it is a whole
    month, quarter or year, else the ISO 8601 interval ``start/end``."""
    for period in ("month", "quarter", "year"):
        key = key_of(start, period)
        if bounds(key, period) == (start, end):
            return label(key, period)
    return f"{start.isoformat()}/{end.isoformat()}"


def span_bounds(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of a span labelled by :func:`span_label` (a calendar label, or
    ``start/end``)."""
    if "/" in text:
        start, end = text.split("/", 1)
        return dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return label_bounds(text)
