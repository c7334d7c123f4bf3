"""The NumPy group sums and string coding behind the waterfall's exact cent arithmetic."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from openkam.engine.profitability.grouping import (
    _composite,
    codes,
    encode,
    group_sums,
    sorted_vocabulary,
)


def _reference(keys, values):
    """Group sums with Python dicts and ints, groups sorted by their key tuples."""
    sums: dict[tuple, list[int]] = {}
    for row, key in enumerate(zip(*(k.tolist() for k in keys), strict=True)):
        totals = sums.setdefault(key, [0] * len(values))
        for i, v in enumerate(values.values()):
            totals[i] += int(v[row])
    ordered = sorted(sums)
    return (
        [[key[j] for key in ordered] for j in range(len(keys))],
        {name: [sums[key][i] for key in ordered] for i, name in enumerate(values)},
    )


@pytest.mark.parametrize(
    ("spans", "one_key"),
    [
        # Ranges that share one int64 key (the composite key path).
        ((5000, 120, 7), True),
        # Ranges too wide to share 63 bits (the lexsort path).
        ((2**50, 2**40, 3), False),
    ],
)
def test_group_sums_equal_python_sums(spans, one_key):
    # Compared: group keys (in order) and exact sums against dicts of Python ints; values
    # near ±2**60 check that nothing passes through floats.
    rng = np.random.default_rng(7)
    n = 5000
    keys = [rng.integers(-span // 2, span // 2, n) for span in spans]
    keys = [np.concatenate([k, k[:300]]) for k in keys]  # repeated rows: groups of several
    assert (_composite(keys) is not None) == one_key
    values = {
        "big": rng.integers(-(2**60), 2**60, n + 300) // 4096,
        "small": rng.integers(-5, 5, n + 300),
    }
    got_keys, got_sums = group_sums(keys, values)
    want_keys, want_sums = _reference(keys, values)
    assert [k.tolist() for k in got_keys] == want_keys
    assert {name: s.tolist() for name, s in got_sums.items()} == want_sums


def test_group_sums_of_nothing():
    keys, sums = group_sums([np.zeros(0, np.int64)] * 2, {"cents": np.zeros(0, np.int64)})
    assert [len(k) for k in keys] == [0, 0] and len(sums["cents"]) == 0


def test_encode_equals_sorted_vocabulary_and_codes():
    # Compared: the vocabulary and every column's codes (−1 for a null) with the two
    # separate steps that encode does in one pass.
    columns = [
        pa.chunked_array([["b", "a", None], ["c", "b"]]),
        pa.array(["z", "a", "é"]),
        pa.chunked_array([], pa.string()),
    ]
    vocabulary, coded = encode(*columns)
    assert vocabulary.equals(sorted_vocabulary(*columns))
    assert [c.tolist() for c in coded] == [codes(c, vocabulary).tolist() for c in columns]
    assert coded[0].tolist() == [1, 0, -1, 2, 1]
