"""Benchmark the demo generator: wall time, peak memory and disk size per ledger size.

Run from the repository root (each size runs in a fresh subprocess, so peak RSS is per run):

    python benchmarks/synth/bench_generate.py --lines 1e6 1e7 1e8

For each size it also runs a peer in the same session: DuckDB generating the same invoice
columns with uniform random values (no behaviour, no activities, no reference data) and
writing them to zstd Parquet with all cores — the floor for "make N rows and write them".
Output goes to a temporary directory under ``--workdir`` (default /tmp) that is deleted
after each run. Prints a Markdown table to paste into benchmarks/synth/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEER_SQL = """
COPY (
  WITH lines AS (
    SELECT i, DATE '2023-01-01' + (random() * 1095)::INTEGER AS invoice_date FROM range({n}) t(i)
  )
  SELECT 'INV-' || lpad(((i // 5) + 1)::VARCHAR, 10, '0') AS invoice_id,
         (i % 5 + 1)::INTEGER AS line_no,
         invoice_date,
         'ACC-' || lpad((1 + (random() * 1999)::INTEGER)::VARCHAR, 5, '0') AS account_id,
         'ADH-' || (1001 + (random() * 315)::INTEGER)::VARCHAR AS product_id,
         (random() * 100)::DECIMAL(18, 3) AS quantity,
         (random() * 100)::DECIMAL(18, 4) AS unit_list_price,
         (random() * 50)::DECIMAL(18, 2) AS discount_amount,
         (random() * 500)::DECIMAL(18, 2) AS cogs_amount,
         invoice_date + 30 AS due_date,
         invoice_date + 40 AS paid_date,
         'Plant Lyon' AS business_unit
  FROM lines
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144)
"""


def _child(kind: str, lines: int, accounts: int, out: Path) -> None:
    """Run one generation in this process and print its figures as JSON."""
    t0 = time.perf_counter()
    if kind == "synth":
        from openkam.engine.synth import generate

        summary = generate(out, lines=lines, accounts=accounts)
        counts = summary.counts
    else:
        import duckdb

        out.mkdir(parents=True, exist_ok=True)
        duckdb.connect().execute(PEER_SQL.format(n=lines, path=out / "peer.parquet"))
        counts = {"invoices": lines}
    seconds = time.perf_counter() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss_mib, "counts": counts}))


def _disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _run(kind: str, lines: int, accounts: int, workdir: Path) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"openkam-bench-{kind}-", dir=workdir)) / "data"
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                kind,
                "--lines",
                str(lines),
                "--accounts",
                str(accounts),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["wall_with_startup"] = wall
        result["disk_mib"] = _disk(out) / 2**20
        return result
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def _machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.platform()}, Python {platform.python_version()}, load average at start {load:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", nargs="+", type=float, default=[1e6, 1e7])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--no-peer", action="store_true", help="skip the DuckDB peer")
    parser.add_argument("--child", choices=["synth", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, int(args.lines[0]), args.accounts, args.out)
        return

    import duckdb
    import numpy
    import pyarrow

    print(f"date: {dt.date.today().isoformat()}; machine: {_machine()}")
    print(f"numpy {numpy.__version__}, pyarrow {pyarrow.__version__}, duckdb {duckdb.__version__}")
    print()
    print(
        "| lines | tool | rows written | wall s (in process) | wall s (with interpreter start) | peak RSS MiB | Parquet MiB | lines/s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in args.lines):
        free = shutil.disk_usage(args.workdir).free / 2**30
        # About 20 MiB of Parquet per million lines; refuse rather than fill the disk.
        if free < 3 * 20 * n / 1e6 / 1024:
            print(f"skipping {n:,} lines: only {free:.1f} GiB free in {args.workdir}")
            continue
        for kind in ("synth",) + (() if args.no_peer else ("duckdb",)):
            r = _run(kind, n, args.accounts, args.workdir)
            rows = sum(
                v
                for k, v in r["counts"].items()
                if k in ("invoices", "activities", "rebates", "cost_pools")
            )
            name = (
                "openkam synth (ledger + reference)"
                if kind == "synth"
                else "peer: DuckDB random invoice columns"
            )
            print(
                f"| {n:,} | {name} | {rows:,} | {r['seconds']:.1f} | {r['wall_with_startup']:.1f} "
                f"| {r['peak_rss_mib']:.0f} | {r['disk_mib']:.0f} | {n / r['seconds']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
