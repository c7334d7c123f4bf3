"""Exact money arithmetic on aggregated results: integers of cents, rounded half up.

The engines return exact decimal sums. After aggregation the figures become int64 cents
(exact, vectorised with NumPy) and go back to ``decimal128(18, 2)`` for reporting.

Rounding is *half up* in the strict sense, ties towards +∞ (``⌊x + ½⌋``), not "half away
from zero": rounding then commutes with subtracting whole cents, so the rounded waterfall
still adds up (round(gross) − discounts = round(gross − discounts)) even for negative lines.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MONEY = pa.decimal128(18, 2)
_INT64_MAX = np.iinfo(np.int64).max


def _unscaled_int64(arr: pa.Array) -> np.ndarray:
    """The unscaled integers of a decimal128 array (nulls as 0), checked to fit in int64."""
    arr = arr.fill_null(pa.scalar(0, arr.type)) if arr.null_count else arr
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    words = words[2 * arr.offset : 2 * (arr.offset + len(arr))].reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    # A value fits in int64 when the high word is the sign extension of the low word.
    if not np.array_equal(high, np.where(low < 0, -1, 0)):
        raise OverflowError("money amount beyond ±9.2e16 cannot be represented in cents")
    return low.copy()


def unscaled(values: pa.Array | pa.ChunkedArray, scale: int) -> np.ndarray:
    """Decimal values as int64 multiples of ``10**-scale``, rounded half up if they carry
    more decimals than that. Nulls count as zero (a missing line adds nothing)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if not pa.types.is_decimal(values.type):
        raise TypeError(f"expected decimal amounts, got {values.type}")
    if values.type.scale > scale:
        values = pc.round(values, ndigits=scale, round_mode="half_up")
    return _unscaled_int64(values.cast(pa.decimal128(38, scale)))


def to_cents(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Decimal amounts as int64 cents (see :func:`unscaled`)."""
    return unscaled(values, 2)


def scaled_ints(values: pa.Array | pa.ChunkedArray, scale: int) -> np.ndarray:
    """Exact decimal amounts as integers of ``10**-scale`` units (nulls as 0).

    An int64 array when every value fits, else an object array of Python integers (sums of
    amount × days at 7 decimals can outgrow int64).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    values = values.cast(pa.decimal128(38, scale))
    try:
        return _unscaled_int64(values)
    except OverflowError:
        factor = Decimal(1).scaleb(scale)
        return np.array(
            [0 if v is None else int(v * factor) for v in values.to_pylist()], dtype=object
        )


def cents_to_decimal(cents: np.ndarray) -> pa.Array:
    """int64 cents as a ``decimal128(18, 2)`` array, exactly (the cents are its digits)."""
    return ints_to_decimal(cents, MONEY)


def ints_to_decimal(values: np.ndarray, decimal_type: pa.Decimal128Type) -> pa.Array:
    """Integers of ``10**-scale`` units as a decimal array of ``decimal_type``, exactly.

    ``values`` is an int64 array (its integers become the decimals' digits as they are) or
    an object array of Python integers (big sums, converted one by one).
    """
    values = np.asarray(values)
    if values.dtype == object:
        return pa.array([Decimal(int(v)).scaleb(-decimal_type.scale) for v in values], decimal_type)
    values = np.asarray(values, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # the sign extension: −1 for a negative value, else 0
    return pa.Array.from_buffers(decimal_type, len(values), [None, pa.py_buffer(words)])


def percent(part, whole) -> pa.Array:
    """100 × part / whole, rounded to 2 decimals (float64); null where ``whole`` is ≤ 0: a
    ratio over sales that returns have made negative reads as a margin but is not one.
    ``whole`` may be one number for every part."""
    part = np.asarray(part, dtype=np.float64)
    whole = np.broadcast_to(np.asarray(whole, dtype=np.float64), part.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.round(100.0 * part / whole, 2)
    return pa.array(pct, pa.float64(), mask=whole <= 0)


def summable(values: np.ndarray) -> np.ndarray:
    """``values`` as they are, or as Python integers where an int64 sum of them could
    overflow (a float bound of the sum of magnitudes is ample to decide)."""
    if values.dtype != object and float(np.abs(values.astype(np.float64)).sum()) >= 2**62:
        return values.astype(object)
    return values


def divide_half_up(numerator, denominator) -> np.ndarray:
    """round(numerator / denominator) with ties towards +∞, exactly, for positive denominators.

    ``⌊(2n + d) / 2d⌋``: vectorised in int64 when that cannot overflow, else with Python
    integers (``numerator`` may be an object array of big integers).
    """
    n = np.asarray(numerator)
    d = np.asarray(denominator)
    if len(n) == 0:
        return np.zeros(0, dtype=np.int64)
    if n.dtype != object and d.dtype != object and _fits(n) and _fits(d):
        n, d = n.astype(np.int64), d.astype(np.int64)
        return (2 * n + d) // (2 * d)
    result = [(2 * int(a) + int(b)) // (2 * int(b)) for a, b in zip(n, d, strict=True)]
    return np.array(result, dtype=np.int64)


def _fits(values: np.ndarray) -> bool:
    # 2n + d must stay below 2**63: keep every operand within ±2**61.
    return int(values.max()) < 2**61 and int(values.min()) > -(2**61)


def allocate_cents(cost_cents, capacity_milli, quantity_milli) -> np.ndarray:
    """Time-driven ABC cost of activity quantities, in cents: round(cost × q / capacity).

    All arguments are integer arrays of the same length (cost in cents, capacity and
    quantity in thousandths of a driver unit, the ledger's quantity scale). Exact: with
    cost = a·capacity + b (0 ≤ b < capacity), cost × q / capacity = a·q + b·q / capacity,
    whose products stay small enough for int64 in practice; rows where they might not are
    computed with Python integers.
    """
    cost = np.asarray(cost_cents, dtype=np.int64)
    qty = np.asarray(quantity_milli, dtype=np.int64)
    cap = np.asarray(capacity_milli, dtype=np.int64)
    if len(cost) == 0:
        return np.zeros(0, dtype=np.int64)
    whole, rest = np.divmod(cost, cap)
    # A float bound of each row's products is ample to decide whether int64 is safe.
    bound = np.abs(rest.astype(np.float64) * qty) + np.abs(whole.astype(np.float64) * qty)
    safe = bound < 2**60
    if safe.all():  # the usual case, without the cost of masking every array
        return whole * qty + divide_half_up(rest * qty, cap)
    result = np.empty(len(cost), dtype=np.int64)
    result[safe] = whole[safe] * qty[safe] + divide_half_up(rest[safe] * qty[safe], cap[safe])
    for i in np.flatnonzero(~safe):
        c, q, k = int(cost[i]), int(qty[i]), int(cap[i])
        result[i] = (2 * c * q + k) // (2 * k)
    return result
