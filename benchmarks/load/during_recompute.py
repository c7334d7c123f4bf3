"""Page latency while a recomputation or a selection review runs, against the idle server.

Background work runs in the task worker, its own process at CPU priority nice 10, never on
a request thread (``openkam.cli.serve``). This measures what users feel while it runs: on
the load test's demo (``bench_load.py`` builds it when missing), ``openkam serve`` on
loopback, ``--users`` people browse the main pages with 1–3 s pauses. First
``--idle-seconds`` with nothing running, then ``--repeat`` profitability recomputations,
lifetime value recomputations and selection reviews, each started through the API once
the one before is done; the pages asked while runs of a kind are running make one phase
(the ``--between`` seconds after each run, when pages first show its results, are left
out). Prints p50 and p95 per phase and their ratio to idle (the issue's goal: within 2×).

    python benchmarks/load/during_recompute.py [--users 50] [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_load  # noqa: E402  (the load test's set-up, server and sign-in)

#: What the users ask: the main pages, account pages at random.
PAGES = ["/", "/accounts/", "/insights/profitability/", "/insights/clv/", "/selection/", "/plans/"]
#: The background work measured, in order: (phase, API path, body).
WORK = [
    ("profitability recomputation", "/api/profitability/recompute/", {}),
    ("lifetime value recomputation", "/api/clv/recompute/", {}),
    ("selection review", "/api/selection/reviews/", {"label": "during_recompute.py"}),
]


class Users:
    """``n`` threads browsing with pauses; each answer's time goes to the current phase."""

    def __init__(self, base: str, session: str, accounts: list[str], n: int):
        self.base, self.session, self.accounts = base, session, accounts
        self.phase = "warm-up"
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._browse, daemon=True) for _ in range(n)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)

    def _browse(self) -> None:
        client = requests.Session()
        client.cookies.set("sessionid", self.session)
        while not self._stop.is_set():
            path = random.choice([*PAGES, "account"])
            if path == "account":
                path = f"/accounts/{random.choice(self.accounts)}/"
            phase, start = self.phase, time.perf_counter()
            try:
                response = client.get(self.base + path, timeout=60)
                ok = response.status_code == 200
            except requests.RequestException as exc:
                ok, response = False, exc
            took = time.perf_counter() - start
            with self._lock:
                if ok and phase == self.phase:  # not an answer that straddled two phases
                    self.times.setdefault(phase, []).append(took)
                elif not ok:
                    self.errors.append(f"{path}: {response}")
            self._stop.wait(random.uniform(1, 3))


def wait_for_run(base: str, token: str, run_id: int, timeout: float = 900) -> dict:
    headers = {"Authorization": f"Token {token}"}
    end = time.time() + timeout
    while time.time() < end:
        run = requests.get(f"{base}/api/runs/{run_id}/", headers=headers, timeout=60).json()
        if run["status"] in ("done", "failed"):
            return run
        time.sleep(0.5)
    raise RuntimeError(f"run {run_id} not done after {timeout:.0f} s")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def summary(times: dict[str, list[float]]) -> dict[str, dict]:
    """Per phase: pages answered and their p50, p95 and p99 in ms."""
    return {
        phase: {"pages": len(t), **{f"p{q}": percentile(t, q) * 1000 for q in (50, 95, 99)}}
        for phase, t in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each kind")
    parser.add_argument(
        "--between", type=float, default=15, help="seconds after each run, not recorded"
    )
    parser.add_argument("--idle-seconds", type=float, default=90)
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--results", help="write the table here (Markdown; JSON beside it)")
    args = parser.parse_args()
    # The load test's demo and server, with its defaults.
    load_args = argparse.Namespace(
        postgres="postgresql://postgres@127.0.0.1:5432",
        database="openkam_load",
        data_dir="/tmp/openkam-load",
        accounts=2000,
        lines=1_000_000,
        rebuild=False,
        port=args.port,
        workers=None,
        threads=None,
    )
    bench_load.setup(load_args)
    accounts = [a[0] for a in bench_load.accounts(load_args, 200)]
    server = bench_load.start("gunicorn", load_args)
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    try:
        bench_load.wait_up(f"{base}/health/")
        time.sleep(5)
        session, token = bench_load.sign_in(base, "champion", "openkam-demo")
        users = Users(base, session, accounts, args.users)
        users.start()
        time.sleep(args.warmup)  # every worker has filled its caches
        users.phase = "idle"
        time.sleep(args.idle_seconds)
        for phase, path, body in WORK:
            statuses, seconds = [], []
            for _ in range(args.repeat):
                users.phase = phase
                started = time.time()
                response = requests.post(
                    base + path, json=body, headers={"Authorization": f"Token {token}"}, timeout=60
                )
                response.raise_for_status()
                run = wait_for_run(base, token, response.json()["id"])
                statuses.append(run["status"])
                seconds.append(time.time() - started)
                # What follows a finished run (the first views of its results) is not part
                # of it.
                users.phase = f"after {phase}"
                time.sleep(args.between)
            rows.append((phase, statuses, seconds))
        users.stop()
    finally:
        server.terminate()
        server.wait(30)
    idle = users.times.get("idle", [])
    idle_p95 = percentile(idle, 95)
    lines = [
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.users} users pausing "
        f"1-3 s on the load test's demo ({load_args.database}); errors: {len(users.errors)}",
        "",
        "| phase | background run | pages | p50 ms | p95 ms | p95 ÷ idle p95 |",
        "|---|---|---:|---:|---:|---:|",
        f"| idle | — | {len(idle)} | {percentile(idle, 50) * 1000:.0f} | "
        f"{idle_p95 * 1000:.0f} | 1.0 |",
    ]
    for phase, statuses, seconds in rows:
        times = users.times.get(phase, [])
        p95 = percentile(times, 95)
        done = f"{statuses.count('done')} of {len(statuses)} done"
        lines.append(
            f"| during the {phase} | {done}, {min(seconds):.0f}–{max(seconds):.0f} s each | "
            f"{len(times)} | "
            f"{percentile(times, 50) * 1000:.0f} | {p95 * 1000:.0f} | "
            f"{p95 / idle_p95 if idle_p95 else 0:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    for error in users.errors[:10]:
        print("error:", error)
    if args.results:
        Path(args.results).write_text(text + "\n")
        Path(args.results).with_suffix(".json").write_text(
            json.dumps({"runs": rows, "phases": summary(users.times), "errors": users.errors})
        )


if __name__ == "__main__":
    main()
