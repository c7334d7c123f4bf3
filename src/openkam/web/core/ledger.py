"""The web app's view of the Parquet ledger in the data directory."""

from __future__ import annotations

import threading
from pathlib import Path

import narwhals as nw
from django.conf import settings

from openkam.engine.backends import duckdb_connection
from openkam.engine.ledger import Ledger

_local = threading.local()


def _connection():
    """This thread's DuckDB connection, kept from request to request.

    Opening a connection costs tens of milliseconds, and an account page reads the ledger
    several times: one connection per server thread, reused, keeps that cost out of every
    page. Requests on one thread run one after another, so they never share it at once.
    """
    con = getattr(_local, "connection", None)
    if con is None:
        con = _local.connection = duckdb_connection()
    return con


def ledger_root() -> Path:
    return Path(settings.DATA_DIR) / "ledger"


def ledger() -> Ledger | None:
    """The ledger on DuckDB (one connection, so its tables can be joined), or None."""
    if not ledger_root().is_dir():
        return None
    return Ledger(Path(settings.DATA_DIR), connection=_connection())


def fingerprint() -> str | None:
    """:meth:`Ledger.fingerprint` of the data directory's ledger (None: no ledger yet)."""
    source = ledger()
    return source.fingerprint() if source is not None else None


def table(name: str, source: Ledger | None = None) -> nw.LazyFrame | None:
    """A lazy DuckDB frame over one ledger table, or None when it holds no records.

    Pass ``source`` to read several tables through one connection (needed to join them).
    """
    source = source or ledger()
    if source is None or not source.files(name):
        return None
    return source.table(name)


def money_table(name: str, source: Ledger | None = None) -> nw.LazyFrame | None:
    """:func:`table` with its amounts in the reporting currency (invoices, rebates): each
    foreign amount converted at the latest fx rate on or before its date and rounded once
    per line; invoices gain ``gross_amount`` (openkam.engine.money_lines). None when the
    table holds no records. A line whose rate is missing (possible only after the
    reporting currency changed: imports refuse them) has no amount here; a profitability
    recompute names it."""
    from openkam.engine.money_lines import Conversion

    source = source or ledger()
    if source is None or not source.files(name):
        return None
    conversion = Conversion.of(source, settings.OPENKAM_REPORTING_CURRENCY)
    return conversion.invoices() if name == "invoices" else conversion.rebates()
