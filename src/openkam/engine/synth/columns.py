"""Arrow columns built straight from NumPy buffers.

The generator produces millions of ids, dates and exact decimals per chunk; going through
Python objects (``pa.array(list_of_str)``) would cost more than generating the data, so the
Arrow buffers are laid out by hand. Every builder here is exact: decimals come from integers
in the column's smallest unit, never from floats.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

EPOCH = dt.date(1970, 1, 1)


def epoch_day(day: dt.date) -> int:
    """Days since 1970-01-01, the storage of Arrow's ``date32``."""
    return (day - EPOCH).days


def from_epoch_day(days: int) -> dt.date:
    """Inverse of :func:`epoch_day`."""
    return EPOCH + dt.timedelta(days=int(days))


def decimals(unscaled: np.ndarray, type_: pa.Decimal128Type) -> pa.Array:
    """A ``decimal128`` column from integers in units of ``10**-scale``.

    Arrow stores a decimal128 as a 16-byte little-endian two's-complement integer, so an
    int64 with its sign extended into the high word is already the storage layout.
    """
    low = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((len(low), 2), dtype=np.int64)
    words[:, 0] = low
    words[:, 1] = low >> 63
    return pa.Array.from_buffers(type_, len(low), [None, pa.py_buffer(words)])


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A ``date32`` column from epoch days; ``valid`` (bool) marks non-null entries."""
    values = np.ascontiguousarray(days, dtype=np.int32)
    if valid is None:
        return pa.Array.from_buffers(pa.date32(), len(values), [None, pa.py_buffer(values)])
    bitmap = np.packbits(np.asarray(valid, dtype=bool), bitorder="little")
    null_count = int(len(values) - np.count_nonzero(valid))
    return pa.Array.from_buffers(
        pa.date32(),
        len(values),
        [pa.py_buffer(bitmap), pa.py_buffer(values)],
        null_count=null_count,
    )


def int32s(values: np.ndarray) -> pa.Array:
    """An ``int32`` column without a copy through Python objects."""
    v = np.ascontiguousarray(values, dtype=np.int32)
    return pa.Array.from_buffers(pa.int32(), len(v), [None, pa.py_buffer(v)])


def numbered_ids(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """Fixed-width ids such as ``INV-0000012345`` from non-negative integers.

    All ids have the same length, so the string offsets are an arithmetic progression and
    the characters are the prefix followed by the zero-padded decimal digits.
    """
    n = len(numbers)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    width = len(head) + digits
    chars = np.empty((n, width), dtype=np.uint8)
    chars[:, : len(head)] = head
    rest = np.asarray(numbers, dtype=np.int64).copy()
    if n and (rest.min() < 0 or rest.max() >= 10**digits):
        raise ValueError(f"numbers do not fit in {digits} digits")
    for pos in range(width - 1, len(head) - 1, -1):
        chars[:, pos] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars))


def pick(dictionary: pa.Array, indices: np.ndarray) -> pa.Array:
    """``dictionary[indices]`` as a plain column (Parquet dictionary-encodes it on write)."""
    return dictionary.take(pa.array(np.asarray(indices, dtype=np.int32)))
