"""Benchmark: BG/NBD and Pareto/NBD fits on 100k and 1M-customer summaries.

Summaries are drawn from the models' generative processes (openkam.engine.clv.simulate)
with the CDNOW estimates as true parameters and a CDNOW-like cohort: first purchases
spread over the first 12 weeks, observed to the end of week 39, in whole days. The same
summaries are fitted by OpenKAM and by the peer, the `lifetimes` package (0.11.3), which
runs in its own virtualenv (benchmarks/clv/requirements-peer.txt) through a subprocess.

Run (see README.md):

    python benchmarks/clv/bench_fit.py --peer-python /tmp/bench-venv/bin/python
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from openkam.engine.clv import BetaGeoModel, ParetoNBDModel, simulate_bgnbd, simulate_pareto_nbd

TRUTH = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pnbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}

PEER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
from lifetimes import BetaGeoFitter, ParetoNBDFitter
model, path, weighted = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
d = np.load(path)
x, t_x, T = d["frequency"].astype(float), d["recency"], d["T"]
weights = None
if weighted:
    keys, weights = np.unique(np.stack([x, t_x, T], axis=1), axis=0, return_counts=True)
    x, t_x, T = keys[:, 0], keys[:, 1], keys[:, 2]
fitter = BetaGeoFitter() if model == "bgnbd" else ParetoNBDFitter()
start, cpu = time.perf_counter(), time.process_time()
fitter.fit(x, t_x, T, weights=weights)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "params": {k: float(v) for k, v in fitter.params_.items()}}))
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024**2:.0f} GiB"
    except OSError:
        mem = "?"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}"


def cohort_ages(n: int, rng: np.random.Generator) -> np.ndarray:
    # First purchase on one of the first 84 days of the year, observed to day 273 (week 39).
    return (272 - rng.integers(0, 84, n)) / 7


def run_ours(model: str, summary, repeats: int) -> dict:
    cls = BetaGeoModel if model == "bgnbd" else ParetoNBDModel
    times, cpu_times, result = [], [], None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = cls().fit(summary, time_unit="week")
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    return {
        "seconds": min(times),
        "cpu_seconds": min(cpu_times),
        "all_seconds": times,
        "params": result.params,
        "converged": result.converged,
    }


def run_peer(python: str, model: str, path: Path, weighted: bool, timeout: float) -> dict:
    try:
        proc = subprocess.run(
            [python, "-c", PEER_SCRIPT, model, str(path), "1" if weighted else "0"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "error": f"did not finish in {timeout:.0f} s"}
    except subprocess.CalledProcessError as err:
        return {"seconds": None, "error": err.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--peer-python", default="/tmp/bench-venv/bin/python")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--peer-pnbd-max",
        type=int,
        default=100_000,
        help="largest size the peer Pareto/NBD runs on",
    )
    parser.add_argument("--peer-timeout", type=float, default=900.0)
    parser.add_argument("--repeats", type=int, default=3, help="OpenKAM fits per case (best kept)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            T = cohort_ages(n, rng)
            for model, simulate in (("bgnbd", simulate_bgnbd), ("pnbd", simulate_pareto_nbd)):
                summary = simulate(
                    TRUTH[model], T, seed=int(rng.integers(1 << 31)), resolution=1 / 7
                )
                path = Path(tmp) / f"{model}-{n}.npz"
                np.savez(
                    path, **{c: summary.column(c).to_numpy() for c in ("frequency", "recency", "T")}
                )
                ours = run_ours(model, summary, args.repeats)
                row = {"model": model, "customers": n, "openkam": ours}
                print(
                    f"{model} n={n}: OpenKAM {ours['seconds']:.2f} s "
                    f"(CPU {ours['cpu_seconds']:.2f} s), load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                peer_ok = not args.no_peer and (model == "bgnbd" or n <= args.peer_pnbd_max)
                if peer_ok:
                    for weighted in (False, True):
                        key = "lifetimes_weighted" if weighted else "lifetimes"
                        row[key] = run_peer(
                            args.peer_python, model, path, weighted, args.peer_timeout
                        )
                        s = row[key].get("seconds")
                        ratio = f" ({s / ours['seconds']:.0f}x)" if s else ""
                        shown = (
                            f"{s:.2f} s (CPU {row[key]['cpu_seconds']:.2f} s)"
                            if s
                            else row[key]["error"]
                        )
                        print(f"  {key}: {shown}{ratio}", flush=True)
                rows.append(row)
    report = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "load_average_at_end": os.getloadavg(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "results": rows,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
