"""Time units of the lifetime-value models and a portable day count.

The models measure time in one unit (day, week, month ...). A month is the mean Gregorian
month, 365.2425 / 12 days, so that a unit is a fixed length and ages stay additive.
"""

from __future__ import annotations

#: Length of each time unit in days.
UNIT_DAYS: dict[str, float] = {
    "day": 1.0,
    "week": 7.0,
    "month": 365.2425 / 12,
    "quarter": 365.2425 / 4,
    "year": 365.2425,
}

#: Units a transaction summary may be expressed in.
SUMMARY_UNITS: tuple[str, ...] = ("day", "week", "month")


def unit_days(unit: str) -> float:
    """Length of ``unit`` in days; raises ``ValueError`` naming the valid units."""
    try:
        return UNIT_DAYS[unit]
    except KeyError:
        raise ValueError(
            f"unknown time unit {unit!r}; choose one of {', '.join(UNIT_DAYS)}"
        ) from None


def period_discount_rate(annual_rate: float, period: str) -> float:
    """Discount rate per ``period`` equivalent to ``annual_rate``: (1 + d)^(days/365.2425) - 1."""
    if annual_rate <= -1:
        raise ValueError(f"annual discount rate must be > -1, got {annual_rate}")
    return (1.0 + annual_rate) ** (unit_days(period) / UNIT_DAYS["year"]) - 1.0
