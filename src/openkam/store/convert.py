"""Turn text cells into the canonical Arrow types, finding every bad cell on the way.

The happy path is vectorised (a regular expression decides which cells are well formed,
one cast converts them); only the bad cells that are reported in full are looked at one by
one, to word the reason. The rules beyond the types live here too: which amounts may be
negative, and that a cost pool's period ends on or after its start.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.money import currency_codes
from openkam.engine.schema import Column, Kind
from openkam.store.issues import CellIssues
from openkam.store.readers import SourceBatch

#: Columns that cannot be negative, by kind. Invoice amounts may: a return line carries a
#: negative quantity and negative discount and COGS; a rebate may be reversed.
NON_NEGATIVE: dict[str, frozenset[str]] = {
    "invoices": frozenset({"line_no", "unit_list_price"}),
    "activities": frozenset({"quantity"}),
    "cost-pools": frozenset({"cost", "capacity"}),
    "orders": frozenset({"line_no"}),
    "deliveries": frozenset({"line_no"}),
    "commitments": frozenset({"protected_quantity", "target"}),
}
#: Columns that must be strictly positive: a pool's cost rate divides by its capacity.
POSITIVE: dict[str, frozenset[str]] = {
    "cost-pools": frozenset({"capacity"}),
    "fx-rates": frozenset({"rate"}),
    # Order lines, deliveries and supply are quantities of goods; a return is an invoice line.
    "orders": frozenset({"quantity"}),
    "deliveries": frozenset({"quantity"}),
    "supply": frozenset({"quantity"}),
}

#: Date columns that may not come before another date column of the same row:
#: kind -> [(later column, earlier column)].
DATE_ORDER: dict[str, list[tuple[str, str]]] = {
    "cost-pools": [("period_end", "period_start")],
    "orders": [("promised_date", "order_date")],
    "commitments": [("end_date", "start_date")],
}

#: Columns that hold an ISO 4217 currency code (in any kind).
CURRENCY_COLUMNS = frozenset({"currency"})

#: Closed ranges of whole-number columns: a relationship's strength is on a 1-5 scale.
RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "relationships": {"strength": (1, 5)},
    "competencies": {"level": (1, 5)},
}

#: Dates outside this range are refused: they are typing errors (0024 for 2024, 9999 as
#: "no end"), and the engines' month arithmetic and currency look-ups assume real dates.
DATE_RANGE = ("1900-01-01", "2100-12-31")

#: Longest text, in characters, by column name; a column not listed gets the default of
#: its role (identifiers, free notes, other text). The limits are the database's: a longer
#: name would be cut or refused by PostgreSQL when stored.
TEXT_LIMITS: dict[str, int] = {
    "email": 254,
    "phone": 50,
    "industry": 100,
    "region": 100,
    "country": 100,
    "product_line": 100,
    "role": 32,
}
#: Identifiers (``*_id`` columns, keys and references) fit the database's id fields.
ID_LIMIT = 64
#: Free text: the only columns that may hold line breaks.
NOTES_LIMIT = 10_000
NOTES_COLUMNS = frozenset({"notes", "note", "comment", "comments", "description", "reason"})
#: Any other text (names, titles, labels): one line.
TEXT_LIMIT = 200


def text_rule(kind: Kind, column: Column) -> tuple[int, bool]:
    """``(max_length, multiline)`` of a text column: its documented limit and whether
    line breaks are allowed."""
    name = column.name
    if name in NOTES_COLUMNS:
        return NOTES_LIMIT, True
    if name in TEXT_LIMITS:
        return TEXT_LIMITS[name], False
    if name.endswith("_id") or name in kind.key or column.references:
        return ID_LIMIT, False
    return TEXT_LIMIT, False


EMPTY = ("required value is empty", None)
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Years 1900-2100 only (DATE_RANGE): the check is part of the vectorised well-formedness test.
_DATE_FORM = r"^(?:19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"
_NUMBER_LIKE = re.compile(r"[+-]?(\d*)(?:\.(\d*))?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}([,' ]\d{3})+(\.\d*)?")


def _decimal_pattern(t: pa.Decimal128Type) -> str:
    digits, scale = t.precision - t.scale, t.scale
    # Trailing zeros beyond the scale are harmless (12.500 is exactly 12.50).
    return (
        rf"^[+-]?(?:[0-9]{{1,{digits}}}(?:\.[0-9]{{0,{scale}}}0*)?|\.[0-9]{{1,{scale}}}0*)$"
        if scale
        else rf"^[+-]?[0-9]{{1,{digits}}}(?:\.0*)?$"
    )


def describe_number(value: str, t: pa.DataType, non_negative: bool, positive: bool) -> str:
    """Why ``value`` is not an acceptable number of type ``t`` (only called for bad cells)."""
    if pa.types.is_decimal(t):
        digits, scale = t.precision - t.scale, t.scale
    else:
        digits, scale = 10, 0
    if "," in value:
        return "is not a number (use '.' as the decimal point and no thousands separator)"
    if _THOUSANDS.fullmatch(value):
        return "has a thousands separator; write the number without one"
    m = _NUMBER_LIKE.fullmatch(value)
    if not m or not (m.group(1) or m.group(2)):
        return "is not a number"
    whole, frac = m.group(1).lstrip("0"), (m.group(2) or "").rstrip("0")
    if len(frac) > scale:
        return "is not a whole number" if scale == 0 else f"has more than {scale} decimals"
    if len(whole) > digits:
        return "is too large"
    if value.startswith("-") and (whole or frac):
        return "is negative, which this column does not allow"
    if positive:
        return "must be greater than zero"
    return "is out of range"


def describe_date(value: str) -> str:
    if re.fullmatch(_DATE_FORM, value):
        return "is not a valid date"
    if re.fullmatch(_DATE_SHAPE, value):
        return f"is outside the accepted range {DATE_RANGE[0]} to {DATE_RANGE[1]}"
    return "is not a date in the form YYYY-MM-DD"


def describe_text(limit: int, multiline: bool):
    """The reason a text cell is refused (only called for bad cells)."""

    def reason(value: str) -> str:
        if "\x00" in value:
            return "contains a NUL character, which text may not hold"
        if not multiline and ("\n" in value or "\r" in value):
            return "contains a line break, which this column does not allow (only notes may)"
        return f"is {len(value):,} characters long; the limit is {limit:,}"

    return reason


def _check_text(text: pa.Array, empty, limit: int, multiline: bool):
    too_long = pc.greater(pc.utf8_length(text), limit)
    bad = pc.or_(too_long, pc.match_substring(text, "\x00"))
    if not multiline:
        bad = pc.or_(bad, pc.match_substring_regex(text, "[\r\n]"))
    return pc.and_(pc.invert(bad), pc.invert(empty))


def _np(mask) -> np.ndarray:
    return mask.to_numpy(zero_copy_only=False) if not isinstance(mask, np.ndarray) else mask


def _bad_cells(col: str, bad: np.ndarray, rows: np.ndarray, text: pa.Array, reason_of):
    idx = np.flatnonzero(bad)
    if not len(idx):
        return None

    def describe(i: int):
        value = text[int(idx[i])].as_py()
        return EMPTY if value == "" else (reason_of(value), value)

    return CellIssues(col, rows[idx], describe)


def _convert_decimal(text, empty, t, non_negative, positive):
    well_formed = pc.and_(pc.match_substring_regex(text, _decimal_pattern(t)), pc.invert(empty))
    values = pc.cast(pc.if_else(well_formed, text, "0"), t)
    good = well_formed
    if non_negative or positive:
        zero = pa.scalar(0, t)
        in_range = pc.greater(values, zero) if positive else pc.greater_equal(values, zero)
        good = pc.and_(good, in_range)
    return good, values


def _convert_int(text, empty, t, low, high):
    well_formed = pc.and_(pc.match_substring_regex(text, r"^[+-]?[0-9]{1,10}$"), pc.invert(empty))
    # Arrow's integer parser refuses a leading '+', which the pattern allows ("+3").
    unsigned = pc.replace_substring_regex(text, r"^\+", "")
    wide = pc.cast(pc.if_else(well_formed, unsigned, "0"), pa.int64())
    good = pc.and_(well_formed, pc.and_(pc.greater_equal(wide, low), pc.less_equal(wide, high)))
    return good, pc.cast(pc.if_else(good, wide, 0), t)


def _convert_date(text, empty):
    well_formed = pc.and_(pc.match_substring_regex(text, _DATE_FORM), pc.invert(empty))
    candidate = pc.if_else(well_formed, text, "1970-01-01")
    try:
        return well_formed, pc.cast(candidate, pa.date32())
    except pa.ArrowInvalid:
        # Some well-formed cell is not a calendar date (2024-02-30): find which by a round
        # trip, since strptime silently rolls it over into March.
        parsed = pc.strptime(candidate, format="%Y-%m-%d", unit="s", error_is_null=True)
        same = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), candidate), False)
        good = pc.and_(well_formed, same)
        return good, pc.cast(pc.if_else(good, parsed, pa.scalar(0, pa.timestamp("s"))), pa.date32())


def convert_column(kind: Kind, column: Column, text: pa.Array, rows: np.ndarray):
    """Convert one column of text cells to its canonical type.

    Returns ``(values, ok, issues)``: the typed array (null where empty or bad), a boolean
    array of cells that are acceptable, and the bad cells as ``CellIssues`` (or ``None``).
    """
    t = column.type
    empty = pc.equal(text, "")
    non_negative = column.name in NON_NEGATIVE.get(kind.name, ())
    positive = column.name in POSITIVE.get(kind.name, ())
    if pa.types.is_decimal(t):
        good, values = _convert_decimal(text, empty, t, non_negative, positive)

        def reason_of(v):
            return describe_number(v, t, non_negative, positive)
    elif pa.types.is_integer(t):
        info = np.iinfo(np.dtype(f"int{t.bit_width}"))
        bounds = RANGES.get(kind.name, {}).get(column.name)
        low, high = bounds or (0 if non_negative else int(info.min), int(info.max))
        good, values = _convert_int(text, empty, t, low, high)

        def reason_of(v):
            if bounds and re.fullmatch(r"[+-]?[0-9]{1,10}", v):
                return f"must be between {low} and {high}"
            return describe_number(v, t, non_negative, positive)
    elif pa.types.is_date(t):
        good, values = _convert_date(text, empty)
        reason_of = describe_date
    elif column.name in CURRENCY_COLUMNS:
        codes = pa.array(sorted(currency_codes()), pa.string())
        good, values = pc.is_in(text, value_set=codes), text

        def reason_of(v):
            return "is not an ISO 4217 currency code (three capital letters, e.g. EUR, USD, GBP)"
    else:
        limit, multiline = text_rule(kind, column)
        good, values = _check_text(text, empty, limit, multiline), text
        reason_of = describe_text(limit, multiline)
    empty_np = _np(empty)
    good_np = _np(good)
    # An empty optional cell is fine (null); an empty required one or a bad value is not.
    bad = ~good_np & (~empty_np | column.required)
    values = pc.if_else(good, values, pa.scalar(None, t))
    issues = _bad_cells(column.name, bad, rows, text, reason_of)
    return values, ~bad, issues


def convert_batch(kind: Kind, batch: SourceBatch):
    """Convert a batch of text cells to a table of ``kind``'s canonical schema.

    Returns ``(table, ok, issues)``: the typed table (all canonical columns, null where a
    column is absent or a cell bad), a boolean NumPy mask of rows without problems, and
    the list of ``CellIssues``. Rows with problems stay in the table so row masks line up.
    """
    n = len(batch.rows)
    ok = np.ones(n, dtype=bool)
    arrays, issues = [], []
    for column in kind.columns:
        text = batch.columns.get(column.name)
        if text is None:
            arrays.append(pa.nulls(n, column.type))
            if column.required:
                ok[:] = False  # already reported once for the whole file
            continue
        values, col_ok, col_issues = convert_column(kind, column, text, batch.rows)
        arrays.append(values)
        ok &= col_ok
        if col_issues is not None:
            issues.append(col_issues)
    table = pa.Table.from_arrays(arrays, schema=_nullable(kind.arrow_schema))
    extra = _row_rules(kind, table, batch.rows)
    for row_issue, row_ok in extra:
        issues.append(row_issue)
        ok &= row_ok
    return table, ok, issues


#: How the end of a period names its start: ``X_end`` / ``X_start`` and the like.
_PERIOD_ENDS = (
    (re.compile(r"^(.*)end$"), r"\1start"),
    (re.compile(r"^(.*)end_date$"), r"\1start_date"),
    (re.compile(r"^(.*)valid_(?:to|until)$"), r"\1valid_from"),
    (re.compile(r"^(.*)to_date$"), r"\1from_date"),
)


def periods(kind: Kind) -> list[tuple[str, str]]:
    """The ``(start, end)`` date columns of ``kind`` that bound a period.

    Found by name (``period_start``/``period_end``, ``start_date``/``end_date``,
    ``valid_from``/``valid_to`` …) so that every kind with a period gets the rule that it
    cannot end before it starts.
    """
    dates = {c.name for c in kind.columns if pa.types.is_date(c.type)}
    found = []
    for name in sorted(dates):
        for pattern, start in _PERIOD_ENDS:
            if pattern.match(name):
                begin = pattern.sub(start, name)
                if begin in dates and begin != name:
                    found.append((begin, name))
                    break
    return found


def _row_rules(kind: Kind, table: pa.Table, rows: np.ndarray):
    """Rules that relate several cells of a row: a period cannot end before it starts."""
    found = []
    pairs = periods(kind)
    # Dates that may not precede another without a period's names (a promise after its order).
    pairs += [(a, b) for b, a in DATE_ORDER.get(kind.name, ()) if (a, b) not in pairs]
    for start_col, end_col in pairs:
        start, end = table[start_col], table[end_col]
        before = _np(pc.fill_null(pc.less(end, start), False).combine_chunks())
        idx = np.flatnonzero(before)
        if len(idx):

            def describe(i: int, idx=idx, start=start, end=end, start_col=start_col):
                k = int(idx[i])
                return (f"is before {start_col} {start[k].as_py()}", str(end[k].as_py()))

            found.append((CellIssues(end_col, rows[idx], describe), ~before))
    return found


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema])


__all__ = [
    "DATE_RANGE",
    "NON_NEGATIVE",
    "POSITIVE",
    "RANGES",
    "convert_batch",
    "convert_column",
    "describe_number",
    "periods",
    "text_rule",
]
