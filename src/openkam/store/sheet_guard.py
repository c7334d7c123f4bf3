"""Checks a spreadsheet must pass before its sheet is loaded: bounded memory, no surprises.

The spreadsheet reader (calamine) loads a whole sheet as a grid of its used range, so one
cell far away (``XFD1048576``) in a 5 KB file makes it ask for hundreds of gigabytes and
abort the process. Before a sheet is read:

* every part of a zipped workbook (.xlsx, .xlsm, .xlsb, .ods) must expand to at most
  ``MAX_PART_BYTES`` and by at most ``MAX_RATIO`` times its compressed size (zip bombs);
* the sheet's declared dimension and the cells actually written in it must span at most
  ``MAX_SHEET_CELLS`` cells (.xlsx/.xlsm, found by streaming the sheet's XML);
* for the binary and OpenDocument formats, whose layout is not scanned here, the sheet is
  first opened in a child process under an address-space limit (``PROBE_MEMORY``), which
  reports its size or dies alone;
* .xlsx formula cells without a saved result are listed, since they would read as empty.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

#: Cells of a sheet's used range (rows x columns), at most: Excel's full height with 15
#: columns. Reading it costs calamine about 32 bytes a cell plus the text, so the bound
#: keeps a spreadsheet import under about 1 GB; bigger data go in CSV or Parquet, which
#: are streamed in fixed-size batches.
MAX_SHEET_CELLS = 16_000_000
#: The largest part of a zipped workbook once expanded.
MAX_PART_BYTES = 2 << 30
#: Expansion ratio beyond which a large part is a zip bomb, not a sheet: real sheets
#: compress 5-30 times, a run of identical bytes compresses about 1000 times.
MAX_RATIO = 200
#: Parts smaller than this are never refused for their ratio (tiny parts compress oddly).
RATIO_FLOOR = 1 << 20
#: Address-space limit of the child process that opens a binary or OpenDocument sheet.
PROBE_MEMORY = 3 << 30
#: How many formula cells without a result are listed in full.
MAX_FORMULAS_LISTED = 100


class SheetRefused(Exception):
    """The workbook may not be read; ``str()`` says why in the user's terms."""


class SheetDamaged(SheetRefused):
    """The file is not a readable workbook of its type."""


@dataclass
class SheetScan:
    """What streaming an .xlsx sheet found."""

    declared: str | None = None
    rows: int = 0
    columns: int = 0
    #: ``(sheet_row, column_number)`` of formula cells without a saved result (1-based)
    formulas: list[tuple[int, int]] = field(default_factory=list)
    formula_count: int = 0


def column_number(letters: str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27, ``XFD`` -> 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _cell(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})", ref.strip().upper())
    if not m:
        raise SheetRefused(f"has a malformed cell reference {ref[:20]!r}")
    return int(m.group(2)), column_number(m.group(1))


def _cells_text(n: int) -> str:
    return f"{n:,} cells"


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open a zipped workbook and refuse parts that expand too far."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SheetDamaged(
            f"the file is not a workbook of this type, or it is damaged ({exc})"
        ) from None
    for info in archive.infolist():
        if info.file_size > MAX_PART_BYTES:
            raise SheetRefused(
                f"has a part ({info.filename}) that expands to {info.file_size:,} bytes; "
                f"the limit is {MAX_PART_BYTES:,}"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise SheetRefused(
                f"has a part ({info.filename}) that expands {ratio:,.0f} times "
                f"(to {info.file_size:,} bytes): a sheet does not compress like that, "
                "so the file is refused as a zip bomb"
            )
    return archive


def xlsx_sheet_part(archive: zipfile.ZipFile, index: int) -> str:
    """The zip member holding the ``index``-th sheet of an .xlsx/.xlsm workbook."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        raise SheetRefused(
            "has no workbook part (xl/workbook.xml and its relationships): it is not an "
            "Excel workbook, or it is damaged"
        ) from None
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError) as exc:
        raise SheetRefused(f"has a damaged workbook part ({exc})") from None
    sheets = workbook.findall("m:sheets/m:sheet", ns)
    if index >= len(sheets):
        raise SheetRefused("has no worksheet")
    rid = sheets[index].get(f"{{{ns['r']}}}id")
    targets = {r.get("Id"): r.get("Target") for r in rels}
    target = targets.get(rid)
    if not target:
        raise SheetRefused("has a worksheet whose part is missing: the file is damaged")
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(part)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]*)"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]+)"')
# A formula cell whose formula is followed by no value (or an empty one) before it closes.
_FORMULA_NO_VALUE = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)"
    rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_REF = re.compile(rb'\sr="([A-Z$]+[0-9$]+)"')
_WIDE_REFS = (
    re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]{3})[0-9]'),
    re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]{2})[0-9]'),
    re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z])[0-9]'),
)


def scan_xlsx_sheet(archive: zipfile.ZipFile, part: str, chunk: int = 1 << 22) -> SheetScan:
    """Stream a sheet's XML once: its declared dimension, the last row and the widest
    column written, and formula cells without a saved result. Memory: two chunks."""
    scan = SheetScan()
    expanded = 0
    tail = b""
    try:
        member = archive.open(part)
    except KeyError:
        raise SheetRefused(f"has no sheet part {part}: the file is damaged") from None
    with member:
        while True:
            try:
                data = member.read(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise SheetRefused(f"has a damaged sheet ({exc})") from None
            expanded += len(data)
            if expanded > MAX_PART_BYTES:
                raise SheetRefused(f"has a sheet larger than {MAX_PART_BYTES:,} bytes")
            buf = tail + data
            if not data:
                cut = len(buf)
            else:
                # Scan up to the last closed cell or row; the rest waits for the next chunk.
                ends = [(buf.rfind(t), len(t)) for t in (b"</c>", b"</row>")]
                at, size = max(ends)
                cut = at + size if at >= 0 else 0
                if cut == 0 and len(buf) > 4 * chunk:
                    raise SheetRefused("has a sheet with an XML element too large to read")
            piece, tail = buf[:cut], buf[cut:]
            _scan_piece(piece, scan)
            if not data:
                break
    return scan


def _scan_piece(piece: bytes, scan: SheetScan) -> None:
    if scan.declared is None:
        m = _DIMENSION.search(piece)
        if m:
            scan.declared = m.group(1).decode("ascii", "replace")
    rows = _ROW.findall(piece)
    if rows:
        scan.rows = max(scan.rows, max(int(r) for r in rows))
    for pattern in _WIDE_REFS:
        letters = pattern.findall(piece)
        if letters:
            scan.columns = max(scan.columns, max(column_number(x.decode()) for x in letters))
            break
    for m in _FORMULA_NO_VALUE.finditer(piece):
        scan.formula_count += 1
        if len(scan.formulas) < MAX_FORMULAS_LISTED:
            ref = _REF.search(m.group(1))
            if ref:
                scan.formulas.append(_cell(ref.group(1).decode()))


def check_declared(declared: str | None) -> None:
    """Refuse a sheet whose declared dimension exceeds ``MAX_SHEET_CELLS``."""
    if not declared:
        return
    corners = declared.split(":")
    try:
        cells = [_cell(c) for c in corners]
    except SheetRefused:
        raise SheetRefused(f"declares a malformed used range {declared[:40]!r}") from None
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    n = (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)
    if n > MAX_SHEET_CELLS:
        raise SheetRefused(
            f"declares a used range of {declared} ({_cells_text(n)}); the limit is "
            f"{_cells_text(MAX_SHEET_CELLS)}: save the data as CSV or Parquet instead"
        )


def check_extent(rows: int, columns: int) -> None:
    """Refuse a sheet whose written cells span more than ``MAX_SHEET_CELLS``."""
    n = rows * columns
    if n > MAX_SHEET_CELLS:
        raise SheetRefused(
            f"has cells up to row {rows:,} and column {columns:,}, a range of "
            f"{_cells_text(n)}; the limit is {_cells_text(MAX_SHEET_CELLS)}: save the data as "
            "CSV or Parquet instead (or delete the stray cells far from the data)"
        )


_PROBE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
names = wb.sheet_names
sheet = wb.get_sheet_by_index(int(sys.argv[2])) if names else None
print(sheet.total_height if sheet else 0, sheet.total_width if sheet else 0)
"""


def probe_sheet(path: Path, index: int, timeout: float = 120.0) -> tuple[int, int]:
    """Open sheet ``index`` in a child process under ``PROBE_MEMORY`` and return its
    ``(rows, columns)``; a sheet that needs more memory fails there, not here."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), str(index), str(PROBE_MEMORY)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise SheetRefused(f"could not be opened within {timeout:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        if "memory" in done.stderr.lower() or done.returncode < 0:
            raise SheetRefused(
                f"needs more than {PROBE_MEMORY >> 30} GB of memory to open: its used range "
                "is too large (save the data as CSV or Parquet instead)"
            )
        raise SheetDamaged(
            f"the file is not a workbook of this type, or it is damaged ({last[:200]})"
        )
    rows, columns = (int(x) for x in done.stdout.split()[:2])
    return rows, columns


__all__ = [
    "MAX_SHEET_CELLS",
    "SheetDamaged",
    "SheetRefused",
    "SheetScan",
    "check_declared",
    "check_extent",
    "check_zip",
    "column_number",
    "probe_sheet",
    "scan_xlsx_sheet",
    "xlsx_sheet_part",
]
