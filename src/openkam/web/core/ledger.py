"""The web app's view of the Parquet ledger in the data directory."""

from __future__ import annotations

import bisect
import os
import threading
import time
from pathlib import Path

import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django_tasks import task

from openkam.engine.backends import duckdb_connection
from openkam.engine.ledger import Ledger
from openkam.web.core.kept import Kept
from openkam.web.core.request_memo import once

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
        # One thread per connection: the server already runs a request per thread on every
        # core, and a page's reads are small; DuckDB's own pool of threads per connection
        # (one per core, eight server threads) only added CPU spent handing work over.
        con.execute("SET threads = 1")
    return con


def ledger_root() -> Path:
    return Path(settings.DATA_DIR) / "ledger"


def ledger() -> Ledger | None:
    """The ledger on DuckDB (one connection, so its tables can be joined), or None."""
    if not ledger_root().is_dir():
        return None
    return Ledger(Path(settings.DATA_DIR), connection=_connection())


def fingerprint() -> str | None:
    """:meth:`Ledger.fingerprint` of the data directory's ledger (None: no ledger yet).

    Once per request: it lists and stats every ledger file, and a page asks for it more than
    once (a run's "new records since" note, the keys of what the page keeps)."""
    return once("ledger fingerprint", _fingerprint)


def _fingerprint() -> str | None:
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


def money_table(
    name: str, source: Ledger | None = None, files: list[Path] | None = None
) -> nw.LazyFrame | None:
    """:func:`table` with its amounts in the reporting currency (invoices, rebates): each
    foreign amount converted at the latest fx rate on or before its date and rounded once
    per line; invoices gain ``gross_amount`` (openkam.engine.money_lines). None when the
    table holds no records. A line whose rate is missing (possible only after the
    reporting currency changed: imports refuse them) has no amount here; a profitability
    recompute names it. ``files``: the table's lines from other files with the same
    records (:func:`invoices_by_account`)."""
    from openkam.engine.money_lines import Conversion

    source = source or ledger()
    if source is None or not source.files(name):
        return None
    conversion = Conversion.of(source, settings.OPENKAM_REPORTING_CURRENCY)
    return conversion.invoices(files) if name == "invoices" else conversion.rebates(files)


#: Rows per row group of the account-ordered copy: an account's lines sit in one or two
#: groups, and the Parquet footer's min/max of ``account_id`` lets a reader skip the rest.
#: Small groups, so that reading an account decodes little else: 1.5 ms per account
#: (1,000,000 lines, 2,000 accounts) against 11 ms with groups of 16,384 rows.
BY_ACCOUNT_ROW_GROUP = 2048


def _by_account_dir() -> Path:
    # Versioned by its layout: a copy written with other row groups is not read.
    return Path(settings.DATA_DIR) / "cache" / "invoices-by-account-v2"


def _copy_path(fingerprint: str) -> Path:
    """Where the account-ordered copy of the ledger with ``fingerprint`` is (or goes)."""
    return _by_account_dir() / f"{fingerprint}.parquet"


def invoices_by_account(source: Ledger | None = None) -> list[Path] | None:
    """The invoice lines ordered by account, as ledger files for ``Ledger.table`` — or None
    when no copy matches the ledger as it is now (an import since: read the ledger itself).

    An account page reads one account's lines; in the ledger (ordered by date) they are
    spread over every row group, so each page scanned the whole ``account_id`` column. The
    copy, written by :func:`write_invoices_by_account` after each profitability run (in the
    task worker), lets the reader skip all but the groups holding the account.
    """
    source = source or ledger()
    if source is None or not source.files("invoices"):
        return None
    path = _copy_path(source.fingerprint())
    if path.is_file():
        return [path]
    # None yet (an import since the last run, or a copy of an older layout): the task
    # worker writes it, once, and readers use the ledger meanwhile.
    from openkam.web.core.tasks import enqueue_once

    enqueue_once(write_invoices_copy)
    return None


def write_invoices_by_account(source: Ledger | None = None) -> Path | None:
    """Write the account-ordered copy of the invoice lines for the ledger as it is now
    (background work: one sort of the invoices), and delete copies of earlier ledgers."""
    source = source or ledger()
    if source is None or not source.files("invoices"):
        return None
    folder = _by_account_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = _copy_path(source.fingerprint())
    if not path.is_file():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        relation = source.table("invoices").to_native()
        relation.order("account_id, invoice_date, invoice_id, line_no").write_parquet(
            str(tmp), row_group_size=BY_ACCOUNT_ROW_GROUP, compression="zstd"
        )
        tmp.replace(path)  # whole or not at all: a reader never sees half a file
    # Copies of earlier ledgers go once nobody can still be reading them.
    for other in folder.iterdir():
        if other != path and time.time() - other.stat().st_mtime > 3600:
            other.unlink(missing_ok=True)
    return path


@task()
def write_invoices_copy() -> None:
    """Background task: :func:`write_invoices_by_account` for the ledger as it is now."""
    write_invoices_by_account()


class _CopyIndex:
    """Where each account's lines are in the account-ordered copy: its row groups' lowest
    and highest account, from the footer, read once per copy (a copy never changes)."""

    def __init__(self, path: Path):
        self.path = path
        self.metadata = pq.read_metadata(path)
        column = self.metadata.schema.to_arrow_schema().get_field_index("account_id")
        groups = [self.metadata.row_group(i) for i in range(self.metadata.num_row_groups)]
        stats = [g.column(column).statistics for g in groups]
        self.lowest = [s.min if s is not None and s.has_min_max else None for s in stats]
        self.highest = [s.max if s is not None and s.has_min_max else None for s in stats]

    def lines(self, account_ids: tuple[str, ...]) -> pa.Table:
        """The copy's lines of ``account_ids`` (every column, in the copy's order)."""
        if None in self.lowest or None in self.highest:  # a group without statistics
            groups = list(range(len(self.lowest)))
        else:
            # The copy is sorted by account: the groups holding an account end at the last
            # one starting at or before it.
            found = set()
            for account in account_ids:
                i = bisect.bisect_right(self.lowest, account) - 1
                while i >= 0 and self.highest[i] >= account:
                    found.add(i)
                    i -= 1
            groups = sorted(found)
        # A reader per call on the parsed footer: a ParquetFile is not shared by threads.
        reader = pq.ParquetFile(self.path, metadata=self.metadata)
        # On this thread: the server runs a request per thread already.
        table = reader.read_row_groups(groups, use_threads=False)
        return table.filter(pc.is_in(table["account_id"], pa.array(account_ids, pa.string())))


_copy_indexes: Kept[_CopyIndex] = Kept(4)


#: Accounts whose lines are kept per process (a few MB at most: a key account with a
#: thousand lines a year holds about 0.5 MB of Arrow).
_account_lines: Kept[pa.Table] = Kept(64)


def identity() -> tuple | None:
    """What the reporting-currency invoice lines read now depend on: the ledger's
    fingerprint, the reporting currency, the exchange rates' signature, whether any
    invoice is in another currency and the account-ordered copy (None: not written yet);
    None without invoices. Once per request."""
    return once("ledger identity", _identity)


#: ``(rates' signature, foreign invoices?)`` per ledger fingerprint and currency: finding
#: them reads every ledger file's footer (the fingerprint covers the rates' files too).
_conversions: Kept[tuple[str, bool]] = Kept(8)


def _identity() -> tuple | None:
    from openkam.engine.money_lines import Conversion

    source = ledger()
    if source is None or not source.files("invoices"):
        return None
    currency = settings.OPENKAM_REPORTING_CURRENCY
    fingerprint = source.fingerprint()

    def conversion() -> tuple[str, bool]:
        found = Conversion.of(source, currency)
        return found.signature, "invoices" in found.foreign

    signature, foreign = _conversions.get((fingerprint, currency), conversion)
    path = _copy_path(fingerprint)
    return fingerprint, currency, signature, foreign, path if path.is_file() else None


def account_lines(account_ids: tuple[str, ...]) -> pa.Table | None:
    """The invoice lines of a few accounts, amounts in the reporting currency (as
    :func:`money_table`), as an Arrow table in memory; None when the ledger has none.

    An account page sums them by year, lists the latest and breaks them down by product:
    asking DuckDB for each of those costs about 1 ms per step of each query (binding the
    relation), 100 ms a page. Read once, then worked on in Arrow through narwhals, they
    cost a few milliseconds. Kept per process under the ledger's :func:`identity`, so an
    import or a new rate is never answered from an old copy.
    """
    found = identity()
    if found is None:
        return None
    *_, foreign, copy = found

    def read() -> pa.Table:
        from openkam.engine.money_lines import with_gross

        if copy is not None and not foreign:
            # Every amount in the reporting currency: the copy's lines as they are, with
            # their gross amount (quantity × list price rounded half away from zero to the
            # cent, as money_lines.line_gross has DuckDB do it).
            lines = _copy_indexes.get(copy, lambda: _CopyIndex(copy)).lines(account_ids)
            return with_gross(nw.from_native(lines).lazy()).collect().to_arrow()
        frame = money_table("invoices", ledger(), invoices_by_account())
        return frame.filter(nw.col("account_id").is_in(list(account_ids))).collect().to_arrow()

    return _account_lines.get((*found, account_ids), read)
