"""Validate import files and load the ledger kinds: all-or-nothing and idempotent.

One import is one kind and any number of files. Files are read in batches (a 10-million
line CSV never sits in memory), every cell is validated, and the rows that pass are staged
as typed Parquet. DuckDB then checks keys across the whole import and against the ledger,
and only when nothing is wrong are the staged files moved into the ledger.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.schema import KINDS, Kind
from openkam.store.convert import convert_batch
from openkam.store.derived_ids import DERIVED_ID_COLUMN, derived_id_sql, identity_columns
from openkam.store.issues import MAX_ISSUES_KEPT, ImportFailed, ImportIssue, IssueLog
from openkam.store.ledger import (
    clear_interrupted,
    finish_journal,
    ledger_lock,
    new_staging_dir,
    part_files,
    publish,
    table_dir,
)
from openkam.store.pipeline import prefetch
from openkam.store.readers import SourceBatch, SourceError, SourceFile, open_source, short
from openkam.store.references import (
    NOUNS,
    Known,
    check_references,
    find_cycles,
    hierarchy_column,
)
from openkam.store.staging import PartWriter, StagedRows

#: ``progress(rows_done, bytes_done, bytes_total)``: called after every batch read.
Progress = Callable[[int, int, int], None]

#: DuckDB's memory ceiling during the key checks; beyond it DuckDB spills to the staging
#: folder, which keeps a 10M-row import within a laptop's memory.
MEMORY_LIMIT = os.environ.get("OPENKAM_IMPORT_MEMORY", "1GB")
#: Rows per Arrow batch fetched from DuckDB.
BATCH_ROWS = 1 << 17


@dataclass
class ValidatedImport:
    """The outcome of validating an import without loading it.

    Attributes
    ----------
    kind
        The kind's name (``"cost-pools"``, not ``cost_pools``).
    files
        The files as given.
    rows_read
        Records read (blank lines and rows not counted).
    issues
        The first problems in full, in file and row order.
    issue_count
        How many problems there were in all.
    warnings
        Problems that do not stop the import (ignored columns).
    table
        Database kinds, when there is no problem: the rows in the canonical schema
        (``None`` for ledger kinds and whenever ``issue_count`` > 0).
    origins
        With ``table``: ``file`` and ``row`` of each of its rows, aligned with it.
    columns_present
        Canonical columns the files had (an absent optional column is all null in
        ``table``; an upsert should then keep the stored value rather than clear it).
    staged
        Ledger kinds: the staged rows as one Parquet file in the ledger's part-file format
        (canonical schema, derived ids filled in), deleted by ``discard()``.
    """

    kind: str
    files: tuple[str, ...]
    rows_read: int
    issues: list[ImportIssue]
    issue_count: int
    warnings: list[ImportIssue]
    table: pa.Table | None = None
    origins: pa.Table | None = None
    columns_present: tuple[str, ...] = ()
    staged: Path | None = None
    _tempdir: Path | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.issue_count == 0

    def raise_for_issues(self) -> None:
        """Raise ``ImportFailed`` if there was any problem."""
        if self.issue_count:
            raise ImportFailed(self.issues, self.issue_count, self.warnings)

    def discard(self) -> None:
        """Delete the staged files (ledger kinds)."""
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
            self.staged = None

    def __enter__(self) -> ValidatedImport:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


@dataclass
class ImportResult:
    """What an import into the ledger did.

    ``rows_read = rows_added + rows_unchanged + rows_replaced``; ``issues`` holds only
    warnings (an import with problems raises ``ImportFailed`` instead).
    """

    kind: str
    rows_read: int
    rows_added: int
    rows_unchanged: int
    rows_replaced: int
    issues: list[ImportIssue]
    files_written: list[Path]
    #: With ``keep_journal``: the publication's journal entry, to pass to
    #: ``openkam.store.ledger.finish_journal`` once the import is recorded.
    journal_id: str | None = None


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) ran out of space."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error | OSError) and (
        "no space left" in text or "disk is full" in text or "quota exceeded" in text
    )


def disk_full_failure(paths: Sequence[Path | str], where: Path | str) -> ImportFailed:
    """The failure an import reports when the disk fills while it runs."""
    names = ", ".join(str(p) for p in paths) or "the import"
    issue = ImportIssue(
        names,
        None,
        None,
        f"could not be imported: the disk holding {where} filled up during the import. "
        "Nothing was imported and the partial files were removed; free some space and "
        "import again",
    )
    return ImportFailed([issue], 1)


def kind_of(name: str | Kind) -> Kind:
    """The import kind named ``name`` (``cost_pools`` and ``cost-pools`` both work)."""
    if isinstance(name, Kind):
        return name
    key = str(name).strip().lower().replace("_", "-")
    if key not in KINDS:
        raise ValueError(f"unknown kind {name!r}; choose one of {', '.join(KINDS)}")
    return KINDS[key]


# --- reading and staging ---------------------------------------------------------------------


@dataclass
class _Scan:
    displays: list[str]
    rows_read: int = 0
    columns_present: set[str] = field(default_factory=set)
    fixers: dict[int, Callable] = field(default_factory=dict)

    @property
    def file_order(self) -> dict[str, int]:
        return {d: i for i, d in reversed(list(enumerate(self.displays)))}

    def row(self, file_index: int, row: int) -> int:
        fix = self.fixers.get(file_index)
        return int(fix(np.array([row]))[0]) if fix else int(row)


def _scan(
    kind: Kind,
    paths: Sequence[Path | str],
    known: Known,
    log: IssueLog,
    sink: Callable[[int, pa.Table, np.ndarray, np.ndarray], None],
    progress: Progress | None,
) -> _Scan:
    """Read, convert and check every file; hand each batch to ``sink``.

    ``sink(file_index, table, rows, ok)`` gets the typed batch, its row numbers and the
    mask of rows without problems.
    """
    scan = _Scan([str(p) for p in paths])
    total_bytes = sum(Path(p).stat().st_size for p in paths if Path(p).is_file())
    bytes_before = 0
    for index, path in enumerate(paths):
        display = scan.displays[index]
        source = open_source(path, kind, log)
        if source is None:
            continue
        scan.columns_present |= set(source.header)
        for batch in _read_batches(source, log):
            table, ok, issues = convert_batch(kind, batch)
            for cell_issues, bad in check_references(kind, table, batch.rows, known):
                issues.append(cell_issues)
                ok &= ~bad
            log.add_cells(display, issues)
            scan.rows_read += len(batch.rows)
            sink(index, table, batch.rows, ok)
            if progress is not None:
                progress(scan.rows_read, bytes_before + batch.bytes_done, total_bytes)
        bytes_before += source.size
        if source.row_fixer is not None:
            log.remap_rows(display, source.row_fixer)
            scan.fixers[index] = source.row_fixer
        for line, reason, text in source.malformed:
            log.add(ImportIssue(display, line, None, reason, text))
    return scan


def _read_batches(source: SourceFile, log: IssueLog) -> Iterator[SourceBatch]:
    """The batches of ``source``; a file that fails part-way ends with a problem that
    says where (a damaged Parquet page, a broken sheet), never with a traceback."""
    batches = prefetch(source.batches)
    last_row = None
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except SourceError as exc:
            log.add(ImportIssue(source.display, exc.row, exc.column, exc.reason))
            return
        except MemoryError:
            log.add(
                ImportIssue(
                    source.display, None, None, "is too large to read within the memory bound"
                )
            )
            return
        except Exception as exc:  # noqa: BLE001 - a reader failure is a property of the file
            after = f" after row {last_row}" if last_row is not None else ""
            log.add(
                ImportIssue(
                    source.display,
                    None,
                    None,
                    f"cannot be read as {source.format}{after} (the file is damaged): {short(exc)}",
                )
            )
            return
        if len(batch.rows):
            last_row = int(batch.rows[-1])
        yield batch


def _with_origin(table: pa.Table, file_index: int, rows: np.ndarray) -> pa.Table:
    return table.append_column(
        "_file", pa.array(np.full(len(rows), file_index, np.int32))
    ).append_column("_row", pa.array(rows, pa.int64()))


def _stage(kind, paths, known, log, folder: Path, progress) -> tuple[_Scan, StagedRows]:
    """Scan the files, staging the rows without problems in the ledger's file format."""
    staged = StagedRows(folder, kind.arrow_schema)
    try:

        def sink(index, table, rows, ok):
            # Only clean rows are staged: a row with a bad cell would meet the ledger's
            # copy of its key as a spurious "different values".
            if not ok.all():
                table, rows = table.filter(pa.array(ok)), rows[ok]
            staged.write(table, index, rows)

        scan = _scan(kind, paths, known, log, sink, progress)
    finally:
        staged.close()
    return scan, staged


def _connect(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET temp_directory = '{_sql_path(folder / 'duckdb-spill')}'")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


def _sql_path(path: Path | str) -> str:
    return str(path).replace("'", "''")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _files_sql(paths: Iterable[Path]) -> str:
    return "[" + ", ".join(f"'{_sql_path(p)}'" for p in paths) + "]"


def _fill_derived_ids(con, kind: Kind, staged: StagedRows, folder: Path) -> StagedRows:
    """Give records without an id their derived id (rebates and activities)."""
    id_col = DERIVED_ID_COLUMN.get(kind.name)
    if id_col is None or not staged.rows:
        return staged
    missing = con.execute(
        f"SELECT count(*) FROM read_parquet('{_sql_path(staged.data)}') WHERE {_q(id_col)} IS NULL"
    ).fetchall()[0][0]
    if not missing:
        return staged
    content = ", ".join(_q(c) for c in identity_columns(kind.name))
    query = f"""
        SELECT * EXCLUDE (_occurrence)
            REPLACE (coalesce({_q(id_col)}, {derived_id_sql(kind.name, "_occurrence")})
                     AS {_q(id_col)})
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY _file, {_q(id_col)} IS NULL, {content} ORDER BY _row
            ) AS _occurrence
            FROM {staged.relation()}
        )
        ORDER BY _file, _row
    """
    with_ids = StagedRows(folder, kind.arrow_schema, name="with-ids")
    try:
        with_ids.write_reader(con.sql(query).to_arrow_reader(BATCH_ROWS))
    finally:
        with_ids.close()
    staged.data.unlink()
    staged.origins.unlink()
    return with_ids


def _key_text(values) -> str:
    return ", ".join("" if v is None else str(v) for v in values)


def _duplicate_keys(con, kind: Kind, relation: str, scan: _Scan, log: IssueLog) -> None:
    """Report every record whose key an earlier record of the import already has."""
    key = ", ".join(_q(k) for k in kind.key)
    not_null = " AND ".join(f"{_q(k)} IS NOT NULL" for k in kind.key)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _dups AS
        WITH dup_keys AS (
            SELECT {key} FROM {relation} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1
        )
        SELECT {key}, _file, _row,
               row_number() OVER w AS occurrence,
               first_value(_file) OVER w AS first_file,
               first_value(_row) OVER w AS first_row
        FROM {relation} SEMI JOIN dup_keys USING ({key})
        WINDOW w AS (PARTITION BY {key} ORDER BY _file, _row)
        """
    )
    total = con.execute("SELECT count(*) FROM _dups WHERE occurrence > 1").fetchall()[0][0]
    if not total:
        return
    rows = con.execute(
        f"SELECT {key}, _file, _row, first_file, first_row FROM _dups WHERE occurrence > 1 "
        f"ORDER BY _file, _row LIMIT {max(log.room, 0)}"
    ).fetchall()
    n = len(kind.key)
    issues = []
    for r in rows:
        f, row, f0, row0 = r[n:]
        where = f"row {scan.row(f0, row0)}" + (f" of {scan.displays[f0]}" if f0 != f else "")
        issues.append(
            ImportIssue(
                scan.displays[f],
                scan.row(f, row),
                ", ".join(kind.key),
                f"is a duplicate key: {where} has it too",
                _key_text(r[:n]),
            )
        )
    log.add_counted(total, issues)


#: The document date of each kind whose amounts may be in a foreign currency.
_DOCUMENT_DATE = {
    "invoices": "invoice_date",
    "rebates": "rebate_date",
    "cost-pools": "period_start",
}


def _missing_rates(con, kind: Kind, relation: str, scan: _Scan, log: IssueLog, data_dir) -> None:
    """Report every record in a foreign currency dated before the first rate of its
    currency in the ledger's fx-rates (or whose currency has no rate): the engine could not
    convert it (see :mod:`openkam.engine.money_lines`)."""
    from openkam.engine.money_lines import reporting_currency

    date = _DOCUMENT_DATE.get(kind.name)
    if date is None or data_dir is None:
        return
    reporting = reporting_currency().replace("'", "")
    files = part_files(table_dir(data_dir, "fx-rates"))
    rates = (
        f"SELECT currency, min(rate_date) AS first FROM read_parquet({_files_sql(files)}) "
        "GROUP BY currency"
        if files
        else "SELECT NULL::VARCHAR AS currency, NULL::DATE AS first WHERE false"
    )
    where = f"""
        FROM {relation} AS s LEFT JOIN ({rates}) AS r USING (currency)
        WHERE s.currency IS NOT NULL AND s.currency <> '{reporting}'
          AND (r.first IS NULL OR s.{_q(date)} < r.first)
    """
    total = con.execute(f"SELECT count(*) {where}").fetchall()[0][0]
    if not total:
        return
    rows = con.execute(
        f"SELECT s.currency, s.{_q(date)}, r.first, s._file, s._row {where} "
        f"ORDER BY s._file, s._row LIMIT {max(log.room, 0)}"
    ).fetchall()
    issues = []
    for currency, day, first, f, row in rows:
        since = f"its first rate is dated {first}" if first else "the ledger has no rate for it"
        issues.append(
            ImportIssue(
                scan.displays[f],
                scan.row(f, row),
                "currency",
                f"has no {currency} exchange rate on or before {date} {day} ({since}; "
                f"reporting currency {reporting}): import fx-rates first",
                currency,
            )
        )
    log.add_counted(total, issues)


def _pools_in_ledger(con, data_dir: Path | str) -> list[str]:
    files = part_files(table_dir(data_dir, "cost-pools"))
    if not files:
        return []
    rows = con.execute(f"SELECT DISTINCT pool FROM read_parquet({_files_sql(files)})").fetchall()
    return [r[0] for r in rows]


# --- database kinds --------------------------------------------------------------------------


def _check_hierarchy(kind: Kind, table: pa.Table, scan: _Scan, known: Known, log: IssueLog):
    """Parents must exist (in the import or outside it) and never form a cycle.

    Database kinds are small (thousands of accounts, not millions), so plain Python does.
    """
    parent_col = hierarchy_column(kind)
    if parent_col is None or table.num_rows == 0:
        return
    ids = table[kind.key[0]].to_pylist()
    parents_here = table[parent_col].to_pylist()
    origin = list(zip(table["_file"].to_pylist(), table["_row"].to_pylist(), strict=True))
    if known.has(kind.name):
        everyone = set(known.ids[kind.name].to_pylist()) | set(ids)
        noun = NOUNS.get(kind.name, kind.name)
        for parent, (f, row) in zip(parents_here, origin, strict=True):
            if parent is not None and parent not in everyone:
                log.add(
                    ImportIssue(
                        scan.displays[f],
                        scan.row(f, row),
                        parent_col,
                        f"is not a known {noun}",
                        parent,
                    )
                )
    parents = dict(known.parents.get(kind.name, {}))
    at = {}
    for child, parent, where in zip(ids, parents_here, origin, strict=True):
        if child is not None:
            parents[child] = parent
            at[child] = where
    for cycle in find_cycles(parents):
        loop = " → ".join([*cycle, cycle[0]])
        for member in cycle:
            if member in at:
                f, row = at[member]
                log.add(
                    ImportIssue(
                        scan.displays[f],
                        scan.row(f, row),
                        parent_col,
                        f"makes a cycle: {loop}",
                        parents[member],
                    )
                )


def _validate_database_kind(kind, paths, known, log, progress) -> ValidatedImport:
    parts: list[pa.Table] = []

    def sink(index, table, rows, ok):
        # Every row is kept, so that a row with one bad cell still has its hierarchy and
        # key checked; the table is only handed out when there is no problem at all.
        parts.append(_with_origin(table, index, rows))

    scan = _scan(kind, paths, known, log, sink, progress)
    schema = pa.schema(
        [f.with_nullable(True) for f in kind.arrow_schema]
        + [pa.field("_file", pa.int32()), pa.field("_row", pa.int64())]
    )
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    con = duckdb.connect(":memory:")
    try:
        con.register("_imported", table)
        _duplicate_keys(con, kind, "_imported", scan, log)
    finally:
        con.close()
    _check_hierarchy(kind, table, scan, known, log)
    files = table["_file"].to_pylist()
    origins = pa.table(
        {
            "file": pa.array([scan.displays[f] for f in files], pa.string()),
            "row": pa.array(
                [scan.row(f, r) for f, r in zip(files, table["_row"].to_pylist(), strict=True)],
                pa.int64(),
            ),
        }
    )
    return ValidatedImport(
        kind=kind.name,
        files=tuple(scan.displays),
        rows_read=scan.rows_read,
        issues=log.sorted_issues(scan.file_order),
        issue_count=log.total,
        warnings=list(log.warnings),
        table=None if log else table.drop_columns(["_file", "_row"]).cast(kind.arrow_schema),
        origins=None if log else origins,
        columns_present=tuple(c.name for c in kind.columns if c.name in scan.columns_present),
    )


# --- public API ------------------------------------------------------------------------------


def validate_import(
    kind: str,
    paths: Sequence[Path | str],
    known: Mapping[str, Iterable[str]] | None = None,
    *,
    data_dir: Path | str | None = None,
    progress: Progress | None = None,
    max_issues: int = MAX_ISSUES_KEPT,
    keep_staged: bool = False,
) -> ValidatedImport:
    """Validate the files of one import without loading anything.

    Parameters
    ----------
    kind
        One of ``accounts, products, invoices, rebates, activities, cost-pools, contacts,
        people``.
    paths
        The files (.csv, spreadsheets such as .xlsx or .xls, .parquet); several files are one import.
    known
        Identifiers known outside these files, by kind: ``{"accounts": ids, "products":
        ids, "pools": names, "contacts": ids, "people": ids}``. References are checked
        against the kinds given (plus, for hierarchies, the rows of this import); a kind
        left out is not checked. ``accounts``/``contacts`` may map id -> parent id so that
        cycles through existing records are found too.
    data_dir
        Ledger kinds: the data directory, whose cost pools count as known pools.
    progress
        ``progress(rows_done, bytes_done, bytes_total)``, called after every batch.
    max_issues
        How many problems to keep in full (all are counted).
    keep_staged
        Ledger kinds: keep the staged Parquet file (``.staged``) in a temporary folder
        until ``discard()`` (or the end of a ``with`` block); by default it is deleted
        before returning.

    Returns
    -------
    ValidatedImport
        Problems and counts; for database kinds the typed table to upsert. Keys are
        checked within the import only; ``import_ledger`` also checks the ledger.
    """
    kind = kind_of(kind)
    paths = list(paths)
    known = Known.of(known)
    log = IssueLog(max_issues)
    if kind.home == "database":
        return _validate_database_kind(kind, paths, known, log, progress)
    folder = Path(tempfile.mkdtemp(prefix="openkam-validate-"))
    try:
        return _validate_ledger_kind(
            kind, paths, known, log, folder, data_dir, progress, keep_staged
        )
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if disk_full(exc):
            raise disk_full_failure(paths, folder) from None
        raise


def _validate_ledger_kind(kind, paths, known, log, folder, data_dir, progress, keep_staged):
    try:
        con = _connect(folder)
        try:
            if data_dir is not None and kind.name == "activities":
                known.add("cost-pools", _pools_in_ledger(con, data_dir))
            scan, staged = _stage(kind, paths, known, log, folder, progress)
            staged = _fill_derived_ids(con, kind, staged, folder)
            _duplicate_keys(con, kind, staged.relation(), scan, log)
            _missing_rates(con, kind, staged.relation(), scan, log, data_dir)
        finally:
            con.close()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    result = ValidatedImport(
        kind=kind.name,
        files=tuple(scan.displays),
        rows_read=scan.rows_read,
        issues=log.sorted_issues(scan.file_order),
        issue_count=log.total,
        warnings=list(log.warnings),
        columns_present=tuple(c.name for c in kind.columns if c.name in scan.columns_present),
        staged=staged.data,
        _tempdir=folder,
    )
    if not keep_staged:
        result.discard()
    return result


def read_table(
    kind: Kind,
    paths: Sequence[Path | str],
    *,
    max_issues: int = MAX_ISSUES_KEPT,
) -> tuple[pa.Table, pa.Table]:
    """Read files of an ad-hoc ``kind`` through the validated readers, all or nothing.

    For tools that take a file of their own shape (``openkam clv fit``): the same CSV,
    spreadsheet and Parquet handling, limits and cell checks as an import, without keys or
    references. Returns ``(table, origins)``: the typed rows and their ``file``/``row``.

    Raises
    ------
    ImportFailed
        With every problem (file, row, column, reason) when any cell or file is bad.
    """
    paths = list(paths)
    log = IssueLog(max_issues)
    parts: list[pa.Table] = []
    scan = _scan(
        kind,
        paths,
        Known.of(None),
        log,
        lambda index, table, rows, ok: parts.append(_with_origin(table, index, rows)),
        None,
    )
    if log:
        raise log.failure(scan.file_order)
    schema = pa.schema(
        [f.with_nullable(True) for f in kind.arrow_schema]
        + [pa.field("_file", pa.int32()), pa.field("_row", pa.int64())]
    )
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    files = table["_file"].to_pylist()
    origins = pa.table(
        {
            "file": pa.array([scan.displays[f] for f in files], pa.string()),
            "row": pa.array(
                [scan.row(f, r) for f, r in zip(files, table["_row"].to_pylist(), strict=True)],
                pa.int64(),
            ),
        }
    )
    return table.drop_columns(["_file", "_row"]), origins


def import_ledger(
    kind: str,
    paths: Sequence[Path | str],
    data_dir: Path | str,
    known: Mapping[str, Iterable[str]] | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    *,
    max_issues: int = MAX_ISSUES_KEPT,
    journal_meta: dict | None = None,
    keep_journal: bool = False,
) -> ImportResult:
    """Validate the files of one import and add their records to the ledger, or nothing.

    Records whose key is already in the ledger with the same values are skipped, so
    importing a file twice changes nothing. A key already in the ledger with different
    values is a problem, unless ``replace``: then the new values win (a correction) and
    the part files that held the old records are rewritten without them.

    Parameters
    ----------
    kind
        ``invoices``, ``rebates``, ``activities`` or ``cost-pools``.
    paths
        The files (.csv, spreadsheets such as .xlsx or .xls, .parquet); several files are one import.
    data_dir
        The data directory; the ledger is ``data_dir/ledger``.
    known
        Known identifiers, as for ``validate_import``. Activity pools are checked against
        the pools in the ledger plus any given here.
    replace
        Let records with an existing key and different values replace the stored ones.
    progress
        ``progress(rows_done, bytes_done, bytes_total)``, called after every batch.
    max_issues
        How many problems to keep in full (all are counted).
    journal_meta, keep_journal
        What the caller needs to record the import (JSON-able), kept in the publication's
        journal entry; with ``keep_journal`` the entry stays until the caller has recorded
        the import and called ``finish_journal``, so an import killed in between is still
        recorded at the next start (see ``openkam.store.ledger``).

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportFailed
        When any problem was found; the ledger is then left exactly as it was.
    """
    kind = kind_of(kind)
    if kind.home != "ledger":
        raise ValueError(f"{kind.name} are kept in the database; use validate_import")
    paths = list(paths)
    known = Known.of(known)
    log = IssueLog(max_issues)
    try:
        return _import_ledger(
            kind, paths, data_dir, known, replace, progress, log, journal_meta, keep_journal
        )
    except ImportFailed:
        raise
    except Exception as exc:
        if disk_full(exc):
            raise disk_full_failure(paths, data_dir) from None
        raise


def _import_ledger(
    kind, paths, data_dir, known, replace, progress, log, journal_meta, keep_journal
) -> ImportResult:
    with ledger_lock(data_dir):
        folder = new_staging_dir(data_dir, clean_stale=True)
        con = _connect(folder)
        try:
            if kind.name == "activities":
                known.add("cost-pools", _pools_in_ledger(con, data_dir))
            scan, staged = _stage(kind, paths, known, log, folder, progress)
            staged = _fill_derived_ids(con, kind, staged, folder)
            con.execute(f"CREATE VIEW staged AS SELECT * FROM {staged.relation()}")
            _duplicate_keys(con, kind, "staged", scan, log)
            _missing_rates(con, kind, "staged", scan, log, data_dir)
            existing = part_files(table_dir(data_dir, kind.name))
            unchanged, conflicts = _match_ledger(con, kind, existing)
            _warn_renumbered_lines(con, kind, existing, scan, log)
            if conflicts and not replace:
                _report_conflicts(con, kind, scan, log, conflicts)
            if log:
                raise log.failure(scan.file_order)
            new_part = _new_part(con, kind, staged, folder, existing, unchanged)
            rewrites = _rewrite_replaced(con, kind, folder) if conflicts else {}
            rows_added = staged.rows - unchanged - conflicts
            meta = dict(journal_meta or {})
            meta["counts"] = {
                "rows_read": scan.rows_read,
                "rows_added": rows_added,
                "rows_unchanged": unchanged,
                "rows_replaced": conflicts,
            }
            written, journal_id = publish(kind.name, data_dir, new_part, rewrites, meta=meta)
            if replace:
                clear_interrupted(data_dir, kind.name)
        finally:
            con.close()
            shutil.rmtree(folder, ignore_errors=True)
    if journal_id is not None and not keep_journal:
        finish_journal(data_dir, journal_id)
    return ImportResult(
        kind=kind.name,
        rows_read=scan.rows_read,
        rows_added=rows_added,
        rows_unchanged=unchanged,
        rows_replaced=conflicts,
        issues=list(log.warnings),
        files_written=written,
        journal_id=journal_id if keep_journal else None,
    )


# --- against the ledger ----------------------------------------------------------------------


def _ledger_sql(existing: list[Path], kind: Kind | None = None) -> str:
    """The ledger files as one relation with every column of ``kind``: files written before
    an optional column existed (``currency``) read it as NULL."""
    base = f"read_parquet({_files_sql(existing)}, filename = true, union_by_name = true)"
    if kind is None:
        return base
    present = set().union(*(pq.read_schema(p).names for p in existing))
    missing = [c for c in kind.columns if c.name not in present]
    if not missing:
        return base
    nulls = ", ".join(f"CAST(NULL AS {_sql_type(c.type)}) AS {_q(c.name)}" for c in missing)
    return f"(SELECT *, {nulls} FROM {base})"


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_date32(arrow_type):
        return "DATE"
    if pa.types.is_int32(arrow_type):
        return "INTEGER"
    return "VARCHAR"


def _same_values(kind: Kind) -> str:
    values = [c.name for c in kind.columns if c.name not in kind.key]
    return " AND ".join(f"s.{_q(c)} IS NOT DISTINCT FROM l.{_q(c)}" for c in values) or "true"


def _fingerprint(kind: Kind, alias: str) -> str:
    """SQL for a 64-bit hash of a record's non-key values (NULLs included)."""
    values = [c.name for c in kind.columns if c.name not in kind.key]
    return f"hash({', '.join(f'{alias}.{_q(c)}' for c in values)})" if values else "0"


def _ledger_fingerprints(kind: Kind, existing: list[Path]) -> str:
    keys = ", ".join(f"l.{_q(k)}" for k in kind.key)
    return f"(SELECT {keys}, {_fingerprint(kind, 'l')} AS fp FROM {_ledger_sql(existing, kind)} l)"


def _match_ledger(con, kind: Kind, existing: list[Path]) -> tuple[int, int]:
    """Count staged records whose key the ledger has with the same and different values.

    The join carries only keys and a hash of the other values, which keeps a 10M x 10M
    re-import within a few hundred MB; two different records would have to collide on
    64 bits to pass as the same (odds 2^-64 per changed record). The conflicting records
    (few: they are errors, or corrections under ``replace``) are then compared value by
    value and kept in the temp table ``conflicts``.
    """
    if not existing:
        return 0, 0
    on = " AND ".join(f"s.{_q(k)} = l.{_q(k)}" for k in kind.key)
    same_count, different = con.execute(
        f"SELECT count(*) FILTER (l.fp = {_fingerprint(kind, 's')}), "
        f"count(*) FILTER (l.fp <> {_fingerprint(kind, 's')}) "
        f"FROM staged s JOIN {_ledger_fingerprints(kind, existing)} l ON {on}"
    ).fetchall()[0]
    if different:
        same = _same_values(kind)
        values = [c.name for c in kind.columns if c.name not in kind.key]
        differs = ", ".join(
            f"CASE WHEN s.{_q(c)} IS DISTINCT FROM l.{_q(c)} THEN '{c}' END" for c in values
        )
        keys = ", ".join(f"s.{_q(k)}" for k in kind.key)
        con.execute(
            f"""
            CREATE TEMP TABLE conflicts AS
            SELECT s._file, s._row, {keys}, l.filename AS part,
                   concat_ws(', ', {differs}) AS differs
            FROM staged s JOIN {_ledger_sql(existing, kind)} l ON {on}
            WHERE NOT ({same})
            """
        )
    return same_count, different


#: How many documents a renumbered-lines warning names; the rest are counted.
MAX_RENUMBERED_SHOWN = 20


def _warn_renumbered_lines(con, kind: Kind, existing: list[Path], scan: _Scan, log: IssueLog):
    """Warn when the import adds lines to a document the ledger already has.

    For kinds keyed by a document and a line number (invoices), a correction file whose
    lines are numbered differently from the ledger's does not replace the old lines: it
    adds new ones, and the document is counted twice. Adding a line to an invoice is
    possible, so this is a warning naming the document, not an error.
    """
    if not existing or len(kind.key) != 2 or kind.key[1] != "line_no":
        return
    doc, line = (_q(k) for k in kind.key)
    rows = con.execute(
        f"""
        WITH ledger AS (SELECT {doc}, {line} FROM {_ledger_sql(existing)}),
        added AS (
            SELECT s.{doc}, s.{line}, s._file, s._row FROM staged s
            ANTI JOIN ledger l ON s.{doc} = l.{doc} AND s.{line} = l.{line}
        )
        SELECT a.{doc}, min(a._file), min(a._row), list(DISTINCT a.{line} ORDER BY a.{line}),
               (SELECT list(DISTINCT l.{line} ORDER BY l.{line}) FROM ledger l
                WHERE l.{doc} = a.{doc}),
               count(*) OVER ()
        FROM added a SEMI JOIN ledger USING ({doc})
        GROUP BY a.{doc} ORDER BY min(a._file), min(a._row) LIMIT {MAX_RENUMBERED_SHOWN}
        """
    ).fetchall()
    for document, f, row, new_lines, old_lines, _total in rows:
        log.warn(
            ImportIssue(
                scan.displays[f],
                scan.row(f, row),
                kind.key[1],
                f"adds line(s) {_lines_text(new_lines)} to {kind.key[0]} {document}, which the "
                f"ledger already has with line(s) {_lines_text(old_lines)}: if this file "
                "corrects it, number its lines as the ledger does, or the "
                f"{kind.key[0].removesuffix('_id')} is counted twice",
            )
        )
    if rows and rows[0][-1] > len(rows):
        first = rows[0]
        log.warn(
            ImportIssue(
                scan.displays[first[1]],
                None,
                kind.key[1],
                f"… and {rows[0][-1] - len(rows):,} more {kind.key[0]}s with added lines",
            )
        )


def _lines_text(lines) -> str:
    lines = list(lines or [])
    text = ", ".join(str(n) for n in lines[:10])
    return text + (f" … ({len(lines)} in all)" if len(lines) > 10 else "")


def _report_conflicts(con, kind: Kind, scan: _Scan, log: IssueLog, total: int) -> None:
    keys = ", ".join(_q(k) for k in kind.key)
    rows = con.execute(
        f"SELECT _file, _row, differs, {keys} FROM conflicts ORDER BY _file, _row LIMIT {log.room}"
    ).fetchall()
    issues = [
        ImportIssue(
            scan.displays[f],
            scan.row(f, row),
            ", ".join(kind.key),
            f"is already in the ledger with a different {differs}; "
            "import with replace to correct it",
            _key_text(key),
        )
        for f, row, differs, *key in rows
    ]
    log.add_counted(total, issues)


def _write_query(con, query: str, schema: pa.Schema, out: Path) -> int:
    """Write a query's rows to ``out`` in the ledger's file format; return the row count."""
    writer = PartWriter(out, schema)
    try:
        writer.write_reader(con.sql(query).to_arrow_reader(BATCH_ROWS))
    finally:
        writer.close()
    return writer.rows


def _new_part(
    con, kind: Kind, staged: StagedRows, folder: Path, existing: list[Path], unchanged: int
) -> Path | None:
    """The one part file this import adds: every staged record not already in the ledger
    with the same values (new records, and corrections under ``replace``).

    When nothing is unchanged, the staged data file already is that part file.
    """
    if staged.rows - unchanged <= 0:
        return None
    if not unchanged:
        return staged.data
    cols = ", ".join(f"s.{_q(c.name)}" for c in kind.columns)
    on = " AND ".join(f"s.{_q(k)} = l.{_q(k)}" for k in kind.key)
    query = (
        f"SELECT {cols} FROM staged s ANTI JOIN {_ledger_fingerprints(kind, existing)} l "
        f"ON {on} AND l.fp = {_fingerprint(kind, 's')} ORDER BY s._file, s._row"
    )
    out = folder / "new-part.parquet"
    _write_query(con, query, kind.arrow_schema, out)
    return out


def _rewrite_replaced(con, kind: Kind, folder: Path) -> dict[Path, Path | None]:
    """Stage a copy of every part file that holds a replaced record, without that record."""
    keys = ", ".join(_q(k) for k in kind.key)
    parts = [Path(r[0]) for r in con.execute("SELECT DISTINCT part FROM conflicts").fetchall()]
    rewrites: dict[Path, Path | None] = {}
    for i, part in enumerate(sorted(parts)):
        cols = ", ".join(_q(c.name) for c in kind.columns)
        select = (
            f"SELECT {cols} FROM {_ledger_sql([part], kind)} "
            f"ANTI JOIN (SELECT {keys} FROM conflicts) USING ({keys})"
        )
        out = folder / f"rewrite-{i}.parquet"
        left = _write_query(con, select, kind.arrow_schema, out)
        rewrites[part] = out if left else None
    return rewrites


__all__ = [
    "ImportResult",
    "ValidatedImport",
    "disk_full",
    "import_ledger",
    "kind_of",
    "read_table",
    "validate_import",
]
