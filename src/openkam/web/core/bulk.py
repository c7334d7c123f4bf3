"""Inserting many plain rows at once, for the results of recomputations.

``bulk_create`` builds a model instance per row and prepares it field by field through the
ORM: for the 60,000 figure rows of one profitability recompute that took 80 % of the run.
Here rows go to the database as plain tuples: no instances, no signals, no primary keys
back. Each value is prepared by its own field (``get_db_prep_save``, so JSON and dates reach
the database exactly as the ORM would write them), except values that are already what the
driver takes for that field (a ``Decimal`` for a decimal field, a ``str`` for a text field,
an ``int``, a ``bool``, ``None``), for which that preparation is the identity and was half of
the time spent here. On PostgreSQL the rows are streamed with ``COPY``, several times faster
than batched ``INSERT``s; elsewhere they go to the driver's ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import islice

from django.db import connections, models, router, transaction

#: Field classes whose preparation leaves a value of these exact types as it is (integer
#: fields include the auto fields that foreign keys point to).
_AS_IS = (
    (models.DecimalField, (Decimal,)),
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),
)


def bulk_insert(model: type[models.Model], rows: Iterable[Mapping], batch_size: int = 5000) -> int:
    """Insert ``rows`` (``{field attname: value}``; missing fields take their default).

    Returns the number of rows inserted. Meant for results written in one transaction with
    the run they belong to; nothing else (save(), signals, auto_now) is run.
    """
    connection = connections[router.db_for_write(model)]
    # Every column but the auto-incremented key, which the database fills in.
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    preparers = [_preparer(f, connection) for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]

    def prepared(row: Mapping) -> list:
        return [
            prepare(row.get(name, defaults[name]))
            for prepare, name in zip(preparers, names, strict=True)
        ]

    rows = iter(rows)
    inserted = 0
    with connection.cursor() as cursor:
        # psycopg 3 streams COPY (psycopg2, without ``copy``, takes the INSERT path below).
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    inserted += 1
            analyze_after_commit(model, inserted)
            return inserted
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        while batch := list(islice(rows, batch_size)):
            cursor.executemany(sql, [prepared(row) for row in batch])
            inserted += len(batch)
    return inserted


def _kept_types(field: models.Field) -> tuple[type, ...]:
    if isinstance(field, models.ForeignKey):
        return _kept_types(field.target_field)  # an id is prepared as the key it points to
    return next((types for cls, types in _AS_IS if isinstance(field, cls)), ())


def _preparer(field: models.Field, connection) -> Callable:
    """The preparation of one field's values: as they are where it changes nothing."""
    kept = _kept_types(field)

    def prepare(value):
        if value is None or type(value) in kept:
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


#: Values per ``IN (…)`` list: SQLite takes at most 32,766 parameters in one statement.
IN_CHUNK = 10_000


def rows_in(queryset: models.QuerySet, lookup: str, values: Iterable) -> list:
    """The rows of ``queryset`` whose ``lookup`` (e.g. ``account_id`` or ``person``) is one of
    ``values``, asked in chunks: an import of 100,000 accounts would otherwise put 100,000
    parameters in one statement, past SQLite's limit."""
    values = list(values)
    found: list = []
    for start in range(0, len(values), IN_CHUNK):
        found.extend(queryset.filter(**{f"{lookup}__in": values[start : start + IN_CHUNK]}))
    return found


#: Rows written at once after which PostgreSQL's statistics of the table are refreshed.
ANALYZE_AFTER_ROWS = 1000


def analyze_after_commit(model: type[models.Model], rows: int) -> None:
    """Refresh PostgreSQL's planner statistics of ``model``'s table once the transaction
    that wrote ``rows`` rows commits (at once outside a transaction), when they are many.

    The planner picks its plans from these statistics. Autovacuum refreshes them in its own
    time, and is sometimes turned off. After a bulk load, stale statistics made it read
    100,000 accounts in full to show the 50 of a page (184 ms instead of 2). The
    PostgreSQL manual advises exactly this after loading data ("Populating a Database:
    Run ANALYZE Afterwards"). A few hundred milliseconds for a table of a million rows,
    on the import or the task worker; SQLite plans without such statistics.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or rows < ANALYZE_AFTER_ROWS:
        return
    table = connection.ops.quote_name(model._meta.db_table)

    def analyze() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")

    transaction.on_commit(analyze, using=connection.alias)


def analyze_database(using: str = "default") -> None:
    """Refresh PostgreSQL's planner statistics of every table (after the demo has loaded
    its hundreds of thousands of rows; see :func:`analyze_after_commit`)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
