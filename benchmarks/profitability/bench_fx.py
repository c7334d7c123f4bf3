"""Benchmark: the profitability recompute with amounts in foreign currencies.

Usage (from the repository root, after bench_profitability.py made the 10M ledger)::

    python benchmarks/profitability/bench_fx.py --data-dir /tmp/openkam-bench --repeat 3

Makes ``ledger-10M-fx`` beside ``ledger-10M`` (once): the same ledger whose invoice lines are
one third in USD, one third in GBP and one third without a currency (the reporting one),
with a rate per currency and day over the ledger's dates (``fx_rates``); the other tables are
links to the original files. Then times a full monthly recompute (DuckDB, nothing cached) on
both, each run in a fresh process (``bench_profitability.py --child``): the no-fx path reads
the Parquet footers and skips the conversion; the fx path joins every invoice line to the
(currency, day) rate calendar and rounds each foreign amount once. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_fx_ledger(source: Path, target: Path) -> None:
    """``target``: ``source`` with currencies on the invoice lines and a rates table."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from openkam.engine.ledger import open_ledger_writer
    from openkam.engine.schema import KINDS

    if (target / "ledger" / "fx_rates").is_dir():
        return
    for table_dir in (source / "ledger").iterdir():
        out = target / "ledger" / table_dir.name
        out.mkdir(parents=True, exist_ok=True)
        for path in table_dir.glob("*.parquet"):
            if table_dir.name != "invoices":
                if not (out / path.name).exists():
                    os.symlink(path, out / path.name)
                continue
            table = pq.read_table(path)
            codes = np.array(["USD", "GBP", None], dtype=object)[np.arange(table.num_rows) % 3]
            table = table.append_column("currency", pa.array(codes, pa.string()))
            schema = pa.schema(
                [KINDS["invoices"].arrow_schema.field(n) for n in table.schema.names]
            )
            with open_ledger_writer(out / path.name, schema) as writer:
                writer.write_table(table.cast(schema))
    first = pq.read_table(source / "ledger" / "invoices", columns=["invoice_date"])
    days = first["invoice_date"].to_pylist()
    start, end = min(days), max(days)
    rng = np.random.default_rng(7)
    rows = {"currency": [], "rate_date": [], "rate": []}
    for code, level in (("USD", 0.92), ("GBP", 1.17)):
        day, rate = start, level
        while day <= end:
            rows["currency"].append(code)
            rows["rate_date"].append(day)
            rows["rate"].append(Decimal(f"{rate:.6f}"))
            rate *= float(np.exp(rng.normal(0, 0.004)))
            day += dt.timedelta(days=1)
    rates = pa.table(rows, schema=KINDS["fx-rates"].arrow_schema)
    (target / "ledger" / "fx_rates").mkdir(parents=True, exist_ok=True)
    pq.write_table(rates, target / "ledger" / "fx_rates" / "part-0.parquet")


def _measure(data_dir: Path) -> dict:
    import json

    out = subprocess.run(
        [sys.executable, str(HERE / "bench_profitability.py"), "--child", "duckdb", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/openkam-bench"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    plain = args.data_dir / "ledger-10M"
    fx = args.data_dir / "ledger-10M-fx"
    if args.make:
        make_fx_ledger(plain, fx)
        return
    # In a process of its own: a child's peak RSS counts its parent's from before the fork.
    subprocess.run(
        [sys.executable, __file__, "--make", "--data-dir", str(args.data_dir)], check=True
    )
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, load {os.getloadavg()[0]:.1f}")
    print(
        "| ledger | wall s (best) | wall s (all) | CPU s (best run) | peak RSS | Σ net contribution |"
    )
    print("|---|---|---|---|---|---|")
    for name, path in (("10M, no foreign amounts", plain), ("10M, ⅔ of lines in USD/GBP", fx)):
        runs = [_measure(path) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        walls = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"| {name} | {best['seconds']:.2f} | "
            f"{walls} | {best['cpu']:.1f} | "
            f"{best['peak_bytes'] / 2**30:.2f} GiB | {best['total']:,.2f} |"
        )


if __name__ == "__main__":
    main()
