"""Per-customer summaries as NumPy arrays, checked before any model sees them.

A model fitted on a summary with, say, recency greater than age returns numbers that look
fine and mean nothing, so every check runs up front and one ``ValueError`` lists every
problem found, how many customers it affects and a few of their ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Column names of a per-customer summary.
CUSTOMER_ID = "customer_id"
FREQUENCY = "frequency"
RECENCY = "recency"
AGE = "T"
MONETARY_VALUE = "monetary_value"

#: Fewest customers a model is fitted on; below it the estimates are noise.
MIN_CUSTOMERS = 10

_EXAMPLES = 5


@dataclass(frozen=True)
class SummaryArrays:
    """A validated summary: one entry per customer, floats except the ids."""

    customer_id: pa.Array
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.frequency)

    def subset(self, mask: np.ndarray) -> SummaryArrays:
        """The customers where ``mask`` is true."""
        return SummaryArrays(
            customer_id=self.customer_id.filter(pa.array(mask)),
            frequency=self.frequency[mask],
            recency=self.recency[mask],
            T=self.T[mask],
            monetary_value=None if self.monetary_value is None else self.monetary_value[mask],
        )


def to_arrow(data) -> pa.Table:
    """Any summary-like input as an Arrow table.

    Accepts a :class:`~openkam.engine.clv.summary.TransactionSummary`, an Arrow table, a
    mapping of column name to array, or anything narwhals understands (pandas, DuckDB
    relation, Spark DataFrame, narwhals frames; lazy frames are collected).
    """
    table = getattr(data, "table", None)
    if isinstance(table, pa.Table):
        return table
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, Mapping):
        return pa.table(
            {k: np.asarray(v) if not isinstance(v, pa.Array) else v for k, v in data.items()}
        )
    frame = data if isinstance(data, nw.DataFrame | nw.LazyFrame) else nw.from_native(data)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect("pyarrow")
    return frame.to_arrow()


def _ids(ids: pa.Array, mask: np.ndarray) -> str:
    picked = ids.filter(pa.array(mask)).slice(0, _EXAMPLES).to_pylist()
    more = ", ..." if int(mask.sum()) > _EXAMPLES else ""
    return ", ".join(str(i) for i in picked) + more


def _float_column(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name)
    if pa.types.is_decimal(col.type) or pa.types.is_integer(col.type):
        col = pc.cast(col, pa.float64())
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
        raise ValueError(f"column {name!r} must be numeric, got {col.type}")
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def summary_arrays(
    data,
    *,
    model: str,
    require_monetary: bool = False,
    min_customers: int = MIN_CUSTOMERS,
) -> SummaryArrays:
    """Validate a per-customer summary and return it as arrays.

    Parameters
    ----------
    data
        A summary with the columns ``customer_id, frequency, recency, T`` (and
        ``monetary_value`` when ``require_monetary``); see :func:`to_arrow` for the types.
    model
        Name of the model the data are for, used in the error message.
    require_monetary
        Whether ``monetary_value`` is required (Gamma-Gamma, lifetime value).
    min_customers
        Fewest customers accepted.

    Raises
    ------
    ValueError
        Listing every problem: missing columns, duplicate or missing ids, missing or
        non-finite numbers, negative values, non-integer frequencies, recency greater than
        T, a positive recency with frequency 0, too few customers.
    """
    table = to_arrow(data)
    required = [CUSTOMER_ID, FREQUENCY, RECENCY, AGE] + (
        [MONETARY_VALUE] if require_monetary else []
    )
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise ValueError(
            f"{model}: the summary is missing column(s) {', '.join(missing)} "
            f"(it has {', '.join(table.column_names)})"
        )
    ids = table.column(CUSTOMER_ID).combine_chunks()
    problems: list[str] = []
    n = len(table)
    if n < min_customers:
        problems.append(f"too few customers to fit: {n} (at least {min_customers} needed)")
    if ids.null_count:
        problems.append(f"{ids.null_count} customer(s) have no customer_id")
    if len(pc.unique(ids.drop_null())) != n - ids.null_count:
        counts = pc.value_counts(ids.drop_null())
        dup = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
        examples = ", ".join(str(v) for v in dup.slice(0, _EXAMPLES).to_pylist())
        problems.append(
            f"customer_id is not unique: {len(dup)} id(s) appear more than once, e.g. {examples}"
        )
    cols = {c: _float_column(table, c) for c in required[1:]}
    for name, values in cols.items():
        bad = ~np.isfinite(values)
        if bad.any():
            problems.append(
                f"{int(bad.sum())} customer(s) have a missing or infinite {name}: {_ids(ids, bad)}"
            )
        neg = values < 0
        if neg.any():
            problems.append(
                f"{int(neg.sum())} customer(s) have a negative {name}: {_ids(ids, neg)}"
            )
    x, t_x, age = cols[FREQUENCY], cols[RECENCY], cols[AGE]
    frac = np.isfinite(x) & (x != np.round(x))
    if frac.any():
        problems.append(
            f"{int(frac.sum())} customer(s) have a non-integer frequency: {_ids(ids, frac)}"
        )
    # Recency and T come from the same day counts, so only rounding may separate them.
    late = t_x > age * (1 + 1e-9) + 1e-12
    if late.any():
        problems.append(f"{int(late.sum())} customer(s) have recency > T: {_ids(ids, late)}")
    ghost = (x == 0) & (t_x != 0)
    if ghost.any():
        problems.append(
            f"{int(ghost.sum())} customer(s) have frequency 0 but a positive recency "
            f"(recency must be 0 without repeat purchases): {_ids(ids, ghost)}"
        )
    if problems:
        raise ValueError(f"{model}: invalid summary:\n- " + "\n- ".join(problems))
    return SummaryArrays(
        customer_id=ids,
        frequency=x,
        recency=np.minimum(t_x, age),
        T=age,
        monetary_value=cols.get(MONETARY_VALUE),
    )


@dataclass(frozen=True)
class Compressed:
    """Identical (frequency, recency, T) triples merged, with their counts as weights.

    Summaries built from dated transactions take few distinct values (days), so a million
    customers collapse to far fewer rows, and each distinct frequency, recency or age is
    a handful of values whose special functions are computed once per evaluation.
    """

    weight: np.ndarray
    x_values: np.ndarray
    x_index: np.ndarray
    tx_values: np.ndarray
    tx_index: np.ndarray
    T_values: np.ndarray
    T_index: np.ndarray

    @property
    def x(self) -> np.ndarray:
        return self.x_values[self.x_index]

    @property
    def t_x(self) -> np.ndarray:
        return self.tx_values[self.tx_index]

    @property
    def T(self) -> np.ndarray:
        return self.T_values[self.T_index]

    @classmethod
    def from_arrays(cls, x, t_x, T, weight=None) -> Compressed:
        # Hash-based factorisation (Arrow) is several times faster than sorting here.
        ux, ix = _factorise(x)
        ut, it = _factorise(t_x)
        uT, iT = _factorise(T)
        code = (ix * len(ut) + it) * len(uT) + iT
        codes, row = _factorise(code)
        w = np.bincount(
            row, weights=None if weight is None else np.asarray(weight, dtype=np.float64)
        ).astype(np.float64)
        k = len(codes)
        first = np.empty(k, dtype=np.int64)
        first[row[::-1]] = np.arange(len(row) - 1, -1, -1)
        return cls(w, ux, ix[first], ut, it[first], uT, iT[first])

    def pairs(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (x, y) pairs with y = ``"t_x"`` or ``"T"``: (x, y, index of each row's pair)."""
        yi = self.tx_index if which == "t_x" else self.T_index
        yv = self.tx_values if which == "t_x" else self.T_values
        code = self.x_index.astype(np.int64) * len(yv) + yi
        codes, inverse = _factorise(code)
        return self.x_values[codes // len(yv)], yv[codes % len(yv)], inverse


def _factorise(values) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (in order of first appearance) and each entry's index among them."""
    encoded = pc.dictionary_encode(pa.array(np.asarray(values)))
    return (
        np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False)),
        np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
    )
