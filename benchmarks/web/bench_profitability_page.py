"""How fast the Profitability page, its CSV and an account page answer, on a demo's database.

    openkam demo --no-serve --accounts 10000 --lines 2000000 --data-dir /tmp/okdemo10k
    python benchmarks/web/bench_profitability_page.py --data-dir /tmp/okdemo10k [--repeat 5]

Requests go through Django's test client as the demo's champion (no network, no browser);
the cache is cleared before each URL, so the first request includes building the price-cost
matrix, the whale curve and the segments of the period, which later requests find cached.
Prints the first request and the median of the others, in seconds.
"""

from __future__ import annotations

import statistics
import time

from demo_django import demo_args

URLS = [
    "/insights/profitability/",
    "/insights/profitability/?sort=change",
    "/insights/profitability/?by=kam&quadrant=aggressive",
    "/insights/profitability/?grain=month&period=2025-12",
    "/insights/profitability/?format=csv",
    "/accounts/ACC-00001/",
]


def main() -> None:
    args = demo_args(__doc__.splitlines()[0], repeat=5)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from openkam.web.accounts.models import Account

    client = Client()
    client.force_login(get_user_model().objects.get(username="champion"))
    print(f"database: {connection.vendor}; {Account.objects.count():,} accounts")
    print("| request | first (s) | median of the rest (s) | response |")
    print("|---|---:|---:|---:|")
    for url in URLS:
        cache.clear()
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
        print(
            f"| `{url}` | {times[0]:.2f} | {statistics.median(times[1:]):.2f} "
            f"| {size / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
