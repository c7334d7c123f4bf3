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
from openkam.store.sheet_guard import (
    SheetDamaged,
    SheetRefused,
    SheetScan,
    check_declared,
    check_extent,
    check_zip,
    probe_sheet,
    scan_xlsx_sheet,
    xlsx_sheet_part,
)

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

#: The longest header row of a CSV file, in bytes: a header is a few hundred bytes, so a
#: longer "first line" is a file without line breaks (or not a CSV file at all).
MAX_HEADER_BYTES = 1 << 20
#: The longest cell any format may hold, in characters (Excel's own cell limit). Longer
#: cells are refused before any per-column rule, and are never copied into a message whole.
MAX_CELL_CHARS = 32_767


class SourceError(Exception):
    """A file cannot be read on from some point: where, and why, in the user's terms."""

    def __init__(self, reason: str, row: int | None = None, column: str | None = None):
        super().__init__(reason)
        self.reason, self.row, self.column = reason, row, column


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
    except SourceError as exc:
        log.add(ImportIssue(display, exc.row, exc.column, exc.reason))
        return None
    except MemoryError:
        log.add(ImportIssue(display, None, None, "is too large to read within the memory bound"))
        return None
    except Exception as exc:  # noqa: BLE001 - any reader failure is a property of the file
        log.add(ImportIssue(display, None, None, f"cannot be read as {fmt}: {short(exc)}"))
        return None


def short(exc: BaseException, limit: int = 300) -> str:
    """A reader's own error message on one line, cut to ``limit`` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    """The header line; any line ending counts (LF, CRLF and the old Mac's CR alone)."""
    with open(path, "rb") as f:
        chunk = f.read(MAX_HEADER_BYTES + 1)
    end = min((i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0), default=-1)
    if end < 0:
        if len(chunk) > MAX_HEADER_BYTES:
            raise SourceError(
                f"has no line break in its first {MAX_HEADER_BYTES:,} bytes: "
                "it is not a CSV file with a header row",
                row=1,
            )
        end = len(chunk)
    return chunk[:end].decode("utf-8-sig")


def _ends_with_line_break(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return True
        f.seek(-1, 2)
        return f.read(1) in (b"\n", b"\r")


def _split_line(text: str, delimiter: str) -> list[str]:
    """One CSV line as values; the csv module's own field limit does not apply here (the
    validator refuses over-long cells with a message instead)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    finally:
        csv.field_size_limit(limit)


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
    try:
        names = _split_line(first, delimiter)
    except csv.Error as exc:
        raise SourceError(f"has a header row that cannot be read: {short(exc)}", row=1) from None
    long = [n for n in names if len(n) > 200]
    if long:
        raise SourceError(f"has a column name longer than 200 characters ({long[0][:40]}…)", row=1)
    header = _match_header(names, kind, display, log, header_row=1)
    if not _ends_with_line_break(path):
        # A file cut off during a copy or download ends mid-line; a file written whole by
        # a program ends with a line break. The last record may be cut mid-value.
        log.warn(
            ImportIssue(
                display,
                None,
                None,
                "does not end with a line break: its last line may have been cut off "
                "(check that its last record is complete)",
            )
        )
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
        source.malformed.append(
            (None, f"cannot be read as CSV after row {next_row - 1}: {short(exc)}", None)
        )
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
            try:
                n = len(_split_line(text, delimiter))
            except csv.Error as exc:
                bad.append(lineno)
                source.malformed.append((lineno, f"cannot be read: {short(exc)}", text[:80]))
                continue
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


def _guard_spreadsheet(path: Path, fmt: str, index: int) -> SheetScan | None:
    """Refuse a workbook whose sheet would not fit the memory bound (see sheet_guard)."""
    if fmt in ("xlsx", "xlsm"):
        with check_zip(path) as archive:
            part = xlsx_sheet_part(archive, index)
            scan = scan_xlsx_sheet(archive, part)
        check_declared(scan.declared)
        check_extent(scan.rows, scan.columns)
        return scan
    if fmt in ("xlsb", "ods"):
        check_zip(path).close()
    check_extent(*probe_sheet(path, index))
    return None


def _open_spreadsheet(path: Path, display: str, kind: Kind, log: IssueLog) -> SourceFile | None:
    from python_calamine import CalamineError, CalamineWorkbook

    fmt = FORMATS[path.suffix.lower()]
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        index = _sheet_for(workbook.sheet_names, kind)
        scan = _guard_spreadsheet(path, fmt, index)
        if not workbook.sheet_names:
            raise SourceError("has no worksheet")
        sheet = workbook.get_sheet_by_index(index)
    except SheetDamaged as exc:
        raise SourceError(f"cannot be read as {fmt}: {exc}") from None
    except SheetRefused as exc:
        raise SourceError(str(exc)) from None
    except CalamineError as exc:
        # The reader's own words are technical: lead with what it means for the user.
        raise SourceError(
            f"cannot be read as {fmt}: the file is not a workbook of this type, "
            f"or it is damaged ({short(exc)})"
        ) from None

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
    if scan is not None and scan.formula_count:
        _report_formulas(scan, positions, sheet.start[1] if sheet.start else 0, display, log)
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


def _report_formulas(scan: SheetScan, positions, first_column: int, display, log) -> None:
    """Formula cells without a saved result would read as empty: each is an error."""
    by_column = {first_column + pos + 1: canon for canon, pos in positions.items()}
    listed = [(row, by_column[col]) for row, col in scan.formulas if col in by_column]
    for row, canon in listed:
        log.add(
            ImportIssue(
                display,
                row,
                canon,
                "is a formula without a saved result; open the file in Excel, let it "
                "calculate and save it (or paste the values)",
            )
        )
    # Formulas beyond those listed: counted once, so the import still fails.
    rest = scan.formula_count - len(scan.formulas)
    if rest > 0:
        log.add(
            ImportIssue(display, None, None, f"has {rest:,} more formulas without a saved result")
        )


# --- Parquet ---------------------------------------------------------------------------------


def _nested(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _nested(t.value_type)
    return pa.types.is_nested(t)


def _binary_as_text(arr: pa.Array, first_row: int, column: str) -> pa.Array:
    """Binary cells as text; a cell that is not UTF-8 stops the file with its row."""
    try:
        return arr.cast(pa.string())
    except pa.ArrowInvalid:
        for i, value in enumerate(arr.to_pylist()):
            try:
                if value is not None:
                    value.decode("utf-8")
            except UnicodeDecodeError:
                raise SourceError(
                    "holds bytes that are not UTF-8 text; write the column as a UTF-8 string",
                    row=first_row + i,
                    column=column,
                ) from None
        raise


def _as_text(arr: pa.ChunkedArray | pa.Array, first_row: int = 1, column: str = "") -> pa.Array:
    """Any Arrow column as text cells, nulls as empty strings."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        arr = _binary_as_text(arr, first_row, column)
        t = arr.type
    if pa.types.is_timestamp(t):
        # A date stored as a timestamp at midnight is a date; anything else will not parse.
        day = pc.cast(arr, pa.date32())
        midnight = pc.equal(pc.cast(day, t), arr)
        arr = pc.if_else(midnight, pc.cast(day, pa.string()), pc.cast(arr, pa.string()))
    elif pa.types.is_null(t):
        arr = pa.array([""] * len(arr), pa.string())
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        try:
            arr = pc.cast(arr, pa.string())
        except pa.ArrowNotImplementedError:
            raise SourceError(
                f"has the type {t}, which cannot be read as a value", column=column
            ) from None
    return pc.utf8_trim_whitespace(pc.fill_null(arr.cast(pa.string()), ""))


def _parquet_batches(pf: pq.ParquetFile, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The file's batches, one row group at a time so a damaged one is named."""
    meta = pf.metadata
    first = 1
    for group in range(meta.num_row_groups):
        n = meta.row_group(group).num_rows
        try:
            yield from pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise SourceError(
                f"is damaged in row group {group + 1} of {meta.num_row_groups} "
                f"(rows {first:,}–{first + n - 1:,}): {short(exc)}"
            ) from None
        first += n


def _open_parquet(path: Path, display: str, kind: Kind, log: IssueLog) -> SourceFile | None:
    pf = pq.ParquetFile(str(path))
    schema = pf.schema_arrow
    names = schema.names
    header = _match_header(names, kind, display, log, header_row=None)
    # Columns are selected by name: a name written twice cannot be told apart (reported
    # by the header check), so the file is not read further.
    if any(names.count(raw) > 1 for raw in header.values()):
        return None
    nested = [
        (canon, schema.field(raw).type)
        for canon, raw in header.items()
        if _nested(schema.field(raw).type)
    ]
    for canon, t in nested:
        log.add(
            ImportIssue(
                display,
                None,
                canon,
                f"is a nested column ({t}); write one plain value (text, number or date) per row",
            )
        )
    if nested:
        return None
    size = path.stat().st_size
    total = max(pf.metadata.num_rows, 1)

    def batches() -> Iterator[SourceBatch]:
        done = 0
        for batch in _parquet_batches(pf, list(header.values())):
            cols = {
                canon: _as_text(batch.column(raw), done + 1, canon) for canon, raw in header.items()
            }
            rows = np.arange(done + 1, done + 1 + batch.num_rows, dtype=np.int64)
            done += batch.num_rows
            yield _drop_blank(cols, rows, int(size * done / total))

    return SourceFile(path, display, "parquet", size, header, batches)


__all__ = ["FORMATS", "SourceBatch", "SourceFile", "excel_text", "normalise_name", "open_source"]
