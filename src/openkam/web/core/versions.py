"""A cheap version of the data a cached page part shows: one query over a few tables.

A part of a page that reads many tables (the home page's alerts read plans, objectives,
actions, people, rules, visits, partnerships and commitments) can be kept rendered per
process, keyed on what this returns: it changes with every write the part could show.

- Per table: the row count (inserts and deletes), the highest id and, where the model has
  them, the latest ``updated`` (every ``save()``: ``ChangeLoggedModel``) and the sum of
  ``version`` (the few writes through ``QuerySet.update()`` that bump it but not
  ``updated``). A model may name other fields instead (``VERSION_FIELDS``: the accounts'
  ``listed_at``, which an edit of the notes leaves as it is);
- per table, the latest audit event about one of its records: the writes that neither save
  nor bump a version (a plan version's sign-off, an assignment ending) are all audited, in
  the same transaction. Per table, not the latest event of all: an edit of an account's
  notes, audited too, would otherwise change the version of every table.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
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
    """The version of ``tables`` (models) and, unless ``audit`` is false, of their audit
    events, in one query."""
    quote = connection.ops.quote_name
    events = quote(AuditEvent._meta.db_table)
    parts, params = [], []
    for model in tables:
        table = quote(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        parts.append(f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {table})")
        fields = getattr(model, "VERSION_FIELDS", None)
        if fields is not None:
            parts += [f"(SELECT MAX({quote(f)}) FROM {table})" for f in fields]
        else:
            if _has(model, "updated"):
                parts.append(f"(SELECT MAX({quote('updated')}) FROM {table})")
            if _has(model, "version"):
                parts.append(f"(SELECT SUM({quote('version')}) FROM {table})")
        if audit:
            # Answered from the (content type, id) index at once.
            parts.append(f"(SELECT MAX(id) FROM {events} WHERE content_type_id = %s)")
            params.append(ContentType.objects.get_for_model(model).pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return tuple(cursor.fetchone())
