"""CPU per page, one request at a time, in-process: what each page costs the server.

The load test (bench_load.py) shows whether 50 users are served in time; this shows where
the server's CPU goes. It signs in as the champion with Django's test client on the demo
that bench_load.py set up (PostgreSQL, ``openkam_load``), asks each main page a few times to
warm it, then ``--requests`` times (random accounts, the same seed every run) and prints
the CPU time (all the process's threads) and wall time per request.

    python benchmarks/load/page_cpu.py                      # the default demo
    python benchmarks/load/page_cpu.py --notes-edits        # an account's notes edited
                                                            # before each request, as the
                                                            # load test's API writes do
    python benchmarks/load/page_cpu.py --data-dir /tmp/openkam-load-100k \\
        --database openkam_load_100k

Reads the database and the ledger; ``--notes-edits`` bumps accounts' versions (a benchmark
database only).
"""

from __future__ import annotations

import argparse
import os
import random
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/openkam-load")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/openkam_load")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--notes-edits", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openkam.web.settings")
    os.environ["OPENKAM_DATA_DIR"] = args.data_dir
    if "://" not in args.database:
        args.database = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    os.environ["OPENKAM_DATABASE_URL"] = args.database
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.test import Client
    from django.utils import timezone

    from openkam.web.accounts.models import Account

    settings.ALLOWED_HOSTS = ["*"]
    ids = list(Account.objects.order_by("account_id").values_list("account_id", flat=True)[:200])
    client = Client()
    client.force_login(get_user_model().objects.get(username="champion"))
    pages = {
        "home": lambda: "/",
        "account list": lambda: f"/accounts/?page={random.randint(1, 20)}",
        "account list (search)": lambda: f"/accounts/?q={random.randint(0, 9)}",
        "account page": lambda: f"/accounts/{random.choice(ids)}/",
        "profitability": lambda: "/insights/profitability/",
        "lifetime value": lambda: "/insights/clv/",
        "selection": lambda: "/selection/",
        "plans": lambda: "/plans/",
        "relationship map": lambda: f"/relationships/{random.choice(ids)}/",
        "people": lambda: "/people/",
        "api read": lambda: f"/api/accounts/{random.choice(ids)}/",
    }
    random.seed(1)
    print(f"{'page':24s} {'CPU ms':>8s} {'wall ms':>8s}  (per request, {args.requests} requests)")
    for name, url in pages.items():
        for _ in range(3):
            response = client.get(url())
            assert response.status_code == 200, (name, response.status_code)
        cpu = wall = 0.0
        for _ in range(args.requests):
            if args.notes_edits:
                # What the load test's API write does to the data: a version and a save.
                Account.objects.filter(account_id=random.choice(ids)).update(
                    version=F("version") + 1, updated=timezone.now()
                )
            target = url()
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(target)
            cpu += time.process_time() - c0
            wall += time.perf_counter() - w0
        n = args.requests
        print(f"{name:24s} {1000 * cpu / n:8.1f} {1000 * wall / n:8.1f}", flush=True)


if __name__ == "__main__":
    main()
