"""How fast a profitability recompute stores its figures (every account × year, quarter and
month, and the pool periods), on the database of a demo data directory.

Peer, measured in the same run on the same rows: Django's ``bulk_create`` (batches of 5,000),
what a Django project writes first. Each store runs in a transaction that is rolled back.

    openkam demo --no-serve --data-dir /tmp/okdemo          # SQLite, or with
    OPENKAM_DATABASE_URL=postgresql://… openkam demo --no-serve --data-dir /tmp/okdemo-pg
    python benchmarks/web/bench_store_figures.py --data-dir /tmp/okdemo [--repeat 3]

(set ``OPENKAM_DATABASE_URL`` for the benchmark too when the demo was loaded into PostgreSQL).
"""

from __future__ import annotations

import time

from demo_django import demo_args


def main() -> None:
    args = demo_args(__doc__.splitlines()[0], repeat=3)
    from django.db import connection, transaction

    from openkam.web.core.models import Computation
    from openkam.web.profitability import services as profitability
    from openkam.web.profitability.models import AccountPeriodFigures, PoolPeriodFigures
    from openkam.web.profitability.services import settings_params

    result = profitability.compute(settings_params())

    def ours(run):
        profitability.store(run, result)

    def django_bulk_create(run):
        # The same rows as store() writes, through model instances.
        captured = {}

        def capture(model, rows):
            captured.setdefault(model, []).extend(rows)

        original = profitability.bulk_insert
        profitability.bulk_insert = capture
        try:
            profitability.store(run, result)
        finally:
            profitability.bulk_insert = original
        for model in (AccountPeriodFigures, PoolPeriodFigures):
            model.objects.bulk_create((model(**row) for row in captured[model]), batch_size=5000)

    rows = sum(result[g].waterfall.num_rows for g in profitability.GRAINS)
    pools = result["year"].pools.num_rows
    print(f"database: {connection.vendor}; {rows:,} figure rows + {pools} pool rows")
    for name, store in (("bulk_insert", ours), ("Django bulk_create", django_bulk_create)):
        times = []
        for _ in range(args.repeat):
            with transaction.atomic():
                run = Computation.objects.create(kind="profitability", params={})
                start = time.perf_counter()
                store(run)
                times.append(time.perf_counter() - start)
                transaction.set_rollback(True)
        print(f"{name}: best {min(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
