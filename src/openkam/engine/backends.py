"""Where engine queries run: DuckDB by default, Apache Spark for ledgers beyond one machine.

Every engine query is written once against narwhals lazy frames; this module is the only
place that knows which native engine sits underneath.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb
import narwhals as nw

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection (threads follow the machine's cores)."""
    connection = duckdb.connect(":memory:")
    # No progress bar: the engine runs inside the web server, tasks and our own CLI bars.
    connection.execute("SET enable_progress_bar = false")
    return connection


@cache
def spark_session():
    """The process-wide local Spark session (starting one takes seconds, so share it).

    ``SPARK_MASTER`` (or ``OPENKAM_SPARK_MASTER``) selects a cluster; the default is local mode.
    """
    from pyspark.sql import SparkSession

    master = os.environ.get("OPENKAM_SPARK_MASTER") or os.environ.get("SPARK_MASTER", "local[*]")
    return (
        SparkSession.builder.master(master)
        .appName("openkam")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("OPENKAM_SPARK_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("OPENKAM_SPARK_DRIVER_MEMORY", "4g"))
        .getOrCreate()
    )


def _parquet_files(path: Path) -> list[str]:
    # Files whose name starts with a dot are still being written (see the ledger layout).
    return sorted(str(p) for p in Path(path).glob("*.parquet") if not p.name.startswith("."))


def scan_parquet(
    path: Path | str | list[Path], engine: Engine = "duckdb", connection=None
) -> nw.LazyFrame:
    """A lazy frame over one table of the ledger: all ``*.parquet`` files in ``path``.

    ``path`` may also be a single Parquet file, or a list of files.
    """
    if isinstance(path, list):
        files = [str(f) for f in path]
        where = ", ".join(files[:3])
    else:
        p = Path(path)
        files = [str(p)] if p.is_file() else _parquet_files(p)
        where = str(p)
    if not files:
        raise FileNotFoundError(f"no Parquet files in {where}")
    if engine == "duckdb":
        con = connection or duckdb_connection()
        return nw.from_native(con.read_parquet(files))
    if engine == "spark":
        return nw.from_native(spark_session().read.parquet(*files))
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def from_arrow(table, engine: Engine = "duckdb", connection=None) -> nw.LazyFrame:
    """A lazy frame over an in-memory Arrow table, on the chosen engine (for small inputs)."""
    if engine == "duckdb":
        con = connection or duckdb_connection()
        return nw.from_native(con.from_arrow(table))
    if engine == "spark":
        # Straight from Arrow: going through pandas would lose the decimal types.
        return nw.from_native(spark_session().createDataFrame(table))
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
