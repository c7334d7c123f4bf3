"""Read the Parquet ledger (``<data_dir>/ledger/<table>/*.parquet``) as narwhals lazy frames.

A table is the union of the ``*.parquet`` files in its folder; files whose name starts with a
dot are being written by an importer and are ignored. A table with no folder or no files is
read as empty (a supplier without rebates has no ``rebates`` folder), with its canonical
schema, so engine queries never special-case a missing table.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.backends import ENGINES, Engine, duckdb_connection, spark_session
from openkam.engine.schema import KINDS, LEDGER_TABLES

__all__ = ["Ledger", "file_identity", "open_ledger_writer", "parquet_write_options"]

#: Footer key of a ledger file's write id: a new random id each time a file is written. A
#: copy of the file keeps it (a copy without ``-p`` changes the modification time); a
#: rewrite under the same name (a correction) changes it, even at the same size.
WRITE_ID_KEY = "openkam.write_id"

#: Columns worth dictionary-encoding: few distinct values per file (ids of accounts and
#: products, dates, pools). Unique ids and amounts compress better without.
DICTIONARY_COLUMNS = frozenset(
    {
        "account_id",
        "product_id",
        "business_unit",
        "invoice_date",
        "due_date",
        "paid_date",
        "unit_list_price",
        "activity_date",
        "rebate_date",
        "pool",
        "kind",
        "period_start",
        "period_end",
        "driver_unit",
        "currency",
    }
)


def parquet_write_options(schema: pa.Schema) -> dict:
    """Options of ``pyarrow.parquet.ParquetWriter`` for a ledger file: the one file format
    that the import and the demo generator both write.

    Decimals are stored as INT64 (precision ≤ 18, all ledger amounts) rather than as
    fixed-length bytes: the same values, which DuckDB decodes about 25 % faster. Pages are
    compressed with LZ4 rather than zstd: files are about 1.5× larger, but a full
    profitability recompute reads them about 30 % faster (measured on the 10M-line demo
    ledger: invoice pass 0.34 s against 0.49 s; see benchmarks/profitability/README.md),
    and recomputes are read far more often than files are written.
    """
    return {
        "compression": "lz4",
        "use_dictionary": [c for c in schema.names if c in DICTIONARY_COLUMNS],
        "store_decimal_as_integer": True,
        "write_statistics": True,
    }


def open_ledger_writer(
    path: Path | str, schema: pa.Schema, write_id: str | None = None
) -> pq.ParquetWriter:
    """A Parquet writer for a ledger file, in :func:`parquet_write_options`' format, whose
    footer carries a write id (see :func:`file_identity`): a new random one unless the
    writer knows a stable one for exactly this content (the demo generator derives it from
    its seed and arguments, whose files are byte for byte the same)."""
    writer = pq.ParquetWriter(path, schema, **parquet_write_options(schema))
    writer.add_key_value_metadata({WRITE_ID_KEY: write_id or uuid.uuid4().hex})
    return writer


def file_identity(path: Path) -> str:
    """What identifies the content of a ledger file: its size and the write id in its footer.

    Unlike the modification time, the write id survives a copy of the data directory, so
    results computed before the copy stay current after it. Files written before write ids
    existed (or by other tools) fall back to the modification time.
    """
    s = path.stat()
    return f"{s.st_size}-{_write_id(str(path), s.st_size, s.st_ino, s.st_mtime_ns, s.st_ctime_ns)}"


@functools.lru_cache(maxsize=4096)
def _write_id(path: str, size: int, inode: int, mtime_ns: int, ctime_ns: int) -> str:
    # Keyed by size, inode and times too (the change time moves with every write and
    # rename, and cannot be set back), so a rewritten file is read again; a footer read
    # costs about half a millisecond, once per file and process.
    metadata = pq.read_metadata(path).metadata or {}
    write_id = metadata.get(WRITE_ID_KEY.encode())
    return write_id.decode() if write_id else f"t{mtime_ns}"


#: Ledger folder name -> canonical kind (``cost_pools`` -> the ``cost-pools`` kind).
_KIND_OF_TABLE = {table: KINDS[kind] for kind, table in LEDGER_TABLES.items()}


class Ledger:
    """The ledger tables of one data directory, on one engine.

    Parameters
    ----------
    data_dir
        The data directory; its ``ledger`` folder holds one folder per table
        (``invoices``, ``rebates``, ``activities``, ``cost_pools``).
    engine
        ``"duckdb"`` (default) or ``"spark"``.
    connection
        For DuckDB, the connection to read through. All frames of a ledger share one
        connection because DuckDB can only join relations of the same connection.

    Examples
    --------
    >>> ledger = Ledger("openkam-data")                      # doctest: +SKIP
    >>> ledger.table("invoices").group_by("account_id").agg(nw.len())  # doctest: +SKIP
    """

    def __init__(self, data_dir: Path | str, engine: Engine = "duckdb", connection=None):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "ledger"
        if not self.root.is_dir():
            raise FileNotFoundError(f"no ledger at {self.root}")
        self.engine: Engine = engine
        self._connection = connection

    @property
    def connection(self):
        """The DuckDB connection the ledger's frames are read through (made on first use:
        listing files or taking a fingerprint needs none); None on Spark."""
        if self._connection is None and self.engine == "duckdb":
            self._connection = duckdb_connection()
        return self._connection

    def __repr__(self) -> str:
        return f"Ledger({str(self.data_dir)!r}, engine={self.engine!r})"

    def files(self, table: str) -> list[Path]:
        """The Parquet files that make up ``table`` (temporary dot-files excluded)."""
        self._kind(table)
        folder = self.root / table
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.glob("*.parquet") if not p.name.startswith(".") and p.is_file()
        )

    def table(self, table: str, files: list[Path] | None = None) -> nw.LazyFrame:
        """A lazy frame over one ledger table with every canonical column present.

        Optional columns missing from the files are added as typed nulls. ``files`` narrows
        the frame to some of the table's files (default: all of them).
        """
        kind = self._kind(table)
        files = self.files(table) if files is None else list(files)
        if not files:
            return self.from_arrow(kind.arrow_schema.empty_table())
        if self.engine == "duckdb":
            frame = nw.from_native(self.connection.read_parquet([str(p) for p in files]))
        else:
            from pyspark.sql.pandas.types import from_arrow_schema

            # An explicit schema spares Spark a job to infer it from the files' footers.
            reader = spark_session().read.schema(from_arrow_schema(kind.arrow_schema))
            frame = nw.from_native(reader.parquet(*(str(p) for p in files)))
        present = set(frame.collect_schema().names())
        missing = [c for c in kind.columns if c.name not in present]
        required = [c.name for c in missing if c.required]
        if required:
            raise ValueError(f"ledger table {table!r} lacks required columns {required}")
        if missing:
            frame = frame.with_columns(
                nw.lit(None, dtype=_narwhals_dtype(c.type)).alias(c.name) for c in missing
            )
        return frame

    def fingerprint(self) -> str:
        """A short hash of which files make up the ledger (names and
        :func:`file_identity`): it changes with every import and only then, so a result can
        tell whether the ledger moved on since it was computed. A copy of the data
        directory keeps it."""
        entries = []
        for table in _KIND_OF_TABLE:
            for path in self.files(table):
                entries.append(f"{table}/{path.name}:{file_identity(path)}")
        return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]

    def column_max(self, table: str, column: str):
        """The largest value of a column, from the Parquet footers' statistics (no data read).

        Falls back to a query when a file lacks statistics; None for an empty column.
        """
        self._kind(table)
        best = None
        for path in self.files(table):
            meta = pq.ParquetFile(path).metadata
            names = meta.schema.names
            if column not in names:
                continue  # an optional column absent from this file: all null
            index = names.index(column)
            for g in range(meta.num_row_groups):
                if meta.row_group(g).num_rows == 0:
                    continue
                stats = meta.row_group(g).column(index).statistics
                if stats is None or not stats.has_min_max:
                    if stats is not None and stats.null_count == meta.row_group(g).num_rows:
                        continue
                    return self._query_max(table, column)
                best = stats.max if best is None else max(best, stats.max)
        return best

    def _query_max(self, table: str, column: str):
        result = self.table(table).select(nw.col(column).max()).collect("pyarrow").to_arrow()
        return result.column(0)[0].as_py()

    def from_arrow(self, table: pa.Table) -> nw.LazyFrame:
        """A lazy frame over a small Arrow table, joinable with this ledger's tables.

        Arrow types (decimals in particular) are kept as they are on both engines.
        """
        if self.engine == "duckdb":
            return nw.from_native(self.connection.from_arrow(table))
        return nw.from_native(spark_session().createDataFrame(table))

    def _kind(self, table: str):
        try:
            return _KIND_OF_TABLE[table]
        except KeyError:
            raise ValueError(
                f"unknown ledger table {table!r}; choose one of {', '.join(_KIND_OF_TABLE)}"
            ) from None


def _narwhals_dtype(arrow_type: pa.DataType):
    if pa.types.is_decimal(arrow_type):
        return nw.Decimal(arrow_type.precision, arrow_type.scale)
    if pa.types.is_date32(arrow_type):
        return nw.Date()
    if pa.types.is_string(arrow_type):
        return nw.String()
    if pa.types.is_int32(arrow_type):
        return nw.Int32()
    raise TypeError(f"no narwhals type for {arrow_type}")
