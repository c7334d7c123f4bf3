"""How fast the account list answers with 100,000 accounts (search, filter, sort, deep page).

Peer, measured in the same run on the same database: Django's admin change list for the same
model with the same search — the page most Django projects start from.

    python benchmarks/web/bench_account_list.py [--accounts 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    os.environ["OPENKAM_DATA_DIR"] = tempfile.mkdtemp(prefix="openkam-bench-list-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "openkam.web.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from openkam.web.accounts.models import Account
    from openkam.web.people.models import Person

    call_command("migrate", verbosity=0)
    kams = [
        Person.objects.create(person_id=f"K{i}", name=f"KAM {i}", role="kam") for i in range(40)
    ]
    industries = ["automotive", "chemicals", "food", "retail", "energy", "healthcare"]
    regions = ["EMEA", "Americas", "APAC"]
    t0 = time.perf_counter()
    Account.objects.bulk_create(
        (
            Account(
                account_id=f"ACC{i:06d}",
                name=f"Customer {i:06d} {industries[i % 6].title()} Ltd",
                industry=industries[i % 6],
                region=regions[i % 3],
                kam=kams[i % 40] if i % 50 == 0 else None,
            )
            for i in range(args.accounts)
        ),
        batch_size=5000,
    )
    print(f"created {args.accounts:,} accounts in {time.perf_counter() - t0:.1f} s")
    admin = get_user_model().objects.create_superuser("bench", password="bench-pass-1")
    client = Client()
    client.force_login(admin)

    cases = {
        "first page": "/accounts/",
        "search 'customer 0421'": "/accounts/?q=customer+0421",
        "filter industry+region": "/accounts/?industry=food&region=EMEA",
        "filter by KAM": "/accounts/?kam=K7",
        "sort by region desc": "/accounts/?sort=-region",
        "page 1,000": "/accounts/?page=1000",
    }
    peer = {
        "first page": "/admin/accounts/account/",
        "search 'customer 0421'": "/admin/accounts/account/?q=customer+0421",
        "filter industry+region": "/admin/accounts/account/?industry__exact=food&region__exact=EMEA",
        "filter by KAM": "/admin/accounts/account/?kam__id__exact=8",
        "sort by region desc": "/admin/accounts/account/?o=-4",
        "page 1,000": "/admin/accounts/account/?p=1000",
    }

    def timed(url: str) -> float:
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        return statistics.median(samples)

    print(f"\n| request | OpenKAM list (ms, median of {args.repeat}) | Django admin (ms) |")
    print("|---|---:|---:|")
    for name, url in cases.items():
        ours = timed(url)
        theirs = timed(peer[name])
        print(f"| {name} | {ours:.1f} | {theirs:.1f} |")


if __name__ == "__main__":
    main()
