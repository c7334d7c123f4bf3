"""Cell conversion: what counts as a number or a date, and how a bad one is worded."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkam.engine.schema import KINDS
from openkam.store.convert import convert_column
from openkam.store.references import find_cycles

INVOICES = KINDS["invoices"]
POOLS = KINDS["cost-pools"]


def _convert(kind, column, cells):
    values, ok, issues = convert_column(
        kind, kind.column(column), pa.array(cells, pa.string()), np.arange(2, len(cells) + 2)
    )
    reasons = {}
    if issues is not None:
        for i, row in enumerate(issues.rows):
            reasons[int(row)] = issues.describe(i)[0]
    return values.to_pylist(), list(ok), reasons


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("12.5", Decimal("12.50")),
        ("12.500", Decimal("12.50")),  # zeros beyond the scale lose nothing
        ("-3", Decimal("-3.00")),
        ("+4", Decimal("4.00")),
        (".5", Decimal("0.50")),
        ("0", Decimal("0.00")),
        ("9999999999999999.99", Decimal("9999999999999999.99")),  # 16 + 2 digits: the maximum
    ],
)
def test_money_accepted(cell, value):
    values, ok, reasons = _convert(INVOICES, "discount_amount", [cell])
    assert values == [value] and ok == [True] and reasons == {}


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12,5", "is not a number (use '.' as the decimal point and no thousands separator)"),
        ("1,000.00", "is not a number (use '.' as the decimal point and no thousands separator)"),
        ("1 000", "has a thousands separator; write the number without one"),
        ("1'000", "has a thousands separator; write the number without one"),
        ("12.345", "has more than 2 decimals"),
        ("1e3", "is not a number"),
        ("€12", "is not a number"),
        ("-", "is not a number"),
        ("12345678901234567", "is too large"),
        ("", "required value is empty"),
    ],
)
def test_money_rejected(cell, reason):
    values, ok, reasons = _convert(INVOICES, "discount_amount", [cell])
    assert values == [None] and ok == [False] and reasons == {2: reason}


def test_sign_rules_depend_on_the_column():
    # A return line has a negative quantity; a price or a pool's capacity cannot.
    assert _convert(INVOICES, "quantity", ["-2.5"])[0] == [Decimal("-2.500")]
    assert _convert(INVOICES, "unit_list_price", ["-1"])[2] == {
        2: "is negative, which this column does not allow"
    }
    assert _convert(POOLS, "capacity", ["0", "-0", "0.001"])[2] == {
        2: "must be greater than zero",
        3: "must be greater than zero",
    }


def test_optional_empty_cell_is_null_not_an_error():
    values, ok, reasons = _convert(INVOICES, "due_date", ["", "2024-02-29"])
    assert values[0] is None and ok == [True, True] and reasons == {}


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2023-02-29", "is not a valid date"),  # 2023 is not a leap year
        ("2024-04-31", "is not a valid date"),
        ("2024-1-5", "is not a date in the form YYYY-MM-DD"),
        ("05/01/2024", "is not a date in the form YYYY-MM-DD"),
        ("2024-01-05T10:00", "is not a date in the form YYYY-MM-DD"),
    ],
)
def test_dates_rejected(cell, reason):
    values, ok, reasons = _convert(INVOICES, "invoice_date", ["2024-02-29", cell])
    assert values[1] is None and reasons == {3: reason}
    assert str(values[0]) == "2024-02-29"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("1.5", "is not a whole number"), ("-1", "is negative"), ("99999999999", "is too large")],
)
def test_line_numbers(cell, reason):
    values, ok, reasons = _convert(INVOICES, "line_no", ["7", cell])
    assert values[0] == 7 and reasons[3].startswith(reason)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2, allow_nan=False))
def test_any_cent_amount_round_trips_exactly(amount):
    values, ok, _ = _convert(INVOICES, "cogs_amount", [str(amount) if amount else "0"])
    assert ok == [True] and values == [amount]


def test_find_cycles():
    parents = {"a": "b", "b": "c", "c": "a", "d": "a", "e": None, "f": "f", "g": "unknown"}
    assert sorted(sorted(c) for c in find_cycles(parents)) == [["a", "b", "c"], ["f"]]


def test_relationship_strength_is_on_a_one_to_five_scale():
    kind = KINDS["relationships"]
    values, ok, reasons = _convert(kind, "strength", ["1", "5", "0", "6", "4.5"])
    assert values[:2] == [1, 5]
    assert reasons == {
        4: "must be between 1 and 5",
        5: "must be between 1 and 5",
        6: "is not a whole number",
    }
