"""Load test: 50 users on the demo (PostgreSQL), the production server against the previous one.

For each server, in the same run on the same data: start it on loopback, measure its CPU
while idle, run ``locustfile.py`` headless (users pausing 1-3 s, browsing the main pages
and writing through the API), and record per-page p50/p95, requests per second, errors and
the server's CPU (all its processes). Servers:

* ``gunicorn`` — ``openkam serve`` as shipped: one gunicorn process per core × 4 threads,
  the task worker in its own niced process;
* ``waitress`` — the previous ``openkam serve``: one waitress process, 8 threads, the task
  worker as a thread inside it (``old_server.py``).

Bounded and loopback only: the users, spawn rate and duration are arguments, the server
binds 127.0.0.1, and every process started is stopped at the end.

    OPENKAM_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/demo \\
    python benchmarks/load/bench_load.py --data-dir /tmp/demo --users 50 --duration 3m
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
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


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


def start(kind: str, data_dir: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, OPENKAM_DATA_DIR=data_dir)
    if kind == "gunicorn":
        cmd = ["openkam", "serve", "--data-dir", data_dir, "--port", str(port)]
    else:
        cmd = [sys.executable, str(HERE / "old_server.py"), data_dir, str(port)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def accounts(data_dir: str, n: int = 200) -> list[str]:
    code = (
        "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','openkam.web.settings');"
        "django.setup();from openkam.web.accounts.models import Account;"
        f"print(','.join(Account.objects.order_by('?').values_list('account_id',flat=True)[:{n}]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, OPENKAM_DATA_DIR=data_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().split(",")


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


def run(kind: str, args, ids: list[str]) -> dict:
    server = start(kind, args.data_dir, args.port)
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
                OPENKAM_BENCH_ACCOUNTS=",".join(ids),
                OPENKAM_BENCH_SESSION=session,
                OPENKAM_BENCH_TOKEN=token,
            )
            before, t0 = tree_cpu_seconds(server.pid), time.time()
            subprocess.run(
                [
                    "locust",
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--host",
                    f"http://127.0.0.1:{args.port}",
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(args.spawn_rate),
                    "-t",
                    args.duration,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    # Figures from the moment every user is in (ramp-up left out).
                    "--reset-stats",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            busy = (tree_cpu_seconds(server.pid) - before) / (time.time() - t0)
            with open(f"{prefix}_stats.csv") as f:
                rows = list(csv.DictReader(f))
        return {"server": kind, "idle_cpu": idle, "busy_cpu": busy, "rows": rows}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def table(result: dict) -> str:
    lines = [
        f"**{result['server']}** — server CPU idle {result['idle_cpu'] * 100:.1f} % of a core, "
        f"under load {result['busy_cpu'] * 100:.0f} %",
        "",
        "| request | requests | failures | p50 ms | p95 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
            f"{float(r['50%']):.0f} | {float(r['95%']):.0f} | {float(r['Requests/s']):.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="10m")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle CPU sampling")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--servers", default="gunicorn,waitress")
    parser.add_argument("--user", default="champion")
    parser.add_argument("--password", default="openkam-demo")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    ids = accounts(args.data_dir)
    load = os.getloadavg()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{os.cpu_count()} cores, load average at start {load[0]:.1f}; "
        f"{args.users} users for {args.duration}, database "
        f"{'PostgreSQL' if os.environ.get('OPENKAM_DATABASE_URL') else 'SQLite'}\n"
    )
    results = []
    for kind in args.servers.split(","):
        result = run(kind, args, ids)
        results.append(result)
        print(table(result) + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
