"""A cheap version of the data a cached page part shows: one query over a few tables.

A part of a page that reads many tables (the home page's alerts read plans, objectives,
actions, people, rules, visits, partnerships and commitments) can be kept rendered per
process, keyed on what this returns: it changes with every write the part could show.

- Per table: the row count (inserts and deletes) and, where the model has them, the latest
  ``updated`` (every ``save()``: ``ChangeLoggedModel``) and the sum of ``version`` (the
  few writes through ``QuerySet.update()`` that bump it but not ``updated``);
- the latest audit event: the writes that neither save nor bump a version (a sponsor's
  visit cadence, a plan version's sign-off, an assignment ending) are all audited, in the
  same transaction.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

from openkam.web.core.models import AuditEvent


def _has(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def stamp(*tables: type[models.Model], audit: bool = True) -> tuple:
    """The version of ``tables`` (models) and, unless ``audit`` is false, of the audit
    trail, in one query."""
    quote = connection.ops.quote_name
    parts = (
        [f"(SELECT MAX({quote('id')}) FROM {quote(AuditEvent._meta.db_table)})"] if audit else []
    )
    for model in tables:
        table = quote(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        parts.append(f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {table})")
        if _has(model, "updated"):
            parts.append(f"(SELECT MAX({quote('updated')}) FROM {table})")
        if _has(model, "version"):
            parts.append(f"(SELECT SUM({quote('version')}) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone())
