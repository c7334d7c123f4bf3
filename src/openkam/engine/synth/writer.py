"""Parquet output that a concurrent reader never sees half-written.

Each file is written under a hidden temporary name (leading ``.``, no ``.parquet`` suffix,
so ledger readers skip it) and renamed into place once closed; a rename within a directory
is atomic on POSIX file systems.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from concurrent.futures import Executor, Future
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.ledger import open_ledger_writer


def write_table(table: pa.Table, path: Path, run_id: str | None = None) -> None:
    """Write one small table to ``path`` atomically (``run_id``: see :class:`RollingWriter`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    writer = open_ledger_writer(tmp, table.schema, derived_write_id(run_id, path))
    try:
        writer.write_table(table)
    finally:
        writer.close()
    os.replace(tmp, path)


def derived_write_id(run_id: str | None, path: Path) -> str | None:
    """The write id of the file at ``path`` in a run known by ``run_id`` (None: random)."""
    if run_id is None:
        return None
    return hashlib.sha256(f"{run_id}/{path.parent.name}/{path.name}".encode()).hexdigest()[:32]


class RollingWriter:
    """Appends tables to ``part-00000.parquet``, ``part-00001.parquet`` … in ``directory``.

    Input is buffered into row groups of ``row_group_rows`` and a new file is started once
    a file holds ``rows_per_file`` rows. Encoding and compression run on ``executor`` (one
    worker thread shared by the writers; Arrow releases the GIL) while the caller generates
    the next chunk; at most ``MAX_IN_FLIGHT`` row groups wait for it, so memory stays bounded.
    With a ``run_id``, each file's write id is derived from it and the file's name (else it
    is random).
    """

    MAX_IN_FLIGHT = 2

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        rows_per_file: int = 2_000_000,
        row_group_rows: int = 256 * 1024,
        executor: Executor | None = None,
        run_id: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows_per_file = max(int(rows_per_file), 1)
        self.row_group_rows = max(min(int(row_group_rows), self.rows_per_file), 1)
        self.files: list[Path] = []
        self.rows = 0
        self._executor = executor
        self._run_id = run_id
        self._in_flight: deque[Future] = deque()
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._final: Path | None = None
        self._file_rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._submit(pa.concat_tables(self._pending), finish=False)
            self._pending, self._pending_rows = [], 0

    def close(self) -> list[Path]:
        """Write what is buffered, close the last file, and return the files written."""
        data = pa.concat_tables(self._pending) if self._pending else None
        self._pending, self._pending_rows = [], 0
        self._submit(data, finish=True)
        while self._in_flight:
            self._in_flight.popleft().result()
        return self.files

    def _submit(self, data: pa.Table | None, finish: bool) -> None:
        if self._executor is None:
            self._store(data, finish)
            return
        while len(self._in_flight) >= self.MAX_IN_FLIGHT:
            self._in_flight.popleft().result()  # re-raises a failed write here
        self._in_flight.append(self._executor.submit(self._store, data, finish))

    def _store(self, data: pa.Table | None, finish: bool) -> None:
        # Runs on the executor (one at a time per writer, in submission order).
        while data is not None and data.num_rows:
            if self._writer is None:
                self._final = self.directory / f"part-{len(self.files):05d}.parquet"
                self._tmp = self.directory / f".{self._final.name}.tmp"
                self._writer = open_ledger_writer(
                    self._tmp, self.schema, derived_write_id(self._run_id, self._final)
                )
            take = min(self.row_group_rows, self.rows_per_file - self._file_rows, data.num_rows)
            self._writer.write_table(data.slice(0, take), row_group_size=take)
            data = data.slice(take)
            self._file_rows += take
            self.rows += take
            if self._file_rows >= self.rows_per_file:
                self._finish_file()
        if finish:
            self._finish_file()

    def _finish_file(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        os.replace(self._tmp, self._final)
        self.files.append(self._final)
        self._writer = None
        self._file_rows = 0
