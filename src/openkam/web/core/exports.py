"""Exports that cannot carry formulas (CSV and formula injection, OWASP).

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and a leading tab or carriage return can hide such a start), so a customer or
account name like ``=HYPERLINK(...)`` typed by one user would run on another user's machine
when the export is opened. Every CSV and Excel export writes values through this module:

- CSV: such a text is prefixed with a single quote, OWASP's advice (the spreadsheet shows
  it as text; the quote is visible in a text editor). Numbers (``-12.50``) are left alone.
- Excel: such a text is stored as a text cell, never as a formula (openpyxl would
  otherwise store any string starting with ``=`` as a formula).

See https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

#: The first characters that make a spreadsheet cell a formula (or hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A plain number, as the exports write amounts and ratios ("-1234.50", "+3", "1e-3").
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_text(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: texts that start like a formula
    get a leading ``'``; numbers and other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row through ``safe_text``."""
    return [safe_text(v) for v in row]


class SafeCsvWriter:
    """``csv.writer`` whose every row goes through ``safe_row``."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> SafeCsvWriter:
    """A CSV writer for exports (same arguments as ``csv.writer``)."""
    return SafeCsvWriter(out, **kwargs)


def safe_cells(sheet, row: Iterable[Any]) -> list[Any]:
    """A row for a write-only sheet (which cannot be walked afterwards): texts that start
    like a formula become text cells; other values are left as they are."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for value in row:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out


def protect_workbook(workbook) -> int:
    """Store every text cell that openpyxl took for a formula as text; returns how many.

    Call it just before ``workbook.save``. Formulas an export writes on purpose should be
    written as openpyxl formula objects (``ArrayFormula``), which are left alone.
    """
    if getattr(workbook, "write_only", False):
        raise ValueError("a write-only workbook is protected row by row: use safe_cells")
    changed = 0
    for sheet in workbook.worksheets:
        if not hasattr(sheet, "iter_rows"):
            raise TypeError("protect_workbook needs a regular workbook, not a write-only one")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.data_type = "s"
                    changed += 1
    return changed
