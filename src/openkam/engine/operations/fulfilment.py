"""The fulfilment of every order line, kept beside the ledger, so OTIF is a single scan.

Service levels need, per order line, what was delivered against it: a join of the
deliveries to the order lines on their string keys (order id, line) and a group-by per
line, about 1 CPU-µs per line (10 s for 10M lines), where the profitability recompute adds
up each table in one pass at about 0.1 µs. So the join is done once per order file and its
result kept: for each ``orders`` part file, one Parquet file of its lines with the sums of
their deliveries and the flags of :func:`~openkam.engine.operations.service.line_status`
(``otif``, ``full``, ``filled``, ``owed``, ``_lead``), under
``<data_dir>/cache/fulfilment-v<N>/``. The service query then filters and sums those files
(:func:`~openkam.engine.operations.service.fulfilment_sums`), as profitability sums its
partials (ADR 4; docs/adr/0007-fulfilment-per-order-file.md).

**Which deliveries belong to which order file.** A delivery names its order line, and an
order line lives in exactly one order file (the import keeps keys unique). A deliveries
file whose range of order ids (from its Parquet statistics, no data read) does not overlap
an order file's range holds none of its lines. So the fulfilment of an order file is keyed
by the file's :func:`~openkam.engine.ledger.file_identity` and by the identities of the
deliveries files whose range overlaps it. Whatever arrives — orders before or after their
deliveries, in one file or many, a ``--replace`` that rewrites a part file — changes the
key of exactly the order files it can touch, and only those are joined again. A file
without statistics overlaps everything (correct, only slower).

**When it answers.** The flags of a line hold for every as-of date on or after its
deliveries: a line due by ``as_of`` (promised on or before it) counts, as on time, only
deliveries on or before its promised date, which are all by ``as_of``. So the fulfilment
answers any ``as_of`` on or after the ledger's last delivery (the default "today" of the
service report is the last order or delivery date); for an earlier one the engine joins
the ledger as of that day.

The cache is disposable: deleting it costs one join per order file. The import of orders
or deliveries brings it up to date (:func:`refresh_fulfilment`), so the first report after
an import does not wait for the join.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import shutil
import uuid
from pathlib import Path

import narwhals as nw
import pyarrow.parquet as pq

from openkam.engine.backends import scan_parquet
from openkam.engine.ledger import Ledger, file_identity, parquet_write_options
from openkam.engine.operations.service import per_line, with_flags

log = logging.getLogger(__name__)

#: Bumped whenever the files' meaning or columns change: earlier folders are then deleted.
CACHE_VERSION = 1

#: The order columns each fulfilment row keeps (besides order_id and line_no).
KEEP = ("account_id", "product_id", "order_date", "promised_date")

#: The columns of a fulfilment file, in order: the order line, ``q`` (quantity ordered),
#: ``delivered`` (all deliveries) and ``on_time`` (on or before the promised date) in
#: thousandths of a unit, ``last_day`` and ``_ordered`` (day numbers of the last delivery
#: and of the order date), and the flags of ``line_status``.
COLUMNS = (
    "order_id",
    "line_no",
    *KEEP,
    "_ordered",
    "q",
    "delivered",
    "on_time",
    "last_day",
    "otif",
    "full",
    "filled",
    "owed",
    "_lead",
)

_INTEGERS = tuple(c for c in COLUMNS[len(KEEP) + 2 :])


def cache_root(ledger: Ledger) -> Path:
    """Where the fulfilment of ``ledger``'s order lines is kept."""
    return ledger.data_dir / "cache" / f"fulfilment-v{CACHE_VERSION}"


class Fulfilment:
    """The per-line fulfilment of one ledger, one file per order file, made on demand."""

    def __init__(self, ledger: Ledger, root: Path | None = None):
        self.ledger = ledger
        self.root = root or cache_root(ledger)

    def wanted(self) -> dict[Path, tuple[Path, list[Path]]]:
        """The fulfilment file each order file needs: target -> (order file, the
        deliveries files whose order-id range overlaps it)."""
        deliveries = [(p, _id_range(p)) for p in self.ledger.files("deliveries")]
        out = {}
        for orders in self.ledger.files("orders"):
            span = _id_range(orders)
            mine = [p for p, other in deliveries if _overlap(span, other)]
            stamp = hashlib.sha256(
                "\n".join(f"{p.name}:{file_identity(p)}" for p in mine).encode()
            ).hexdigest()[:16]
            out[self.root / f"{orders.stem}-{file_identity(orders)}-{stamp}.parquet"] = (
                orders,
                mine,
            )
        return out

    def refresh(self) -> list[Path] | None:
        """Make the fulfilment files that are missing, delete those no order file needs
        any more; returns the current files (None when the cache cannot be written)."""
        wanted = self.wanted()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for target, (orders, deliveries) in wanted.items():
                if not target.exists():
                    self._build(orders, deliveries, target)
            for stale in set(self.root.glob("*.parquet")) - set(wanted):
                stale.unlink(missing_ok=True)
            _remove_earlier_versions(self.root)
        except OSError as exc:
            log.warning("fulfilment cache off (%s): joining the deliveries to the orders", exc)
            return None
        return list(wanted)

    def frame(self, as_of: dt.date) -> nw.LazyFrame | None:
        """A frame over the fulfilment of every order line (columns :data:`COLUMNS`), or
        None when it cannot answer for ``as_of`` (a delivery after it, no orders, or a
        cache that cannot be written)."""
        if not self.ledger.files("orders"):
            return None
        last = self.ledger.column_max("deliveries", "delivery_date")
        if last is not None and last > as_of:
            return None
        files = self.refresh()
        if not files:
            return None
        return scan_parquet(files, self.ledger.engine, self.ledger.connection)

    def _build(self, orders: Path, deliveries: list[Path], target: Path) -> None:
        lines = with_flags(
            per_line(
                self.ledger.table("orders", [orders]),
                self.ledger.table("deliveries", deliveries),
                None,
                KEEP,
            )
        )
        table = (
            lines.with_columns(nw.col(c).cast(nw.Int64) for c in _INTEGERS)
            .select(*COLUMNS)
            .collect("pyarrow")
            .to_arrow()
        )
        # A hidden name of this writer's own, then an atomic rename: a reader never sees
        # half a file, and two processes making the same file do not collide.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        # Dictionaries for every column but the order id: quantities and flags repeat a
        # few values, and the file is 45 % smaller for the same scan time (measured on the
        # 10M-line demo: 28 MiB against 52 MiB per 2M lines).
        options = parquet_write_options(table.schema)
        options["use_dictionary"] = [c for c in table.schema.names if c != "order_id"]
        pq.write_table(table, tmp, **options)
        os.replace(tmp, target)


def refresh_fulfilment(data_dir: Path | str) -> int:
    """Bring the fulfilment of a data directory's order lines up to date (after an import
    of orders or deliveries); returns how many order files it covers. Never raises for a
    cache that cannot be written (the service query then joins the ledger)."""
    try:
        ledger = Ledger(data_dir)
    except FileNotFoundError:
        return 0
    files = Fulfilment(ledger).refresh()
    return len(files or ())


#: A file's range of order ids: (lowest, highest); EMPTY for a file without rows; None
#: when its statistics do not say (it then overlaps every file).
EMPTY: tuple = ()


def _id_range(path: Path) -> tuple | None:
    return _range_of(str(path), file_identity(path))


@functools.lru_cache(maxsize=4096)
def _range_of(path: str, identity: str) -> tuple | None:
    meta = pq.read_metadata(path)
    low = high = None
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        if group.num_rows == 0:
            continue
        column = next(
            (
                group.column(i)
                for i in range(group.num_columns)
                if group.column(i).path_in_schema == "order_id"
            ),
            None,
        )
        stats = column.statistics if column is not None else None
        if stats is None or not stats.has_min_max:
            return None
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return EMPTY if low is None else (low, high)


def _overlap(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return True
    if a == EMPTY or b == EMPTY:
        return False
    return a[0] <= b[1] and b[0] <= a[1]


def _remove_earlier_versions(root: Path) -> None:
    if not root.name.startswith("fulfilment-v"):
        return  # a cache kept elsewhere (tests): its neighbours are not ours
    for folder in root.parent.glob("fulfilment-v*"):
        if folder != root and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


__all__ = ["COLUMNS", "Fulfilment", "cache_root", "refresh_fulfilment"]
