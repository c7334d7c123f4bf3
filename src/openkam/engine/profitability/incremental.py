"""Partial sums per ledger file, kept beside the ledger, so a recompute reads only new files.

Ledger part files are never changed in place: an import publishes new files, and replaces
an old one by another file (a new name or a new write id). So the month sums of
each file (invoices: :func:`~.aggregates.sales_partials`; activities:
:func:`~.aggregates.activity_months`, whose pool periods are looked up once the files are
added up) can be computed once, stored under ``<data_dir>/cache/profitability-v<N>/``, and
added up at every recompute. A recompute after
an import then aggregates the new files only; nothing else changes in the result, which is
tested to equal a full recompute to the cent.

The month sums answer any window of whole months (every reporting window is widened to
whole periods). They cannot answer two cases, and there the engine reads the ledger as a
full recompute does: an as-of date earlier than an open receivable in the window (that line
must then be left out, which month sums cannot do), and pool periods that do not start and
end on month boundaries (activities are then windowed by day). The partial of a file is
keyed by its name and :func:`~openkam.engine.ledger.file_identity` (size and write id, so
a copy of the data directory keeps the partials); it does not depend on the cost pools (an
activity's pool period is looked up after the partials are added up), so a change of pool
costs or periods reuses every partial. Partials of files that are gone are deleted, and so
are the folders of earlier cache versions. A cache folder that cannot be written turns the
cache off, with a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from openkam.engine.backends import scan_parquet
from openkam.engine.dates import day_number_of
from openkam.engine.ledger import Ledger, file_identity, parquet_write_options
from openkam.engine.money_lines import Conversion
from openkam.engine.profitability.abc import cells_of_months, month_aligned
from openkam.engine.profitability.aggregates import (
    LINE_AMOUNT,
    SALES_SUMS,
    activity_months,
    sales_partials,
)
from openkam.engine.profitability.grouping import sum_to_grain
from openkam.engine.profitability.money import ints_to_decimal, scaled_ints
from openkam.engine.profitability.periods import Period, key_of, whole_months

log = logging.getLogger(__name__)

#: Bumped whenever the partials' meaning or columns change: old partials are then ignored.
CACHE_VERSION = 3
#: Day numbers in the partials count from 2000-01-01, to keep amount × day small.
EPOCH_DAY = dt.date(2000, 1, 1).toordinal()
#: Scale of the exact line amounts (quantity × price), as the engine sums them.
_SCALE = LINE_AMOUNT.scale


def cache_root(ledger: Ledger) -> Path:
    """Where the partial sums of ``ledger`` are kept."""
    return ledger.data_dir / "cache" / f"profitability-v{CACHE_VERSION}"


class PartialSums:
    """The per-file month sums of one ledger, computed on demand and kept on disk."""

    def __init__(
        self, ledger: Ledger, root: Path | None = None, conversion: Conversion | None = None
    ):
        self.ledger = ledger
        self.root = root or cache_root(ledger)
        self.conversion = conversion or Conversion.of(ledger)

    def sales(
        self, period: Period, start: dt.date | None, end: dt.date | None, as_of: dt.date | None
    ) -> pa.Table | None:
        """What :func:`~.aggregates.sales_by_account` gives for this window, from the
        partials; None when they cannot answer (see the module notes) or the cache is off."""
        if not whole_months(start, end):
            return None
        frame = self._partials(
            "invoices",
            lambda files: sales_partials(self.conversion.invoices(files), EPOCH_DAY),
        )
        if frame is None:
            return None
        summed = _collect(
            _in_months(frame, start, end)
            .group_by("account_id", "period_key")
            .agg(
                *(
                    nw.col(c).sum()
                    for c in (
                        "gross",
                        "discounts",
                        "cogs",
                        "paid_amount_days",
                        "open_amount",
                        "open_amount_day",
                    )
                ),
                nw.col("lines").sum().cast(nw.Int64),
                nw.col("last_open_day").max(),
            )
        )
        last_open = pc.max(summed["last_open_day"]).as_py()
        if as_of is not None and last_open is not None and last_open > day_number_of(as_of):
            return None  # open lines invoiced after the as-of date must be left out
        paid = scaled_ints(summed["paid_amount_days"], _SCALE)
        if as_of is None:
            amount_days = paid
        else:
            open_amount = scaled_ints(summed["open_amount"], _SCALE)
            open_day = scaled_ints(summed["open_amount_day"], _SCALE)
            amount_days = _exact(paid, open_amount, open_day, day_number_of(as_of) - EPOCH_DAY)
        sales = summed.select(["account_id", "period_key", "gross", "discounts", "cogs", "lines"])
        sales = sales.append_column(
            "amount_days", ints_to_decimal(amount_days, pa.decimal128(38, _SCALE))
        )
        return sum_to_grain(sales, SALES_SUMS, "month", period)

    def cells(
        self, pools: pa.Table, period: Period, start: dt.date | None, end: dt.date | None
    ) -> pa.Table | None:
        """What :func:`~.aggregates.activity_cells` gives for this window (whole pool
        periods), from the partials; None when they cannot answer or the cache is off."""
        if not whole_months(start, end) or not month_aligned(pools):
            return None
        frame = self._partials(
            "activities",
            lambda files: activity_months(self.ledger.table("activities", files)),
        )
        if frame is None:
            return None
        months = _collect(
            _in_months(frame, start, end)
            .group_by("pool", "account_id", "period_key")
            .agg(nw.col("quantity").sum(), nw.col("records").sum().cast(nw.Int64))
        )
        return cells_of_months(months, pools, period)

    def _partials(
        self, table: str, compute: Callable[[list[Path]], nw.LazyFrame]
    ) -> nw.LazyFrame | None:
        """A frame over the partials of every file of ``table``, computing missing ones."""
        files = self.ledger.files(table)
        if not files:
            return None
        folder = self.root / table
        wanted = {}
        # A partial of converted amounts holds for these exchange rates only.
        rates = f"-fx{self.conversion.signature}" if table in self.conversion.foreign else ""
        for path in files:
            wanted[folder / f"{path.stem}-{file_identity(path)}{rates}.parquet"] = path
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for target, source in wanted.items():
                if not target.exists():
                    _write(_collect(compute([source])), target)
            for stale in set(folder.glob("*.parquet")) - set(wanted):
                stale.unlink(missing_ok=True)
            _remove_abandoned(folder)
            _remove_earlier_versions(self.root)
        except OSError as exc:
            log.warning("profitability cache off (%s): reading the whole ledger", exc)
            return None
        return scan_parquet(list(wanted), self.ledger.engine, self.ledger.connection)


def _collect(frame: nw.LazyFrame) -> pa.Table:
    return frame.collect("pyarrow").to_arrow()


def _write(table: pa.Table, target: Path) -> None:
    # A hidden temporary name of this writer's own (two recomputes may make the same partial
    # at once), then an atomic rename: readers never see half a file.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp, **parquet_write_options(table.schema))
    os.replace(tmp, target)


#: A temporary file older than this was left by a writer that died (a partial takes seconds).
ABANDONED_AFTER_SECONDS = 3600


def _remove_abandoned(folder: Path) -> None:
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for tmp in folder.glob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except FileNotFoundError:
            pass  # its writer finished or another recompute removed it


def _remove_earlier_versions(root: Path) -> None:
    """Delete the cache folders of earlier versions beside ``root``: nothing reads them."""
    if not root.name.startswith("profitability-v"):
        return  # a cache kept elsewhere (tests): its neighbours are not ours
    for folder in root.parent.glob("profitability-v*"):
        if folder != root and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def _in_months(frame: nw.LazyFrame, start: dt.date | None, end: dt.date | None):
    if start is not None:
        frame = frame.filter(nw.col("period_key") >= key_of(start, "month"))
    if end is not None:
        frame = frame.filter(nw.col("period_key") <= key_of(end, "month"))
    return frame


def _exact(paid, open_amount, open_day, as_of: int) -> np.ndarray:
    """paid + open_amount × as_of − open_day, exactly: in int64 when it cannot overflow,
    else in Python integers."""
    arrays = (paid, open_amount, open_day)
    if all(a.dtype != object for a in arrays) and len(paid):
        # |paid| + |open_amount| × |as_of| + |open_day| bounds every term and every result.
        largest = [float(np.abs(a).max()) for a in arrays]
        if largest[0] + largest[1] * abs(as_of) + largest[2] < 2**62:
            return paid + open_amount * as_of - open_day
    return np.array(
        [int(p) + int(o) * as_of - int(d) for p, o, d in zip(*arrays, strict=True)],
        dtype=object,
    )
