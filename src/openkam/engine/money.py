"""Money rules shared by every part of the engine: currencies and splitting amounts.

**Currencies.** Amounts carry an ISO 4217 currency and are reported in one *reporting
currency* (``OPENKAM_REPORTING_CURRENCY``, EUR unless set). The list of codes is the one
the Unicode CLDR keeps (through Babel), which follows ISO 4217 including withdrawn codes, so
that old ledgers still read.

**Splitting.** Whenever an amount is split (a cost pool over the accounts that used it, an
account's charge over the months, a year over the people who held the account), the whole
is rounded once and its cents are handed out by *largest remainder* (Hamilton's method;
Balinski & Young, *Fair Representation*, 2nd ed., 2001, ch. 2): each part first gets its
exact share rounded down, and the cents left over go one each to the parts with the largest
fractional remainders (ties to the earlier part). So the parts add up to the whole *and*
each part is within one cent of its exact share.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DEFAULT_REPORTING_CURRENCY",
    "check_currency",
    "currency_codes",
    "is_currency",
    "largest_remainder",
    "split_cents",
]

#: The reporting currency when none is configured.
DEFAULT_REPORTING_CURRENCY = "EUR"


@functools.lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """The ISO 4217 currency codes (from the Unicode CLDR, through Babel)."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def is_currency(code: str | None) -> bool:
    """Whether ``code`` is an ISO 4217 currency code (three capital letters, e.g. "EUR")."""
    return isinstance(code, str) and len(code) == 3 and code in currency_codes()


def check_currency(code: str) -> str:
    """``code`` if it is an ISO 4217 currency code, else ValueError saying so."""
    if not is_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)")
    return code


def split_cents(total: int, weights: Sequence[int | float]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` by largest remainder.

    The parts add up to ``total`` and each is within one cent of ``total × w / Σw``;
    equal remainders go to the earlier part. Weights must be ≥ 0 with a positive sum
    (integers are exact; floats are taken as the exact binary numbers they are).

    >>> split_cents(10000, [1, 1, 1])
    [3334, 3333, 3333]
    """
    from fractions import Fraction

    shares = [Fraction(w) for w in weights]
    if any(s < 0 for s in shares) or sum(shares) <= 0:
        raise ValueError("weights must be ≥ 0 with a positive sum")
    whole = sum(shares)
    # Quotas total × w / Σw over one common denominator.
    fractions = [Fraction(total) * s / whole for s in shares]
    denominator = int(np.lcm.reduce([f.denominator for f in fractions])) if fractions else 1
    numerators = [int(f * denominator) for f in fractions]
    parts = largest_remainder(
        np.array(numerators, dtype=object),
        denominator,
        np.zeros(len(numerators), dtype=np.int64),
        np.array([total], dtype=np.int64),
    )
    return [int(p) for p in parts]


def largest_remainder(numerators, denominators, groups, totals=None) -> np.ndarray:
    """Integer parts of exact quotas, by largest remainder within each group.

    Row ``i`` has the exact quota ``numerators[i] / denominators[i]`` (in cents, say) and
    belongs to group ``groups[i]`` (codes 0 … G−1). Each group's parts add up to its
    ``totals[g]`` (default: its quotas' sum rounded half up, ties towards +∞, the rounding
    of :mod:`openkam.engine.profitability.money`): every part is its quota rounded down,
    plus one for the rows of the largest remainders. When the total is the quotas' sum
    rounded (or within one of it), every part is within one of its quota.

    Parameters
    ----------
    numerators
        Integers (int64, or an object array of Python integers for big ones).
    denominators
        Positive integers, one per row or one for all; the rows of a group must share one
        (their remainders are compared directly).
    groups
        int64 group codes.
    totals
        int64 per group, or None.

    Returns
    -------
    np.ndarray
        int64 parts, aligned with the rows.
    """
    n = np.asarray(numerators)
    count = len(n)
    groups = np.asarray(groups, dtype=np.int64)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    d = np.broadcast_to(np.asarray(denominators), (count,))
    if np.any(d <= 0):
        raise ValueError("denominators must be positive")
    if n.dtype == object or d.dtype == object:
        pairs = [divmod(int(a), int(b)) for a, b in zip(n, d, strict=True)]
        floors = np.array([q for q, _ in pairs], dtype=object)
        remainders = np.array([r for _, r in pairs], dtype=np.int64)  # < denominator
    else:
        floors, remainders = np.divmod(n.astype(np.int64), d.astype(np.int64))
    group_count = int(groups.max()) + 1
    floor_sums = _group_sum(floors, groups, group_count)
    if totals is None:
        remainder_sums = _group_sum(remainders, groups, group_count)
        first = np.zeros(group_count, dtype=np.int64)
        first[groups[::-1]] = np.arange(count)[::-1]  # a row of each group, for its denominator
        # round(Σ quota) = Σ floor + round(Σ remainder / d), half up.
        totals = floor_sums + _half_up(remainder_sums, d[first])
    left = np.asarray(totals) - floor_sums
    left = left.astype(np.int64) if left.dtype == object else left
    sizes = np.bincount(groups, minlength=group_count)
    # A total further than the group's size from Σ floor hands every row whole cents first.
    base, left = np.divmod(left, np.maximum(sizes, 1))
    parts = floors + base[groups]
    # Only the rows of groups with cents left to hand out (fewer than their rows, after
    # the divmod above) need a ranking.
    row_left = left[groups]
    ranked = np.flatnonzero(row_left > 0)
    if len(ranked):
        sub_groups, sub_remainders = groups[ranked], remainders[ranked]
        # By group, then remainder, largest first; both sorts are stable, so equal
        # remainders keep the earlier row first. One int64 key sorts faster than two.
        span = int(sub_remainders.max()) + 1
        if group_count * span < 2**62:
            order = np.argsort(sub_groups * span + (span - 1 - sub_remainders), kind="stable")
        else:
            order = np.lexsort((-sub_remainders, sub_groups))
        sub_sizes = np.bincount(sub_groups, minlength=group_count)
        group_start = np.concatenate([[0], np.cumsum(sub_sizes)[:-1]])
        rank = np.empty(len(ranked), dtype=np.int64)
        rank[order] = np.arange(len(ranked)) - group_start[sub_groups[order]]
        parts[ranked] += rank < row_left[ranked]
    return np.asarray(parts.astype(np.int64) if parts.dtype == object else parts, dtype=np.int64)


def _group_sum(values: np.ndarray, groups: np.ndarray, group_count: int) -> np.ndarray:
    """Exact per-group sums: int64 when they cannot overflow, else Python integers."""
    if values.dtype != object and float(np.abs(values.astype(np.float64)).sum()) < 2**62:
        sums = np.zeros(group_count, dtype=np.int64)
        np.add.at(sums, groups, values)
        return sums
    sums = [0] * group_count
    for g, v in zip(groups.tolist(), values.tolist(), strict=True):
        sums[g] += int(v)
    return np.array(sums, dtype=object)


def _half_up(numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """⌊(2n + d) / 2d⌋ per element: n / d rounded half up."""
    if numerators.dtype != object and denominators.dtype != object:
        n, d = numerators.astype(np.int64), denominators.astype(np.int64)
        if float(np.abs(n).max(initial=0)) < 2**60 and float(d.max(initial=0)) < 2**60:
            return (2 * n + d) // (2 * d)
    return np.array(
        [
            (2 * int(a) + int(b)) // (2 * int(b))
            for a, b in zip(numerators, denominators, strict=True)
        ],
        dtype=object,
    )
