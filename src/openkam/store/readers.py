"""Read import files (CSV, spreadsheets, Parquet) as batches of trimmed text cells.

Every cell is read as text so that the validator, not the reader, decides what a valid
number or date is and can name the exact row of a bad one. Each batch carries the row
numbers the user sees: the line for CSV, the sheet row for Excel (header = row 1), the
1-based record for Parquet.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openkam.engine.schema import Kind
from openkam.store.issues import ImportIssue, IssueLog

#: Bytes of CSV parsed per batch: large enough that per-batch Python work is negligible.
CSV_BLOCK_SIZE = 8 << 20
#: Records per batch for Excel and Parquet.
BATCH_ROWS = 131_072

#: File suffix -> format. Every spreadsheet format goes through calamine, which reads Excel
#: workbooks old and new (with or without macros, binary) and OpenDocument sheets alike.
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsm",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".ods": "ods",
    ".parquet": "parquet",
}
_SPREADSHEETS = ("xlsx", "xlsm", "xlsb", "xls", "ods")
#: The formats, as an error message lists them.
FORMAT_NAMES = ".csv, .xlsx (.xlsm, .xlsb, .xls, .ods) or .parquet"


@dataclass
class SourceBatch:
    """Trimmed text cells of some records, by canonical column name."""

    columns: dict[str, pa.Array]
    rows: np.ndarray
    bytes_done: int


@dataclass
class SourceFile:
    """An opened import file whose header has been matched to the canonical columns."""

    path: Path
    display: str
    format: str
    size: int
    #: canonical column name -> column name as written in the file
    header: dict[str, str]
    batches: Callable[[], Iterator[SourceBatch]]
    #: maps record-based row numbers to file lines once malformed CSV lines are known
    row_fixer: Callable[[np.ndarray], np.ndarray] | None = None
    #: malformed lines found while reading (CSV only): (line, reason, text)
    malformed: list = field(default_factory=list)


def normalise_name(name: str) -> str:
    """Canonical spelling of a header: trimmed, lower case, spaces and hyphens as '_'."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def open_source(path: Path | str, kind: Kind, log: IssueLog) -> SourceFile | None:
    """Open ``path``, match its header to ``kind`` and report header problems to ``log``.

    Returns ``None`` when the file cannot be read at all (the reason is in ``log``).
    """
    path = Path(path)
    display = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        log.add(ImportIssue(display, None, None, f"has an unknown format; use {FORMAT_NAMES}"))
        return None
    if not path.is_file():
        log.add(ImportIssue(display, None, None, "does not exist"))
        return None
    opener = _open_spreadsheet if fmt in _SPREADSHEETS else {"csv": _open_csv}.get(fmt)
    try:
        return (opener or _open_parquet)(path, display, kind, log)
    except (OSError, ValueError, pa.ArrowException) as exc:
        log.add(ImportIssue(display, None, None, f"cannot be read as {fmt}: {exc}"))
        return None


def _match_header(
    names: list[str], kind: Kind, display: str, log: IssueLog, header_row: int | None
) -> dict[str, str]:
    wanted = {c.name for c in kind.columns}
    header: dict[str, str] = {}
    for raw in names:
        name = normalise_name(raw)
        if not name:
            continue
        if name in header:
            log.add(ImportIssue(display, header_row, name, "appears twice in the header"))
        elif name in wanted:
            header[name] = raw
        else:
            log.warn(
                ImportIssue(display, header_row, str(raw).strip(), "is not a known column; ignored")
            )
    found = ", ".join(normalise_name(n) for n in names if str(n).strip()) or "none"
    for col in kind.required:
        if col not in header:
            log.add(
                ImportIssue(
                    display,
                    header_row,
                    col,
                    f"required column is missing (columns found: {found})",
                )
            )
    return header


# --- CSV -------------------------------------------------------------------------------------


def _sniff_delimiter(line: str) -> str:
    # Spreadsheet exports in much of Europe use ';' because ',' is their decimal mark.
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_first_line(path: Path) -> str:
    with open(path, "rb") as f:
        chunk = f.readline(1 << 20)
    return chunk.decode("utf-8-sig").rstrip("\r\n")


def _open_csv(path: Path, display: str, kind: Kind, log: IssueLog) -> SourceFile | None:
    try:
        first = _read_first_line(path)
    except UnicodeDecodeError:
        log.add(ImportIssue(display, 1, None, "is not UTF-8 text; save it as 'CSV UTF-8'"))
        return None
    if not first.strip():
        log.add(ImportIssue(display, 1, None, "has no header row"))
        return None
    delimiter = _sniff_delimiter(first)
    names = next(csv.reader([first], delimiter=delimiter))
    header = _match_header(names, kind, display, log, header_row=1)
    source = SourceFile(path, display, "csv", path.stat().st_size, header, lambda: iter(()))
    source.batches = lambda: _csv_batches(source, names, delimiter)
    return source


def _csv_batches(source: SourceFile, names: list[str], delimiter: str) -> Iterator[SourceBatch]:
    header = source.header
    # pyarrow needs unique column names; the duplicates were reported already.
    unique = [f"{i}:{n}" for i, n in enumerate(names)]
    by_raw = {}
    for u, raw in zip(unique, names, strict=True):
        by_raw.setdefault(raw, u)
    wanted = {canon: by_raw[raw] for canon, raw in header.items()}
    malformed = 0

    def on_invalid(row):
        nonlocal malformed
        malformed += 1
        return "skip"

    read = pacsv.ReadOptions(column_names=unique, skip_rows=1, block_size=CSV_BLOCK_SIZE)
    parse = pacsv.ParseOptions(
        delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
    )
    convert = pacsv.ConvertOptions(
        column_types={u: pa.string() for u in wanted.values()},
        include_columns=list(wanted.values()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    stream = pa.OSFile(str(source.path), "rb")
    next_row = 2
    try:
        reader = pacsv.open_csv(
            stream, read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            n = batch.num_rows
            rows = np.arange(next_row, next_row + n, dtype=np.int64)
            next_row += n
            cols = {c: pc.utf8_trim_whitespace(batch.column(u)) for c, u in wanted.items()}
            yield _drop_blank(cols, rows, stream.tell())
    except pa.ArrowInvalid as exc:
        source.malformed.append((None, f"cannot be read as CSV: {exc}", None))
    finally:
        stream.close()
    if malformed:
        _locate_malformed(source, len(names), delimiter)


def _locate_malformed(source: SourceFile, expected: int, delimiter: str) -> None:
    """Find the lines pyarrow skipped as malformed, and renumber the other records.

    The streaming reader does not tell where a malformed line is, so the file is scanned
    again, line by line as pyarrow splits it (no newlines inside values).
    """
    bad: list[int] = []
    with open(source.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        f.readline()
        for lineno, line in enumerate(f, start=2):
            text = line.rstrip("\r\n")
            if not text:
                continue
            n = len(next(csv.reader([text], delimiter=delimiter)))
            if n != expected:
                bad.append(lineno)
                source.malformed.append(
                    (lineno, f"has {n} values but the header has {expected}", text[:80])
                )
    skipped = np.asarray(bad, dtype=np.int64)
    # Records are numbered as if no line was skipped; the k-th record sits after every
    # skipped line that precedes it, so shift it by the count of those.
    records_before = skipped - np.arange(len(skipped))

    def fix(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return rows + np.searchsorted(records_before, rows, side="right")

    source.row_fixer = fix


def _drop_blank(cols: dict[str, pa.Array], rows: np.ndarray, bytes_done: int) -> SourceBatch:
    """Drop records whose every cell is empty (blank lines, trailing spreadsheet rows)."""
    if cols:
        arrays = list(cols.values())
        # A blank record is empty in the first column too: test the rest only if needed.
        blank = pc.equal(arrays[0], "")
        if pc.any(blank).as_py():
            for arr in arrays[1:]:
                blank = pc.and_(blank, pc.equal(arr, ""))
            mask = pc.invert(blank)
            keep = mask.to_numpy(zero_copy_only=False)
            if not keep.all():
                cols = {c: pc.filter(a, mask) for c, a in cols.items()}
                rows = rows[keep]
    return SourceBatch(cols, rows, bytes_done)


# --- Excel -----------------------------------------------------------------------------------


def _sheet_for(names: list[str], kind: Kind) -> int:
    target = kind.name.replace("-", "")
    for i, name in enumerate(names):
        if re.sub(r"[\s\-_]+", "", name.lower()) == target:
            return i
    return 0


def excel_text(value) -> str:
    """The text of an Excel cell, as the validator expects it.

    Numbers keep 15 significant digits (Excel's own precision), so a price computed by a
    formula as 0.30000000000000004 reads as 0.3; date cells become ISO dates.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _open_spreadsheet(path: Path, display: str, kind: Kind, log: IssueLog) -> SourceFile | None:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except CalamineError as exc:
        # The reader's own words are technical: lead with what it means for the user.
        raise ValueError(
            f"the file is not a workbook of this type, or it is damaged ({exc})"
        ) from exc

    sheet = workbook.get_sheet_by_index(_sheet_for(workbook.sheet_names, kind))
    # Rows are streamed: iter_rows makes Python cells one row at a time (the whole sheet as
    # Python objects would take gigabytes for a large sheet). It yields the sheet from its
    # first row, so a row's position is its sheet row − 1; columns start at the first used
    # one, the same for the header and the body.
    rows = iter(sheet.iter_rows())
    header_at, names = None, []
    for i, row in enumerate(rows):
        if any(excel_text(v) for v in row):
            header_at, names = i, [excel_text(v) for v in row]
            break
    if header_at is None:
        log.add(ImportIssue(display, None, None, f"sheet '{sheet.name}' is empty"))
        return None
    header = _match_header(names, kind, display, log, header_row=header_at + 1)
    positions = {canon: names.index(raw) for canon, raw in header.items()}
    size = path.stat().st_size
    # The body's rows, for the progress of an import (the sheet's used range ends there).
    body_rows = max(sheet.end[0] - header_at, 1) if sheet.end else 1

    def batches() -> Iterator[SourceBatch]:
        first = header_at + 2  # the sheet row of the first body row (header = header_at + 1)
        while chunk := list(islice(rows, BATCH_ROWS)):
            cols = {
                canon: pa.array(
                    [excel_text(r[pos]) if pos < len(r) else "" for r in chunk], pa.string()
                )
                for canon, pos in positions.items()
            }
            numbers = np.arange(first, first + len(chunk), dtype=np.int64)
            first += len(chunk)
            done = int(size * min(first - header_at - 2, body_rows) / body_rows)
            yield _drop_blank(cols, numbers, done)

    return SourceFile(path, display, FORMATS[path.suffix.lower()], size, header, batches)


# --- Parquet ---------------------------------------------------------------------------------


def _as_text(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Any Arrow column as text cells, nulls as empty strings."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_timestamp(t):
        # A date stored as a timestamp at midnight is a date; anything else will not parse.
        day = pc.cast(arr, pa.date32())
        midnight = pc.equal(pc.cast(day, t), arr)
        arr = pc.if_else(midnight, pc.cast(day, pa.string()), pc.cast(arr, pa.string()))
    elif pa.types.is_null(t):
        arr = pa.array([""] * len(arr), pa.string())
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        arr = pc.cast(arr, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(arr.cast(pa.string()), ""))


def _open_parquet(path: Path, display: str, kind: Kind, log: IssueLog) -> SourceFile | None:
    pf = pq.ParquetFile(str(path))
    names = pf.schema_arrow.names
    header = _match_header(names, kind, display, log, header_row=None)
    size = path.stat().st_size
    total = max(pf.metadata.num_rows, 1)

    def batches() -> Iterator[SourceBatch]:
        done = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=list(header.values())):
            cols = {canon: _as_text(batch.column(raw)) for canon, raw in header.items()}
            rows = np.arange(done + 1, done + 1 + batch.num_rows, dtype=np.int64)
            done += batch.num_rows
            yield _drop_blank(cols, rows, int(size * done / total))

    return SourceFile(path, display, "parquet", size, header, batches)


__all__ = ["FORMATS", "SourceBatch", "SourceFile", "excel_text", "normalise_name", "open_source"]
