"""Benchmark: full profitability recompute (all accounts × months) on the demo ledgers.

Usage (from the repository root)::

    python benchmarks/profitability/bench_profitability.py                 # 10M and 100M
    python benchmarks/profitability/bench_profitability.py --sizes 10M --repeat 3
    python benchmarks/profitability/bench_profitability.py --sizes 10M --spark

Ledgers are made once by the demo generator (``openkam.engine.synth.generate``, seed 42) under
``--data-dir`` (default ``/tmp/openkam-bench``) and reused. Every measurement runs in a fresh
Python process, so its peak resident memory (``ru_maxrss``) is its own. The peer is a
straightforward pandas implementation of the same waterfall in float64 (``pandas_peer.py``);
a second one, ``pandas-exact`` (``pandas_exact_peer.py``), computes it in int64 cents and
gives the engine's figures to the cent. Both are skipped above ``--pandas-max-lines`` (default 20M lines: at 100M lines the float64 frames
alone would need tens of GB). Prints a Markdown table to paste into README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {
    # name: (invoice lines, accounts)
    "1M": (1_000_000, 2_000),
    "10M": (10_000_000, 2_000),
    "100M": (100_000_000, 10_000),
}


def _child(kind: str, data_dir: str) -> None:
    """Run one measurement and print its figures as JSON (in a fresh process).

    Imports and the Spark session start are outside the timing: a recompute in the web app
    or a notebook finds them done. That includes pandas, which pyarrow imports the first time
    it converts a NumPy array (0.3 s), and which the peer imports before its clock starts.
    """
    import pandas  # noqa: F401

    if kind == "pandas":
        sys.path.insert(0, str(HERE))
        import pandas_peer

        def run():
            frame, _, _ = pandas_peer.profitability(data_dir)
            return len(frame), float(frame["net_contribution"].sum())

    elif kind == "pandas-exact":
        sys.path.insert(0, str(HERE))
        import pandas_exact_peer

        def run():
            frame = pandas_exact_peer.profitability(data_dir)
            return len(frame), int(frame["net_contribution"].sum()) / 100

    else:
        import duckdb

        from openkam.engine.backends import spark_session
        from openkam.engine.ledger import Ledger
        from openkam.engine.profitability import (
            compute_profitability,
            compute_profitability_grains,
        )
        from openkam.engine.profitability.money import to_cents

        kind, _, variant = kind.partition("+")
        connection = None
        if kind == "duckdb":
            connection = duckdb.connect(":memory:")
            connection.execute("SET threads TO 2")
        else:
            spark_session()

        ledger = Ledger(data_dir, engine=kind, connection=connection)
        if variant == "incremental":
            _one_new_file(ledger)

        def run():
            if variant == "grains":  # what the web app's recompute runs: three grains, one pass
                result = compute_profitability_grains(ledger, ("year", "quarter", "month"))
                result = result["month"]
            else:
                result = compute_profitability(ledger, "month", cache=variant == "incremental")
            total = int(to_cents(result.waterfall["net_contribution"]).sum()) / 100
            return result.waterfall.num_rows, total

    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    rows, total = run()
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if kind == "spark":
        peak = cpu = None  # the JVM is another process; see the README
    figures = {"seconds": seconds, "cpu": cpu, "peak_bytes": peak, "rows": rows, "total": total}
    print(json.dumps(figures))


def _one_new_file(ledger) -> None:
    """Bring the cache of partial sums to the state after an import of one new file: every
    ledger file's month sums are kept but those of one full invoices file (2M lines) and
    one full activities file, which the timed recompute must aggregate again. (Untimed; it
    also warms this process as a running web worker is warm.)"""
    from openkam.engine.profitability import compute_profitability
    from openkam.engine.profitability.incremental import cache_root

    compute_profitability(ledger, "month", cache=True)
    for table in ("invoices", "activities"):
        full = max(ledger.files(table), key=lambda f: f.stat().st_size)
        for partial in (cache_root(ledger) / table).glob(f"{full.stem}-*.parquet"):
            partial.unlink()


def _cpu_seconds() -> float:
    """CPU time of this process, all threads (DuckDB's workers included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(kind: str, data_dir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ledger(root: Path, size: str) -> Path:
    lines, accounts = SIZES[size]
    data_dir = root / f"ledger-{size}"
    manifest = data_dir / "demo" / "manifest.json"
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if (info.get("lines"), info.get("accounts"), info.get("seed")) == (lines, accounts, 42):
            return data_dir
    from openkam.engine.synth import generate

    print(f"generating the {size} ledger in {data_dir} …", file=sys.stderr, flush=True)
    summary = generate(data_dir, seed=42, accounts=accounts, lines=lines, overwrite=True)
    print(f"  done in {summary.seconds:.0f} s: {summary.counts}", file=sys.stderr, flush=True)
    return data_dir


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 2**20:.0f} GiB"
    except OSError:
        memory = "?"
    return f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}"


def _versions() -> str:
    from importlib.metadata import version

    names = ("duckdb", "narwhals", "pyarrow", "pandas", "numpy")
    return ", ".join(f"{n} {version(n)}" for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10M", "100M"], choices=sorted(SIZES))
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/openkam-bench"))
    parser.add_argument("--repeat", type=int, default=2, help="runs per engine (best is kept)")
    parser.add_argument("--pandas-max-lines", type=int, default=20_000_000)
    parser.add_argument("--spark", action="store_true", help="also time the Spark engine")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    print(f"date: {dt.datetime.now().isoformat(timespec='minutes')}")
    print(f"machine: {_machine()}")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"versions: Python {platform.python_version()}, {_versions()}")
    print(
        "command: python benchmarks/profitability/bench_profitability.py " + " ".join(sys.argv[1:])
    )
    print()
    print(
        "| ledger | engine | wall s (best) | wall s (all runs) | CPU s (best run) | peak RSS "
        "| rows | Σ net contribution | pandas ÷ DuckDB (wall; CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        data_dir = _ledger(args.data_dir, size)
        kinds = ["duckdb", "duckdb+grains", "duckdb+incremental"]
        kinds += ["spark"] if args.spark else []
        if SIZES[size][0] <= args.pandas_max_lines:
            kinds += ["pandas", "pandas-exact"]
        best = {}
        for kind in kinds:
            runs = [_measure(kind, data_dir) for _ in range(args.repeat)]
            fastest = best[kind] = min(runs, key=lambda r: r["seconds"])
            peak = max((r["peak_bytes"] or 0) for r in runs)
            ratio = ""
            if kind.startswith("pandas"):
                wall = fastest["seconds"] / best["duckdb"]["seconds"]
                ratio = f"{wall:.1f}×; {fastest['cpu'] / best['duckdb']['cpu']:.1f}×"
            all_runs = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            cpu = f"{fastest['cpu']:.1f}" if fastest["cpu"] is not None else "n/a"
            memory = f"{peak / 2**30:.2f} GiB" if peak else "n/a"
            print(
                f"| {size} | {kind} | {fastest['seconds']:.2f} | {all_runs} | {cpu} | {memory} "
                f"| {fastest['rows']} | {fastest['total']:,.2f} | {ratio} |",
                flush=True,
            )
        if "pandas" not in kinds:
            print(
                f"| {size} | pandas, pandas-exact | skipped | | | | | | more than "
                f"--pandas-max-lines ({args.pandas_max_lines:,}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
