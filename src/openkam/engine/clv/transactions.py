"""Transaction logs in: any frame or a CSV/Parquet file, with dates in any common form.

The lifetime-value models need one thing from a transaction log: who bought on which day,
and for how much. This module turns a frame with caller-chosen column names, where the
date may be a date, a timestamp, an ISO string or a YYYYMMDD integer or string, into the
canonical columns ``customer_id`` (string), ``date`` (date) and ``value`` (float).
"""

from __future__ import annotations

import re
from pathlib import Path

import narwhals as nw

from openkam.engine.backends import Engine, duckdb_connection, scan_parquet, spark_session

__all__ = ["normalise_transactions", "read_transactions"]

_YYYYMMDD = re.compile(r"^\d{8}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _date_expr(frame: nw.LazyFrame, column: str) -> nw.Expr:
    dtype = frame.collect_schema()[column]
    col = nw.col(column)
    if dtype == nw.Date:
        return col
    if dtype == nw.Datetime:
        return col.dt.date()
    if dtype.is_integer():
        return col.cast(nw.String).str.to_date("%Y%m%d")
    if dtype == nw.String:
        # One value decides the format: a log mixing formats is an input error that the
        # date parser then reports.
        sample = frame.select(col).filter(~col.is_null()).head(1).collect("pyarrow").to_native()
        if sample.num_rows == 0:
            return col.str.to_date("%Y-%m-%d")
        first = str(sample.column(0)[0].as_py()).strip()
        if _YYYYMMDD.match(first):
            return col.str.strip_chars().str.to_date("%Y%m%d")
        if _ISO.match(first):
            return col.str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d")
        raise ValueError(
            f"date column {column!r}: cannot read {first!r} as a date "
            "(expected YYYY-MM-DD or YYYYMMDD)"
        )
    raise ValueError(f"date column {column!r} has type {dtype}; expected a date, text or YYYYMMDD")


def normalise_transactions(
    frame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
) -> nw.LazyFrame:
    """A transaction frame with canonical columns ``customer_id, date[, value]``.

    Parameters
    ----------
    frame
        A narwhals frame or anything narwhals wraps (DuckDB relation, Spark DataFrame,
        Arrow table, pandas).
    customer_col, date_col, value_col
        Names of the customer, date and (optional) value columns in ``frame``.

    Raises
    ------
    ValueError
        If a named column is missing or the date column cannot be read as a date.
    """
    lf = frame if isinstance(frame, nw.LazyFrame) else nw.from_native(frame)
    if isinstance(lf, nw.DataFrame):
        # In-memory tables (Arrow, pandas) run on DuckDB, which has every operation used.
        lf = lf.lazy("duckdb")
    names = lf.collect_schema().names()
    wanted = [customer_col, date_col] + ([value_col] if value_col else [])
    missing = [c for c in wanted if c not in names]
    if missing:
        raise ValueError(
            f"transactions: missing column(s) {', '.join(missing)} (the file has {', '.join(names)})"
        )
    exprs = [
        nw.col(customer_col).cast(nw.String).str.strip_chars().alias("customer_id"),
        _date_expr(lf, date_col).alias("date"),
    ]
    if value_col:
        exprs.append(nw.col(value_col).cast(nw.Float64).alias("value"))
    return lf.select(exprs)


def read_transactions(
    path: str | Path,
    *,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    engine: Engine = "duckdb",
) -> nw.LazyFrame:
    """Read a transaction file (CSV with a header row, or Parquet) lazily on ``engine``.

    ``path`` may be a ``.csv``/``.txt``/``.tsv`` file (delimiter and types are sniffed), a
    ``.parquet`` file or a folder of Parquet files. Returns the canonical columns of
    :func:`normalise_transactions`.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"transactions: no such file {p}")
    if p.is_dir() or p.suffix.lower() == ".parquet":
        lf = scan_parquet(p, engine)
    elif p.suffix.lower() in {".csv", ".txt", ".tsv"}:
        if engine == "duckdb":
            lf = nw.from_native(duckdb_connection().read_csv(str(p), header=True))
        elif engine == "spark":
            reader = spark_session().read.option("header", True).option("inferSchema", True)
            if p.suffix.lower() == ".tsv":
                reader = reader.option("sep", "\t")
            lf = nw.from_native(reader.csv(str(p)))
        else:
            raise ValueError(f"unknown engine {engine!r}")
    else:
        raise ValueError(f"transactions: unsupported file type {p.suffix!r} (CSV or Parquet)")
    return normalise_transactions(
        lf, customer_col=customer_col, date_col=date_col, value_col=value_col
    )
