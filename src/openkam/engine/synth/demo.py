"""``generate``: write a synthetic but realistic B2B supplier to a data directory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from openkam import __version__
from openkam.engine.schema import KINDS, LEDGER_TABLES
from openkam.engine.synth.ledger import LedgerGenerator
from openkam.engine.synth.operations import generate_operations
from openkam.engine.synth.orders import REFERENCE_DENSITY, plan_orders
from openkam.engine.synth.pools import calibrate_level, cost_pools, unit_rates
from openkam.engine.synth.products import build_products
from openkam.engine.synth.profiles import build_accounts
from openkam.engine.synth.rebates import rebates
from openkam.engine.synth.reference import account_names, accounts_table, contacts, people
from openkam.engine.synth.timeline import Calendar, add_years
from openkam.engine.synth.writer import RollingWriter, write_table

#: Reference files written under ``data_dir/demo/``.
DEMO_FILES = (
    "accounts",
    "products",
    "contacts",
    "people",
    "assignments",
    "people_details",
    "contact_details",
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    data_dir: Path
    seed: int
    #: Rows per table: the ledger tables and the reference files.
    counts: dict[str, int]
    #: First and last invoice date.
    first_date: dt.date
    last_date: dt.date
    seconds: float
    files: dict[str, list[Path]] = field(default_factory=dict)


def _stream(seed: int, tag: int) -> np.random.Generator:
    # One independent stream per part, so changing one part never shifts the others.
    return np.random.default_rng([seed, tag])


def _clear(data_dir: Path, overwrite: bool) -> None:
    old = [p for t in LEDGER_TABLES.values() for p in (data_dir / "ledger" / t).glob("*.parquet")]
    old += [data_dir / "demo" / f"{name}.parquet" for name in DEMO_FILES]
    old = [p for p in old if p.exists()]
    if old and not overwrite:
        raise FileExistsError(
            f"{data_dir} already holds a ledger or demo data ({old[0]}); pass overwrite=True"
        )
    for p in old:
        p.unlink()
    if old:
        # Month sums kept for the files just deleted: a new demo's files may reuse their
        # names and write ids (see generate) while the generator's code has changed.
        shutil.rmtree(data_dir / "cache", ignore_errors=True)


def generate(
    data_dir: Path | str,
    *,
    seed: int = 42,
    accounts: int = 2000,
    lines: int = 1_000_000,
    start: dt.date = dt.date(2023, 1, 1),
    years: int = 3,
    end: dt.date | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    rows_per_file: int = 2_000_000,
) -> DemoSummary:
    """Write a synthetic B2B supplier: the Parquet ledger and the reference data.

    Writes ``data_dir/ledger/{invoices,rebates,activities,cost_pools}/part-*.parquet`` in
    the canonical schemas of :mod:`openkam.engine.schema` and ``data_dir/demo/*.parquet``
    (accounts, products, contacts, people, assignments, people_details, contact_details)
    plus ``demo/manifest.json``. The same seed and arguments give byte-identical files;
    ``rows_per_file`` only moves file boundaries, never the rows.

    Parameters
    ----------
    data_dir
        The data directory (created if missing).
    seed
        Seed of every random draw.
    accounts
        Number of customer accounts.
    lines
        Target number of invoice lines (met to within sampling noise, typically < 1 %);
        the activity records scale with it, rebates and cost pools with accounts and months.
        Memory stays bounded whatever the size: the ledger is generated and written in
        blocks of at most 65,536 orders.
    start, years
        The window ``[start, start + years)``; cost pools are calendar months.
    end
        If given, the window is ``[start, end)`` instead (``years`` is then ignored); the
        demo passes :func:`~openkam.engine.synth.timeline.demo_window` of its "today", so
        that the ledger runs to last month.
    progress
        Called as ``progress(stage, done, total)`` while generating.
    overwrite
        Replace an existing ledger or demo data in ``data_dir`` (else FileExistsError).
    rows_per_file
        Rows per ledger Parquet file.

    Returns
    -------
    DemoSummary
        Row counts per table, the date range and the time taken.

    Notes
    -----
    The economics follow the account P&L of the design brief (§4): gross sales
    (quantity × list price) − on-invoice discounts − rebates = net sales; − COGS = gross
    margin; − Σ activity quantity × pool rate (pool cost / practical capacity, Kaplan &
    Anderson 2004) = net contribution. The level of the pool costs is calibrated so that the
    whale curve computed that way peaks at 200 % (:func:`~openkam.engine.synth.pools.
    calibrate_level`); a P&L that adds other costs (e.g. the credit cost of payment terms)
    will peak higher. Purchasing follows the BG/NBD assumptions (Fader, Hardie & Lee 2005),
    see :mod:`openkam.engine.synth.orders`. Every account buys at least once, so ``lines``
    below a few per account is not reachable. ``progress`` stages: ``"reference data"``,
    ``"ledger"`` (one step per month) and ``"rebates and cost pools"``.
    """
    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    report = progress or (lambda stage, done, total: None)
    if lines < 1:
        raise ValueError("lines must be at least 1")
    _clear(data_dir, overwrite)
    demo = data_dir / "demo"
    ledger = data_dir / "ledger"

    # Files are byte for byte the same for the same seed and arguments, so their write ids
    # (engine.ledger.file_identity) are too: derived from those, not random.
    run_id = hashlib.sha256(
        repr(
            (__version__, seed, accounts, lines, start, years, rows_per_file)
            + (() if end is None else (end,))
        ).encode()
    ).hexdigest()
    cal = Calendar.build(start, years, end)
    # Years of the window: whole ones unless ``end`` cuts the last one short.
    span = years if end is None else cal.months / 12
    acc = build_accounts(accounts, _stream(seed, 1), cal)
    prod = build_products(_stream(seed, 2), years if end is None else -(-cal.months // 12))
    plan = plan_orders(acc, cal, lines, _stream(seed, 3))
    density = lines / (accounts * span * REFERENCE_DENSITY)

    report("reference data", 0, 1)
    names, domains = account_names(acc, _stream(seed, 4))
    people_t, people_details, assignments = people(acc, _stream(seed, 5))
    contacts_t, contact_details = contacts(acc, domains, assignments, _stream(seed, 6))
    reference = {
        "accounts": accounts_table(acc, names),
        "products": prod.table(),
        "contacts": contacts_t,
        "people": people_t,
        "assignments": assignments,
        "people_details": people_details,
        "contact_details": contact_details,
    }
    for name, table in reference.items():
        write_table(table, demo / f"{name}.parquet", run_id)
    report("reference data", 1, 1)

    rates = unit_rates(cal, density, _stream(seed, 7))
    gen = LedgerGenerator(acc, prod, cal, plan, rates, seed)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="openkam-synth-writer") as pool:
        writers = {
            name: RollingWriter(
                ledger / LEDGER_TABLES[name],
                # The demo is all in the reporting currency: no currency column.
                KINDS[name].schema_without("currency"),
                rows_per_file,
                executor=pool,
                run_id=run_id,
            )
            for name in ("invoices", "activities")
        }
        for m in range(cal.months):
            for table_name, chunk in gen.month(m):
                writers[table_name].write(chunk)
            report("ledger", m + 1, cal.months)
        files = {name: w.close() for name, w in writers.items()}

    report("rebates and cost pools", 0, 1)
    totals = gen.totals
    rebates_t, rebated = rebates(acc, totals, cal, gen.account_ids, _stream(seed, 8))
    # Set the level of the supplier's service costs so that the whale curve has its typical
    # shape whatever the seed and size (see pools.calibrate_level).
    base = (totals.invoiced.sum(axis=1) - rebated - totals.cogs) / 100
    level = calibrate_level(base, totals.cost_to_serve)
    pools_t = cost_pools(totals.pool_volume, rates * level, cal, _stream(seed, 9))
    for name, table in (("rebates", rebates_t), ("cost-pools", pools_t)):
        path = ledger / LEDGER_TABLES[name] / "part-00000.parquet"
        write_table(table, path, run_id)
        files[LEDGER_TABLES[name]] = [path]
    report("rebates and cost pools", 1, 1)

    key_ids = [gen.account_ids[i] for i in np.flatnonzero(acc.key)]
    counts = generate_operations(
        data_dir, files["invoices"], seed=seed, slow_accounts=key_ids[::3], run_id=run_id
    )
    counts = {
        **counts,
        "invoices": writers["invoices"].rows,
        "rebates": rebates_t.num_rows,
        "activities": writers["activities"].rows,
        "cost_pools": pools_t.num_rows,
        **{name: t.num_rows for name, t in reference.items()},
    }
    first, last = _date_range(files["invoices"], "invoice_date")
    summary = DemoSummary(
        data_dir=data_dir,
        seed=seed,
        counts=counts,
        first_date=first or start,
        last_date=last or start,
        seconds=time.perf_counter() - t0,
        files=files,
    )
    manifest = {
        "generator": "openkam.engine.synth",
        "seed": seed,
        "accounts": accounts,
        "lines": lines,
        "start": start.isoformat(),
        "years": years if end is None else None,
        "end": add_years(start, years).isoformat() if end is None else end.isoformat(),
        "cost_level": level,
        "counts": counts,
        "first_date": summary.first_date.isoformat(),
        "last_date": summary.last_date.isoformat(),
    }
    (demo / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return summary


def _date_range(files: list[Path], column: str) -> tuple[dt.date | None, dt.date | None]:
    """Min and max of a date column from the Parquet statistics (no data is read)."""
    lo = hi = None
    for path in files:
        meta = pq.ParquetFile(path).metadata
        col = meta.schema.names.index(column)
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(col).statistics
            if stats is not None and stats.has_min_max:
                lo = stats.min if lo is None else min(lo, stats.min)
                hi = stats.max if hi is None else max(hi, stats.max)
    return lo, hi
