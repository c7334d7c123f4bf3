"""Deterministic identifiers for rebate and activity records that come without one.

The id of a record is a hash of its content and of its occurrence among identical records
in the same file: re-importing a file yields the same ids (so nothing changes), and two
identical records in one file (two deliveries of the same day) stay two records.

Recipe (``schema.ID_NOTE``), for a record of kind K with content columns c1..cn (every
column of K but the id, in schema order)::

    text = c1 + US + c2 + US + ... + cn + US + occurrence
    id   = "auto-" + first 24 hex digits of SHA-256(UTF-8(text))

where US is the unit separator U+001F (a column added to the kind later, ``currency``,
follows cn as ``US + value`` only when it is not empty, so that earlier records keep
their ids), a null cell is the empty string, a date is written
YYYY-MM-DD, a decimal with exactly its scale's digits ("12.50", "-3.000"), and occurrence
is 1 for the first such record in the file, 2 for the second identical one, and so on.
96 bits make an accidental collision negligible (birthday bound ~1e-13 at 1e9 records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from openkam.engine.schema import KINDS

#: The kinds whose id column is optional, and that column.
DERIVED_ID_COLUMN = {"rebates": "rebate_id", "activities": "activity_id"}
PREFIX = "auto-"
HEX_DIGITS = 24


#: Columns added after ids were first derived: in the text only when not null.
LATER_COLUMNS = ("currency",)


def content_columns(kind: str) -> list[str]:
    """The columns whose values make up a derived id, in schema order (the
    :data:`LATER_COLUMNS` apart)."""
    id_col = DERIVED_ID_COLUMN[kind]
    return [c.name for c in KINDS[kind].columns if c.name not in (id_col, *LATER_COLUMNS)]


def identity_columns(kind: str) -> list[str]:
    """Every column that tells two records apart (for counting identical ones)."""
    return content_columns(kind) + _later_columns(kind)


def _later_columns(kind: str) -> list[str]:
    names = {c.name for c in KINDS[kind].columns}
    return [c for c in LATER_COLUMNS if c in names]


def _text(value, column) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.{column.type.scale}f}"
    return str(value)


def derived_id(kind: str, record: dict, occurrence: int = 1) -> str:
    """The id the importer gives ``record`` (typed values by column name), in Python.

    This is the reference implementation of the recipe in the module docstring; the
    importer computes the same thing in SQL for speed.
    """
    schema = KINDS[kind]
    parts = [_text(record.get(name), schema.column(name)) for name in content_columns(kind)]
    parts += [str(record[c]) for c in _later_columns(kind) if record.get(c) is not None]
    text = "\x1f".join([*parts, str(occurrence)])
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()[:HEX_DIGITS]


def derived_id_sql(kind: str, occurrence: str) -> str:
    """A DuckDB expression computing ``derived_id`` from a row's columns."""
    # DuckDB casts dates to ISO text and decimals with their full scale, as the recipe says.
    parts = [f"coalesce(CAST(\"{name}\" AS VARCHAR), '')" for name in content_columns(kind)]
    later = "".join(
        f" || coalesce(chr(31) || CAST(\"{c}\" AS VARCHAR), '')" for c in _later_columns(kind)
    )
    text = " || chr(31) || ".join(parts) + later + f" || chr(31) || CAST({occurrence} AS VARCHAR)"
    return f"'{PREFIX}' || substr(sha256({text}), 1, {HEX_DIGITS})"


__all__ = [
    "DERIVED_ID_COLUMN",
    "content_columns",
    "derived_id",
    "derived_id_sql",
    "identity_columns",
]
