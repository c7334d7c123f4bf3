"""How long `openkam demo --no-serve` takes, end to end, and its peak memory.

End to end means: generate the supplier (streamed to Parquet), load accounts, contacts and
people into the database, and compute every account's profitability and lifetime value, as a
user runs it. Each size runs in a fresh process and data directory.

    python benchmarks/demo/bench_demo.py --lines 1e6 1e7 [1e8] [--keep]

Peer, in the same run: writing the same number of invoice lines with pandas
(`DataFrame.to_parquet`, the whole table in memory), the way a one-off script would.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GiB) of a command.

    A fresh measuring process per command: RUSAGE_CHILDREN keeps the largest child ever seen.
    """
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd],
        check=True,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024**2


PANDAS_PEER = """
import sys, numpy as np, pandas as pd
n = int(sys.argv[1]); rng = np.random.default_rng(1)
df = pd.DataFrame({
    "invoice_id": pd.array(["INV-%010d" % i for i in rng.integers(0, n // 8, n)], dtype="string"),
    "line_no": rng.integers(1, 9, n, dtype=np.int32),
    "invoice_date": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 1095, n), unit="D"),
    "account_id": pd.array(["ACC-%05d" % i for i in rng.integers(0, 2000, n)], dtype="string"),
    "product_id": pd.array(["P-%04d" % i for i in rng.integers(0, 300, n)], dtype="string"),
    "quantity": rng.integers(1, 100, n).astype(float),
    "unit_list_price": rng.gamma(2.0, 50.0, n).round(4),
    "discount_amount": rng.gamma(1.0, 5.0, n).round(2),
    "cogs_amount": rng.gamma(2.0, 30.0, n).round(2),
})
df.to_parquet(sys.argv[2])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print(
        "| invoice lines | openkam demo --no-serve (s) | peak RSS (GiB) | pandas peer: write lines (s) | peer peak RSS (GiB) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for lines in sorted(int(n) for n in args.lines):
        folder = tempfile.mkdtemp(prefix=f"openkam-demo-{lines}-")
        env = {**os.environ, "OPENKAM_DATA_DIR": folder}
        ours = run(
            [
                sys.executable,
                "-m",
                "openkam.cli.__main__",
                "demo",
                "--no-serve",
                "--lines",
                str(lines),
            ],
            env,
        )
        peer = ("—", "—")
        if lines <= 10_000_000:
            out = os.path.join(folder, "peer.parquet")
            s, m = run([sys.executable, "-c", PANDAS_PEER, str(lines), out])
            peer = (f"{s:.1f}", f"{m:.2f}")
        print(f"| {lines:,} | {ours[0]:.1f} | {ours[1]:.2f} | {peer[0]} | {peer[1]} |", flush=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
