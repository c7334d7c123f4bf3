"""What pages derive from data that changes rarely, kept in this process under the data's
identity, so that a page pays for it once rather than on every request.

The key of a value names everything it was made from: a run (``run_key``: a finished run
never changes), the version of the records users edit (``data_version``), the page's
parameters. A write changes the key, so nobody sees a value made before it; the old entry
ages out of the bounded store. Values are kept as they are (no pickling, unlike Django's
local-memory cache), so callers must not change what they get back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db.models import Count, Max, Model, Sum

T = TypeVar("T")


class Memo:
    """A bounded store of values by key, in this process; the least recently used goes
    first. Thread-safe; two requests may both make a missing value (the last one is kept)."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._store: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under ``key``, made by ``make()`` the first time (or after it
        aged out)."""
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                return self._store[key]  # type: ignore[return-value]
        value = make()
        with self._lock:
            self._store[key] = value
            self._store.move_to_end(key)
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


#: Every store, so that tests can empty them all.
_stores: list[Memo] = []


def store(max_entries: int) -> Memo:
    """A new store of at most ``max_entries`` values (a module keeps its own, sized for
    what it holds: a few large rendered fragments, or many small tables)."""
    found = Memo(max_entries)
    _stores.append(found)
    return found


#: Derived data of modest size (tables, charts' points, JSON): a page keeps a few entries
#: per run and parameter set, so this holds the pages' working set many times over.
_default = store(512)


def memo(key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, kept under ``key`` in the default store."""
    return _default.get(key, make)


def clear() -> None:
    """Forget every kept value (tests)."""
    for found in _stores:
        found.clear()


def run_key(run) -> tuple | None:
    """The identity of a run's results: its id and when it finished (None while it runs,
    whose results must not be kept)."""
    if run is None or run.finished is None:
        return None
    return (run.pk, run.finished)


def data_version(*models: type[Model]) -> tuple:
    """A value that changes whenever a record of ``models`` (models with ``version`` and
    ``updated``, see ``core.models.ChangeLoggedModel``) is created, changed or deleted: per
    model, the number of records, the highest id, the sum of the versions and the last
    update. One small aggregate query per model.

    Every edit through the app raises a version (``core.concurrency``, imports, the KAM
    and sponsor assignments) or the update time (a plain ``save()``); a delete lowers the
    count and a create raises the highest id.
    """
    out = []
    for model in models:
        row = model.objects.order_by().aggregate(
            n=Count("pk"), top=Max("pk"), versions=Sum("version"), updated=Max("updated")
        )
        out.append((model._meta.label, row["n"], row["top"], row["versions"], row["updated"]))
    return tuple(out)
