"""Optimistic locking: an edit saves only if nobody else saved the object since it was read."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F

from openkam.web.core import audit


class ConcurrentEditError(Exception):
    """Someone saved the object after this edit started; nothing was written.

    ``theirs`` holds the current saved values and ``mine`` the values this edit tried to
    save, so the user can be shown the difference.
    """

    def __init__(self, obj: models.Model, expected: int, theirs: dict, mine: dict):
        self.obj = obj
        self.expected = expected
        self.current = obj.version
        self.theirs = theirs
        self.mine = mine
        super().__init__(
            f"{obj._meta.verbose_name} {obj} was changed by someone else "
            f"(version {self.current}, your edit started from version {expected})"
        )

    @property
    def conflicts(self) -> dict[str, list[Any]]:
        """``{field: [theirs, mine]}`` where the two differ."""
        return {k: [self.theirs.get(k), v] for k, v in self.mine.items() if self.theirs.get(k) != v}


def save_versioned(
    obj: models.Model,
    values: dict[str, Any],
    expected_version: int | None,
    *,
    user=None,
    actor: str = "",
    account_key: str = "",
) -> dict:
    """Apply ``values`` to ``obj`` and save it if its version is still ``expected_version``.

    Returns the recorded changes (``{field: [old, new]}``); raises ``ConcurrentEditError``
    when the stored version moved on. ``expected_version=None`` skips the check (imports).
    """
    model = type(obj)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=obj.pk)
        if expected_version is not None and current.version != expected_version:
            for name, value in values.items():
                setattr(obj, name, value)
            raise ConcurrentEditError(
                current, expected_version, audit.snapshot(current), audit.snapshot(obj)
            )
        before = audit.snapshot(current)
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean()
        changes = audit.diff(before, audit.snapshot(current))
        if not changes:
            return {}
        changes = audit.labelled(model, changes)
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db()
        audit.record(
            "update", current, user=user, actor=actor, changes=changes, account_key=account_key
        )
    obj.refresh_from_db()
    return changes


def save_form(form, save) -> tuple[dict | None, ConcurrentEditError | None]:
    """Save a valid edit form with ``save(values, version)``: ``(changes, None)``, or
    ``(None, conflict)`` when someone saved first.

    Only the fields the user changed are written. On a conflict the form is pointed at the
    version now stored: the fields the user did not change show the stored values, those
    they changed keep their input, so saving again (after seeing the difference) writes
    the user's changes and never reverts the other user's.
    """
    values = form.changed_values()
    try:
        return save(values, form.cleaned_data["version"]), None
    except ConcurrentEditError as exc:
        form.data = form.data.copy()
        form.data["version"] = exc.current
        if "base" in form.fields:
            stored = type(form)(instance=exc.obj).shown_values()
            for name, value in stored.items():
                if name not in values:
                    form.data[name] = "" if value is None else value
            form.data["base"] = json.dumps(stored, cls=DjangoJSONEncoder)
        return None, exc
