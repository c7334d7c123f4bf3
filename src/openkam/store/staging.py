"""Staged rows of an import, written once in the ledger's final file format.

The rows that pass validation go to ``data.parquet`` exactly as a ledger part file holds
them (canonical schema, LZ4, large row groups), and their origin (file index and row
number, for error messages) to ``origins.parquet``, row for row. When the import adds only
new records, which is the common case, ``data.parquet`` is renamed into the ledger as it
is: the rows are encoded and compressed once. DuckDB sees both files side by side with a
positional join.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.ledger import open_ledger_writer
from openkam.store.pipeline import BackgroundWorker

#: Rows per row group of ledger part files: large enough for fast scans, small enough that
#: Spark gets several tasks from one import and the writer's buffer stays ~100 MB.
ROW_GROUP_SIZE = 1 << 20

ORIGIN_SCHEMA = pa.schema([pa.field("_file", pa.int32()), pa.field("_row", pa.int64())])


class PartWriter:
    """Write a Parquet file in the ledger's format, buffering batches into big row groups."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer = open_ledger_writer(path, schema)

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self._buffer.append(table.cast(self.schema))
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= ROW_GROUP_SIZE:
            self._flush()

    def write_reader(self, reader: pa.RecordBatchReader) -> None:
        for batch in reader:
            self.write(pa.Table.from_batches([batch]))

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.concat_tables(self._buffer), row_group_size=ROW_GROUP_SIZE)
            self._buffer, self._buffered = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


class StagedRows:
    """The validated rows of an import: ``data.parquet`` plus aligned ``origins.parquet``."""

    def __init__(self, folder: Path, schema: pa.Schema, name: str = "staged"):
        folder.mkdir(parents=True, exist_ok=True)
        self.data = folder / f"{name}-data.parquet"
        self.origins = folder / f"{name}-origins.parquet"
        self._data = PartWriter(self.data, schema)
        self._origins = pq.ParquetWriter(self.origins, ORIGIN_SCHEMA, compression="lz4")
        # Encoding and compressing run beside the validation of the next batch.
        self._worker = BackgroundWorker(self._write_now)

    @property
    def rows(self) -> int:
        return self._data.rows

    def write(self, table: pa.Table, file_index: int, rows: np.ndarray) -> None:
        """Stage typed rows that came from ``rows`` of the ``file_index``-th file."""
        if not len(rows):
            return
        origin = pa.table(
            [pa.array(np.full(len(rows), file_index, np.int32)), pa.array(rows, pa.int64())],
            schema=ORIGIN_SCHEMA,
        )
        self._worker.submit((table, origin))

    def _write_now(self, item) -> None:
        table, origin = item
        self._data.write(table)
        self._origins.write_table(origin)

    def write_reader(self, reader: pa.RecordBatchReader) -> None:
        """Stage the rows of a reader whose batches carry the data and the origin columns."""
        names = self._data.schema.names
        for batch in reader:
            table = pa.Table.from_batches([batch])
            origin = table.select(["_file", "_row"]).cast(ORIGIN_SCHEMA)
            self._worker.submit((table.select(names), origin))

    def close(self) -> None:
        try:
            self._worker.close()
        finally:
            self._data.close()
            self._origins.close()

    def relation(self) -> str:
        """SQL for the staged rows with their ``_file`` and ``_row`` columns."""
        data = str(self.data).replace("'", "''")
        origins = str(self.origins).replace("'", "''")
        return f"(SELECT * FROM read_parquet('{data}') POSITIONAL JOIN read_parquet('{origins}'))"


__all__ = ["ROW_GROUP_SIZE", "PartWriter", "StagedRows"]
