"""Inserting many plain rows at once, for the results of recomputations.

``bulk_create`` builds a model instance per row and prepares it field by field through the
ORM: for the 60,000 figure rows of one profitability recompute that took 80 % of the run.
Here each value is still prepared by its own field (``get_db_prep_save``, so decimals, JSON
and booleans reach the database exactly as the ORM would write them), but rows go to the
driver's ``executemany`` as plain tuples: no instances, no signals, no primary keys back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice

from django.db import connections, models, router


def bulk_insert(model: type[models.Model], rows: Iterable[Mapping], batch_size: int = 5000) -> int:
    """Insert ``rows`` (``{field attname: value}``; missing fields take their default).

    Returns the number of rows inserted. Meant for results written in one transaction with
    the run they belong to; nothing else (save(), signals, auto_now) is run.
    """
    connection = connections[router.db_for_write(model)]
    # Every column but the auto-incremented key, which the database fills in.
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    defaults = {f.attname: f.get_default() for f in fields}
    rows = iter(rows)
    inserted = 0
    with connection.cursor() as cursor:
        while batch := list(islice(rows, batch_size)):
            cursor.executemany(
                sql,
                [
                    [
                        f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                        for f in fields
                    ]
                    for row in batch
                ],
            )
            inserted += len(batch)
    return inserted
