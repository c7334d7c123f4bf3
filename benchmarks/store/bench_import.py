"""Benchmark: import a large invoices CSV into the ledger, against a pandas peer.

Usage (from the repository root)::

    python benchmarks/store/bench_import.py              # 10,000,000 lines (~1 GB)
    python benchmarks/store/bench_import.py --rows 1000000 --workdir /tmp

It writes the CSV with NumPy and pyarrow, then times, each in a fresh subprocess whose peak
memory (max RSS) the kernel reports through ``os.wait4``:

1. ``openkam import``: ``import_ledger("invoices", ...)`` into an empty ledger;
2. the same import again (every line already there: nothing is written);
3. the peer: ``pandas.read_csv`` (all columns as text) + a naive validation (numbers and
   dates parse, required cells present, references known, keys unique) + ``to_parquet``;
4. a reference bound: DuckDB ``read_csv`` straight to Parquet with type casts only (no
   per-cell error report, no row numbers, no idempotency).

All temporary files are removed at the end (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_ACCOUNTS = 20_000
N_PRODUCTS = 5_000


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic invoices CSV of ``rows`` lines, written in chunks of one million."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    options = pacsv.WriteOptions(quoting_style="none")

    def money(cents: np.ndarray, scale: int) -> pa.Array:
        sign = pa.array(np.where(cents < 0, "-", ""))
        cents = np.abs(cents)
        whole = pc.cast(pa.array(cents // 10**scale), pa.string())
        frac = pc.utf8_lpad(pc.cast(pa.array(cents % 10**scale), pa.string()), scale, "0")
        return pc.binary_join_element_wise(sign, whole, ".", frac, "")

    def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
        text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
        return pc.binary_join_element_wise(prefix, text, "")

    epoch = np.datetime64("2022-01-01")
    with pacsv.CSVWriter(path, schema=_schema(), write_options=options) as writer:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            line = np.arange(start, start + n)
            days = rng.integers(0, 1000, n)
            qty = rng.integers(1, 500, n) * 1000
            qty[rng.random(n) < 0.02] *= -1  # returns
            price = rng.integers(10, 100_000, n) * 100
            date = pa.array(epoch + days.astype("timedelta64[D]")).cast(pa.string())
            due = pa.array(epoch + (days + 30).astype("timedelta64[D]")).cast(pa.string())
            batch = pa.table(
                {
                    "invoice_id": ids("INV-", line // 4, 9),
                    "line_no": pc.cast(pa.array(line % 4 + 1), pa.string()),
                    "invoice_date": date,
                    "account_id": ids("ACC-", rng.integers(0, N_ACCOUNTS, n), 6),
                    "product_id": ids("PRD-", rng.integers(0, N_PRODUCTS, n), 5),
                    "quantity": money(qty, 3),
                    "unit_list_price": money(price, 4),
                    "discount_amount": money(rng.integers(0, 5000, n), 2),
                    "cogs_amount": money(rng.integers(100, 400_000, n), 2),
                    "due_date": due,
                    "paid_date": pc.if_else(pa.array(rng.random(n) < 0.9), due, ""),
                    "business_unit": ids("BU-", rng.integers(0, 9, n), 1),
                },
                schema=_schema(),
            )
            writer.write_table(batch)


def _schema():
    import pyarrow as pa

    names = [
        "invoice_id",
        "line_no",
        "invoice_date",
        "account_id",
        "product_id",
        "quantity",
        "unit_list_price",
        "discount_amount",
        "cogs_amount",
        "due_date",
        "paid_date",
        "business_unit",
    ]
    return pa.schema([(n, pa.string()) for n in names])


def known() -> dict:
    return {
        "accounts": [f"ACC-{i:06d}" for i in range(N_ACCOUNTS)],
        "products": [f"PRD-{i:05d}" for i in range(N_PRODUCTS)],
    }


# --- the measured programs (each runs in its own process) ------------------------------------


def run_openkam(csv: Path, data_dir: Path) -> dict:
    from openkam.store import import_ledger

    result = import_ledger("invoices", [csv], data_dir, known=known())
    return {"rows_added": result.rows_added, "rows_unchanged": result.rows_unchanged}


def run_pandas(csv: Path, out: Path) -> dict:
    import pandas as pd

    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    problems = 0
    for col in ("quantity", "unit_list_price", "discount_amount", "cogs_amount", "line_no"):
        parsed = pd.to_numeric(frame[col], errors="coerce")
        problems += int(parsed.isna().sum())
        frame[col] = parsed
    for col in ("invoice_date", "due_date", "paid_date"):
        parsed = pd.to_datetime(frame[col], format="%Y-%m-%d", errors="coerce")
        problems += int((parsed.isna() & (frame[col] != "")).sum())
        frame[col] = parsed
    ref = known()
    problems += int((~frame["account_id"].isin(set(ref["accounts"]))).sum())
    problems += int((~frame["product_id"].isin(set(ref["products"]))).sum())
    problems += int(frame.duplicated(["invoice_id", "line_no"]).sum())
    frame.to_parquet(out, compression="zstd")
    return {"problems": problems, "rows": len(frame)}


def run_duckdb(csv: Path, out: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT invoice_id, line_no::INTEGER AS line_no, invoice_date::DATE AS invoice_date,
                  account_id, product_id, quantity::DECIMAL(18,3) AS quantity,
                  unit_list_price::DECIMAL(18,4) AS unit_list_price,
                  discount_amount::DECIMAL(18,2) AS discount_amount,
                  cogs_amount::DECIMAL(18,2) AS cogs_amount, due_date::DATE AS due_date,
                  paid_date::DATE AS paid_date, business_unit
           FROM read_csv('{csv}', all_varchar = true, header = true))
           TO '{out}' (FORMAT parquet, COMPRESSION zstd)"""
    )
    return {}


PROGRAMS = {"openkam": run_openkam, "pandas": run_pandas, "duckdb": run_duckdb}


def measure(program: str, *args: Path) -> dict:
    """Run one program in a fresh interpreter; wall time and the child's peak RSS."""
    cmd = [sys.executable, __file__, "--child", program, *map(str, args)]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{program} failed with exit code {child.returncode}")
    # Linux reports ru_maxrss in KiB.
    return {
        "seconds": round(seconds, 1),
        # CPU time is less swayed than wall time by other work on a shared machine.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        **json.loads(out or b"{}"),
    }


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.machine()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        program, *paths = args.child
        print(json.dumps(PROGRAMS[program](*map(Path, paths))))
        return

    # Other work on the machine slows every run alike; the load average says how much.
    load_start = round(os.getloadavg()[0], 1)
    work = Path(tempfile.mkdtemp(prefix="openkam-bench-", dir=args.workdir))
    try:
        csv = work / "invoices.csv"
        t = time.perf_counter()
        write_csv(csv, args.rows)
        size = csv.stat().st_size
        print(
            f"wrote {args.rows:,} lines, {size / 2**20:,.0f} MiB in {time.perf_counter() - t:.0f} s"
        )
        results = {
            "openkam import": measure("openkam", csv, work / "data"),
            "openkam re-import (all unchanged)": measure("openkam", csv, work / "data"),
            "peer: pandas read_csv + naive checks + to_parquet": measure(
                "pandas", csv, work / "pandas.parquet"
            ),
            "bound: DuckDB read_csv + casts to Parquet": measure(
                "duckdb", csv, work / "duckdb.parquet"
            ),
        }
        ledger = sum(f.stat().st_size for f in (work / "data" / "ledger").rglob("part-*.parquet"))
        report = {
            "date": dt.date.today().isoformat(),
            "machine": machine(),
            "load_average_1min_start_end": [load_start, round(os.getloadavg()[0], 1)],
            "rows": args.rows,
            "csv_mib": round(size / 2**20),
            "ledger_mib": round(ledger / 2**20),
            "results": results,
        }
        print(json.dumps(report, indent=2))
        print()
        print("| run | wall s | lines/s | CPU s | peak RSS (MiB) |")
        print("|---|---:|---:|---:|---:|")
        for name, r in results.items():
            rate = args.rows / r["seconds"]
            print(
                f"| {name} | {r['seconds']} | {rate:,.0f} | {r['cpu_seconds']} "
                f"| {r['peak_rss_mib']:,} |"
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
