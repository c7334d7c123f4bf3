"""Load test: 50 users on the demo (PostgreSQL), one command from an empty database.

One run: set up the demo on PostgreSQL in its own database (``openkam_load``; reused when
it is already there, ``--rebuild`` to start again), start ``openkam serve`` on loopback,
measure its CPU while idle, run ``locustfile.py`` headless (users pausing 1-3 s, browsing
the main pages and writing through the API), and write per-page p50/p95/p99, failures,
requests per second and the server's CPU (all its processes) to a Markdown results file
(and JSON beside it). Every process started is stopped at the end.

    # the issue's run: default demo (2,000 accounts), 50 users, 10 minutes after a minute
    # of the same traffic to warm the caches (~13 min)
    python benchmarks/load/bench_load.py --results benchmarks/load/results-main.md

    # the account list and account page at 100,000 accounts (~13 min when its database
    # is already there; building the demo first takes ~25 min on 2 shared cores)
    python benchmarks/load/bench_load.py --accounts 100000 --mix accounts \
        --results benchmarks/load/results-100k.md

    # a short check
    python benchmarks/load/bench_load.py --users 10 --duration 60s --idle 10 --warmup 20

``--workers N --threads M`` serve with another layout than ``openkam serve``'s default (two
processes per core, one thread each), to compare layouts.
``--servers gunicorn,waitress`` also measures the previous server (``old_server.py``: one
waitress process, 8 threads, the task worker a thread inside it) in the same run.
Bounded and loopback only: the server binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")
#: The CLI of the checkout on PYTHONPATH (not necessarily the installed one).
OPENKAM = [sys.executable, "-m", "openkam.cli"]


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its live descendants."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / TICK
    members, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in members:
                members.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in members)


def wait_up(url: str, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"server not up at {url}")


def database_url(args) -> str:
    return f"{args.postgres.rstrip('/')}/{args.database}"


def psql(args, sql: str, database: str = "postgres") -> str:
    url = f"{args.postgres.rstrip('/')}/{database}"
    out = subprocess.run(["psql", url, "-Atc", sql], capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def setup(args) -> None:
    """The demo in its own PostgreSQL database and data directory, unless both are there
    already with the wanted number of accounts (then they are reused as they are)."""
    exists = psql(args, f"select 1 from pg_database where datname = '{args.database}'") == "1"
    manifest = Path(args.data_dir) / "demo" / "manifest.json"
    if exists and manifest.is_file() and not args.rebuild:
        n = psql(args, "select count(*) from accounts_account", args.database)
        if n == str(args.accounts):
            print(f"reusing the demo in {args.database} and {args.data_dir} ({n} accounts)")
            return
    if exists:
        psql(args, f'drop database "{args.database}" with (force)')
    psql(args, f'create database "{args.database}"')
    print(f"building the demo ({args.accounts:,} accounts) in {args.database} …", flush=True)
    t0 = time.time()
    subprocess.run(
        [
            *OPENKAM,
            "demo",
            "--no-serve",
            "--force",
            "--accounts",
            str(args.accounts),
            "--lines",
            str(args.lines),
            "--data-dir",
            args.data_dir,
        ],
        env=dict(os.environ, OPENKAM_DATABASE_URL=database_url(args)),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo built in {time.time() - t0:.0f} s", flush=True)


def environment(args) -> dict:
    return dict(os.environ, OPENKAM_DATA_DIR=args.data_dir, OPENKAM_DATABASE_URL=database_url(args))


def start(kind: str, args) -> subprocess.Popen:
    if kind == "gunicorn":
        cmd = [*OPENKAM, "serve", "--data-dir", args.data_dir, "--port", str(args.port)]
        # The server's own layout unless asked otherwise (to compare layouts).
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
    else:
        cmd = [sys.executable, str(HERE / "old_server.py"), args.data_dir, str(args.port)]
    return subprocess.Popen(
        cmd, env=environment(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def accounts(args, n: int = 500) -> list[list]:
    """A random sample of ``[account_id, name, pk]`` for the users to visit."""
    code = (
        "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','openkam.web.settings');"
        "django.setup();from openkam.web.accounts.models import Account;"
        "import json;rows=Account.objects.order_by('?').values_list('account_id','name','pk')"
        f"[:{n}];print(json.dumps([list(r) for r in rows]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(args),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def sign_in(base: str, username: str, password: str) -> tuple[str, str]:
    """One session cookie (through the login form) and one API token for every user."""
    import re

    import requests

    s = requests.Session()
    page = s.get(f"{base}/login/", timeout=120)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    s.post(
        f"{base}/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"},
        timeout=120,
    )
    api = requests.post(
        f"{base}/api/token/", {"username": username, "password": password}, timeout=120
    ).json()["token"]
    return s.cookies["sessionid"], api


def locust(args, base: str, env: dict, duration: str, *options: str) -> None:
    """Run locustfile.py headless against ``base`` for ``duration`` with the run's users."""
    subprocess.run(
        [
            "locust",
            "-f",
            str(HERE / "locustfile.py"),
            "--host",
            base,
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            duration,
            "--only-summary",
            *options,
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(kind: str, args, ids: list[str]) -> dict:
    server = start(kind, args)
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_up(f"{base}/health/")
        time.sleep(5)  # let the workers finish booting
        session, token = sign_in(base, args.user, args.password)
        before, t0 = tree_cpu_seconds(server.pid), time.time()
        time.sleep(args.idle)
        idle = (tree_cpu_seconds(server.pid) - before) / (time.time() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "stats"
            env = dict(
                os.environ,
                OPENKAM_BENCH_ACCOUNTS=json.dumps(ids),
                OPENKAM_BENCH_SESSION=session,
                OPENKAM_BENCH_TOKEN=token,
                OPENKAM_BENCH_MIX=args.mix,
            )
            if args.warmup > 0:
                # The same traffic first, not recorded: each web worker fills its caches
                # (the current runs, each year's profitability matrix and product mix) on
                # its first pages; the figures are those of the server warmed up.
                locust(args, base, env, f"{args.warmup:.0f}s", "--loglevel", "ERROR")
            load_before = os.getloadavg()[0]
            before, t0 = tree_cpu_seconds(server.pid), time.time()
            locust(
                args,
                base,
                env,
                args.duration,
                "--csv",
                str(prefix),
                # Figures from the moment every user is in (ramp-up left out).
                "--reset-stats",
                "--loglevel",
                "WARNING",
            )
            busy = (tree_cpu_seconds(server.pid) - before) / (time.time() - t0)
            with open(f"{prefix}_stats.csv") as f:
                rows = list(csv.DictReader(f))
            failures = Path(f"{prefix}_failures.csv")
            errors = list(csv.DictReader(failures.open())) if failures.is_file() else []
        return {
            "server": kind,
            "idle_cpu": idle,
            "busy_cpu": busy,
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
            "rows": rows,
            "errors": errors,
        }
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def _ms(value: str) -> str:
    try:
        return f"{float(value):.0f}"
    except ValueError:
        return value


def table(result: dict, goal: dict[str, float]) -> str:
    lines = [
        f"**{result['server']}** — server CPU idle {result['idle_cpu'] * 100:.1f} % of a core, "
        f"under load {result['busy_cpu'] * 100:.0f} % (all its processes); load average "
        f"{result['load_before']:.1f} at the start of the run, {result['load_after']:.1f} at "
        "its end",
        "",
        "| request | requests | failures | p50 ms | p95 ms | p99 ms | req/s | p95 goal ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        name = r["Name"]
        target = goal.get(name, goal.get("*")) if name != "Aggregated" else None
        met = ""
        if target is not None:
            p95 = float(r["95%"]) if r["95%"] not in ("", "N/A") else float("inf")
            met = f"{target:.0f} {'met' if p95 <= target else 'NOT met'}"
        lines.append(
            f"| {name} | {r['Request Count']} | {r['Failure Count']} | {_ms(r['50%'])} | "
            f"{_ms(r['95%'])} | {_ms(r['99%'])} | {float(r['Requests/s']):.1f} | {met} |"
        )
    for e in result["errors"]:
        lines.append(
            f"\nerror: {e.get('Method')} {e.get('Name')}: {e.get('Error')} × {e.get('Occurrences')}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="[default: /tmp/openkam-load-<accounts>]")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("OPENKAM_LOAD_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (without a database name)",
    )
    parser.add_argument("--database", help="[default: openkam_load, openkam_load_100k …]")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build the demo again")
    parser.add_argument(
        "--mix",
        choices=["main", "accounts"],
        default="main",
        help="main: every main page and API writes; accounts: the account list and pages",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="10m")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle CPU sampling")
    parser.add_argument(
        "--warmup", type=float, default=60, help="seconds of the same traffic, not recorded"
    )
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--servers", default="gunicorn")
    parser.add_argument("--workers", type=int, help="web processes [default: openkam serve's]")
    parser.add_argument("--threads", type=int, help="threads each [default: openkam serve's]")
    parser.add_argument("--user", default="champion")
    parser.add_argument("--password", default="openkam-demo")
    parser.add_argument("--results", help="write the results here (Markdown; JSON beside it)")
    args = parser.parse_args()
    suffix = "" if args.accounts == 2000 else f"_{args.accounts // 1000}k"
    args.database = args.database or f"openkam_load{suffix}"
    args.data_dir = args.data_dir or f"/tmp/openkam-load{suffix.replace('_', '-')}"
    setup(args)
    ids = accounts(args)
    load = os.getloadavg()
    # The goals: p95 <= 300 ms on every page; the account list and the account page
    # <= 100 ms at 100,000 accounts.
    goal = {"*": 300.0}
    if args.accounts >= 100_000:
        goal.update(
            {
                "account list": 100.0,
                "account list (search)": 100.0,
                "account list (deep page)": 100.0,
                "account page": 100.0,
            }
        )
    from openkam.cli import serve

    layout = (
        f"{args.workers or serve.default_workers()} processes × "
        f"{args.threads or serve.THREADS} thread{'s' if (args.threads or serve.THREADS) != 1 else ''}"
    )
    header = (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{os.cpu_count()} cores, load average at start {load[0]:.1f}; {args.users} users "
        f"(pausing 1-3 s) for {args.duration} after {args.warmup:.0f} s of warm-up, mix "
        f"'{args.mix}', demo of {args.accounts:,} "
        f"accounts and {args.lines:,} invoice lines on PostgreSQL ({args.database}); "
        f"gunicorn {layout}\n"
    )
    print(header, flush=True)
    results, text = [], [header]
    for kind in args.servers.split(","):
        result = run(kind, args, ids)
        results.append(result)
        text.append(table(result, goal) + "\n")
        print(text[-1], flush=True)
    if args.results:
        Path(args.results).write_text("\n".join(text))
        Path(args.results).with_suffix(".json").write_text(
            json.dumps({"header": header, "results": results}, indent=1)
        )
        print(f"written to {args.results}")


if __name__ == "__main__":
    main()
