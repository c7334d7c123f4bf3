"""The generator's calendar: the window, its calendar months and the business days in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from openkam.engine.synth.columns import epoch_day

#: Ordering intensity by calendar month: summer and Christmas shutdowns in manufacturing.
SEASONALITY = np.array([0.95, 1.0, 1.08, 1.03, 1.02, 1.04, 0.95, 0.72, 1.05, 1.08, 1.03, 0.82])

#: Business days in a year, to turn business-day counts into years of ordering time.
BUSINESS_DAYS_PER_YEAR = 250.0


def demo_window(today: dt.date, years: int = 3) -> tuple[dt.date, dt.date]:
    """The demo ledger's window for a demo whose "today" is ``today``.

    ``years`` whole calendar years before the current one, plus the current year up to the end
    of last month: ``[1 January of today.year - years, first day of today's month)``. So the
    ledger ends last month, as a real one does when this month is not yet closed, and every
    calendar year of the window but the current one is complete.
    """
    return dt.date(today.year - years, 1, 1), today.replace(day=1)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Calendar:
    """Months of the window ``[start, end)`` and its business days, in epoch days."""

    start: int
    end: int
    #: First and last-plus-one epoch day of each month, clipped to the window.
    month_lo: np.ndarray
    month_hi: np.ndarray
    #: 1..12 for each month of the window.
    month_of_year: np.ndarray
    #: Epoch days that are business days (Monday–Friday, not 1 January or 25 December).
    business_days: np.ndarray
    #: Index range of each month in ``business_days``.
    bd_lo: np.ndarray
    bd_hi: np.ndarray

    @property
    def months(self) -> int:
        return len(self.month_lo)

    @property
    def mid_years(self) -> np.ndarray:
        """Years from the start of the window to the middle of each month."""
        return ((self.month_lo + self.month_hi) / 2 - self.start) / 365.25

    @classmethod
    def build(cls, start: dt.date, years: int, end: dt.date | None = None) -> Calendar:
        """The window ``[start, start + years)``, or ``[start, end)`` when ``end`` is given."""
        if years < 1:
            raise ValueError("years must be at least 1")
        if end is None:
            end = add_years(start, years)
        elif end <= start:
            raise ValueError(f"the window's end {end} is not after its start {start}")
        lo, hi, moy = [], [], []
        first = start.replace(day=1)
        while first < end:
            nxt = (first + dt.timedelta(days=32)).replace(day=1)
            lo.append(epoch_day(max(first, start)))
            hi.append(epoch_day(min(nxt, end)))
            moy.append(first.month)
            first = nxt
        s, e = epoch_day(start), epoch_day(end)
        days = np.arange(s, e, dtype=np.int64)
        as_dates = days.astype("datetime64[D]")
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        month_day = as_dates - as_dates.astype("datetime64[M]").astype("datetime64[D]")
        month = as_dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        holiday = ((month == 1) & (month_day == np.timedelta64(0, "D"))) | (
            (month == 12) & (month_day == np.timedelta64(24, "D"))
        )
        bdays = days[(weekday < 5) & ~holiday].astype(np.int32)
        month_lo, month_hi = np.array(lo, dtype=np.int32), np.array(hi, dtype=np.int32)
        return cls(
            start=s,
            end=e,
            month_lo=month_lo,
            month_hi=month_hi,
            month_of_year=np.array(moy, dtype=np.int8),
            business_days=bdays,
            bd_lo=np.searchsorted(bdays, month_lo).astype(np.int64),
            bd_hi=np.searchsorted(bdays, month_hi).astype(np.int64),
        )

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Index of the month containing each epoch day."""
        return np.searchsorted(self.month_hi, days, side="right")
