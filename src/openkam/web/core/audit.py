"""Writing the audit trail: explicit event functions called by the domain services.

Views and API never write audit rows themselves; they call a service, and the service
records what changed (after Saleor's ``events`` modules).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from openkam.web.core.models import AuditEvent

#: Fields that carry bookkeeping, not meaning: never shown as changes.
IGNORED_FIELDS = {"created", "updated", "version"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The audited field values of ``obj`` as JSON-ready values.

    Foreign keys are taken by their stored id, which costs no query (imports snapshot
    thousands of records); ``labelled`` names the few that changed.
    """
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED_FIELDS or field.primary_key:
            continue
        data[field.name] = _plain(field.value_from_object(obj))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def labelled(model: type[models.Model], changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """``changes`` with foreign-key ids replaced by the records' names, for people to read."""
    out = {}
    for name, values in changes.items():
        field = model._meta.get_field(name)
        if field.is_relation:
            related = field.related_model._default_manager
            values = [str(related.filter(pk=v).first()) if v is not None else None for v in values]
        out[name] = values
    return out


def record(
    action: str,
    obj: models.Model,
    *,
    user=None,
    actor: str = "",
    changes: dict | None = None,
    account_key: str = "",
    message: str = "",
) -> AuditEvent:
    """Write one audit event about ``obj``."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        user=user,
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
        object_repr=str(obj)[:200],
        account_key=account_key,
        changes=changes or {},
        message=message[:500],
    )


def record_bulk(
    action: str,
    model: type[models.Model],
    rows: list[tuple[models.Model, dict]],
    *,
    user=None,
    actor: str = "",
    account_key_of=None,
) -> None:
    """Write one event per object in a single query (imports of thousands of records)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    ct = ContentType.objects.get_for_model(model)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                user=user,
                actor=actor,
                action=action,
                content_type=ct,
                object_pk=str(obj.pk),
                object_repr=str(obj)[:200],
                account_key=account_key_of(obj) if account_key_of else "",
                changes=changes,
            )
            for obj, changes in rows
        ],
        batch_size=2000,
    )


def history(obj: models.Model):
    """The events about one object, newest first."""
    ct = ContentType.objects.get_for_model(obj)
    return AuditEvent.objects.filter(content_type=ct, object_pk=str(obj.pk)).select_related(
        "user__person", "content_type"
    )
