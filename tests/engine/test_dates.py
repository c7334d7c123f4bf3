"""Day numbers of date columns: equal to Python's ``date.toordinal()`` on every backend."""

from __future__ import annotations

import datetime as dt

import narwhals as nw
import pyarrow as pa
import pytest

from openkam.engine.backends import from_arrow
from openkam.engine.dates import day_number_of, with_day_numbers

# Leap-year edges of the Gregorian rule: 2000 is a leap year (÷400), 2100 is not (÷100).
DAYS = [
    dt.date(1, 1, 1),
    dt.date(1999, 12, 31),
    dt.date(2000, 2, 29),
    dt.date(2000, 3, 1),
    dt.date(2024, 1, 1),
    dt.date(2100, 2, 28),
    dt.date(2100, 3, 1),
    None,
]


def _frame(engine: str) -> nw.LazyFrame:
    table = pa.table({"d": pa.array(DAYS, pa.date32()), "e": pa.array(DAYS[::-1], pa.date32())})
    if engine == "arrow":
        return nw.from_native(table).lazy()
    return from_arrow(table, engine)


@pytest.mark.parametrize(
    "backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark), "arrow"]
)
def test_day_numbers_are_ordinals_on_every_backend(backend, request):
    if backend == "spark":
        request.getfixturevalue("spark")
    frame = with_day_numbers(_frame(backend), n="d", m="e")
    result = frame.collect("pyarrow").to_native()
    assert result["n"].to_pylist() == [d.toordinal() if d else None for d in DAYS]
    assert result["m"].to_pylist() == [d.toordinal() if d else None for d in DAYS[::-1]]
    assert result.schema.field("n").type == pa.int64()


def test_differences_are_day_counts():
    # 2000 has 366 days; 2100 has 365 (hand count of the Gregorian rule).
    assert day_number_of(dt.date(2001, 1, 1)) - day_number_of(dt.date(2000, 1, 1)) == 366
    assert day_number_of(dt.date(2101, 1, 1)) - day_number_of(dt.date(2100, 1, 1)) == 365
    assert day_number_of(dt.date(1, 1, 1)) == 1


def test_no_columns_leaves_the_frame_alone():
    frame = _frame("duckdb")
    assert with_day_numbers(frame) is frame
