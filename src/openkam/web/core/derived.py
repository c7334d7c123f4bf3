"""What pages derive from data that changes rarely (tables, charts, rendered fragments),
kept per process under the identity of that data, so that a page pays for it once rather
than on every request.

The key of a value names everything it was made from: a run (:func:`run_key`: a finished
run never changes), the version of the records users edit (:func:`data_version`), the
ledger's fingerprint, the page's parameters. A write changes the key, so nobody sees a value
made before it; the old entry ages out of its bounded store (``core.kept.Kept``). Values are
kept as they are (no pickling, unlike Django's local-memory cache), so callers must not
change what they get back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db.models import Model

from openkam.web.core.kept import Kept

T = TypeVar("T")

#: Derived data of modest size (totals, segments, a chart's JSON): a page keeps a few
#: entries per run and parameter set, so this holds the pages' working set many times over.
_small: Kept = Kept(512)


def kept(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept under ``key`` with the small derived values."""
    return _small.get(key, compute)


def run_key(run) -> tuple | None:
    """The identity of a run's results: its id and when it finished (None while it runs,
    whose results must not be kept)."""
    if run is None or run.finished is None:
        return None
    return (run.pk, run.finished)


def of_run(
    done: tuple | None, key: tuple, compute: Callable[[], T], store: Kept | None = None
) -> T:
    """``compute()``, kept under a run's identity ``done`` (:func:`run_key`) and ``key``,
    in ``store`` or with the small derived values; worked out afresh for a run still being
    written (``done`` None), whose results may change."""
    if done is None:
        return compute()
    full = (done, *key)
    return store.get(full, compute) if store is not None else _small.get(full, compute)


def data_version(*models: type[Model]) -> tuple:
    """A value that changes whenever a record of ``models`` (models with ``version`` and
    ``updated``, see ``core.models.ChangeLoggedModel``) is created, changed or deleted:
    :func:`openkam.web.core.versions.stamp` without the audit trail (the number of
    records, the highest id, the last update and the sum of the versions), one query.

    Every edit through the app raises a version (``core.concurrency``, imports, the KAM
    and sponsor assignments) or the update time (a plain ``save()``); a delete lowers the
    count and a create raises the highest id. A bulk ``update()`` that raises neither would
    go unseen: the app makes none on these models outside tests and the demo's set-up.
    """
    from openkam.web.core.versions import stamp

    return stamp(*models, audit=False)


def lazy_parts(compute: Callable[[], dict]) -> Callable[[str], object]:
    """Context values worked out only if the template renders one: ``part =
    lazy_parts(make)``, then ``part("rows")`` stands for ``make()["rows"]``, ``make``
    called once, at the first use. A ``{% cache %}`` block found in the cache renders
    none of them, so a page kept rendered never computes its content."""
    from django.utils.functional import SimpleLazyObject

    found: dict = {}

    def part(name: str):
        def read():
            if not found:
                found.update(compute())
            return found[name]

        return SimpleLazyObject(read)

    return part
