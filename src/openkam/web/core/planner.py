"""Steering PostgreSQL's planner where its cost model is known to be wrong for a query."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, transaction

#: The plan kinds :func:`avoiding` can turn off (PostgreSQL's ``enable_*`` settings).
PLANS = {"seqscan", "indexscan"}


@contextmanager
def avoiding(*plans: str, using: str = "default"):
    """Within the block, PostgreSQL uses the ``plans`` named (``seqscan``: reading a table
    in full; ``indexscan``: walking an index in order) only where nothing else can answer.
    The settings are put back when the block ends; other databases run the block as it
    is.

    Two cases on the account list at 100,000 accounts, where the planner's estimates are
    off by an order of magnitude:

    - a word searched in the names (``UPPER(name) LIKE '%OIL%'``, a trigram index on
      ``UPPER(name)``) is costed cheaper read in full, the planner counting ``UPPER`` and
      ``LIKE`` as nearly free per row: 50-80 ms read in full, 5 ms through the index;
    - a page of a search's few hundred matches (``id IN (…)``), sorted by name, is
      costed cheaper walking the name index until 50 of them turn up: 46 ms when they
      sit late in the alphabet, where fetching the matches by id and sorting them takes 2.
    """
    unknown = set(plans) - PLANS
    if unknown:
        raise ValueError(f"unknown plan kinds {sorted(unknown)}: use {sorted(PLANS)}")
    connection = connections[using]
    if connection.vendor != "postgresql" or not plans:
        yield
        return
    names = [f"enable_{plan}" for plan in sorted(plans)]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(['current_setting(%s)'] * len(names))}", names)
        before = cursor.fetchone()
        for name in names:
            cursor.execute("SELECT set_config(%s, 'off', true)", [name])
        yield
        # Put back at once: inside a caller's transaction, a local setting would otherwise
        # hold until that one ends. (After an error, the rollback of this block puts them
        # back: PostgreSQL undoes a local setting with the savepoint it was made after.)
        for name, value in zip(names, before, strict=True):
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
