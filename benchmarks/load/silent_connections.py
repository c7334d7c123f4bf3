"""How long a new request waits while connections that send nothing are open.

A browser's speculative preconnect, a stalled client or a port scan opens a connection and
sends nothing. Each one is given to a web thread, which waits ``FIRST_BYTES_WAIT`` (10 ms)
before handing it back to its worker's poller (``openkam.cli.serve``). This opens N such
connections to a running server, then times a request on a fresh connection, the way a
new visitor's first request arrives.

    openkam serve --port 8000 &                  # the server to measure
    python benchmarks/load/silent_connections.py --url http://127.0.0.1:8000/health/ \\
        --open 0 150 900

Loopback only; the connections are closed at the end of each step.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time
from urllib.parse import urlsplit

import requests


def timed_request(url: str) -> float:
    """Seconds for one GET on a new connection."""
    start = time.perf_counter()
    response = requests.get(url, timeout=60, headers={"Connection": "close"})
    response.raise_for_status()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/health/")
    parser.add_argument("--open", type=int, nargs="+", default=[0, 150, 900])
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only")
    for n in args.open:
        silent = [socket.create_connection((parts.hostname, parts.port or 80)) for _ in range(n)]
        try:
            time.sleep(1)  # every silent connection has reached a worker
            times = [timed_request(args.url) for _ in range(args.requests)]
        finally:
            for s in silent:
                s.close()
        print(
            f"{n:5d} silent connections open: a new request answered in "
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
        )
        time.sleep(2)


if __name__ == "__main__":
    main()
