"""Starting, tracking and finishing recomputations of the analytics engine (profitability,
lifetime value, key account selection): one ``Computation`` row per run, whose results the
domain apps store in their own models (each with a ``computation`` foreign key)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Hashable

import numpy as np
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from openkam.web.core import audit
from openkam.web.core.kept import Kept
from openkam.web.core.ledger import fingerprint
from openkam.web.core.models import Computation
from openkam.web.core.request_memo import once

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """A recomputation of the same kind is queued or running."""


#: The current run of each kind as last read by this process: ``{kind: (key, run)}``.
_current: dict[str, tuple[tuple, Computation]] = {}


def current(kind: str) -> Computation | None:
    """The run whose results the pages show.

    A finished run never changes, but its summary can be large (the whale curve holds a
    point per account: 18 MB with 100,000 accounts) and pages ask for the current run
    several times per request: one small query says which run is current, and the run
    itself is read once per process, then kept until another run becomes current.
    """
    return once(("runs.current", kind), lambda: _current_run(kind))


def _current_rows() -> dict[str, tuple]:
    """``{kind: (pk, created, finished)}`` of the current run of every kind, in one query
    per request (an account page shows two kinds)."""
    rows: dict[str, tuple] = {}
    for kind, *row in (
        Computation.objects.filter(is_current=True)
        .order_by("-created", "-pk")
        .values_list("kind", "pk", "created", "finished")
    ):
        rows.setdefault(kind, tuple(row))
    return rows


def _current_run(kind: str) -> Computation | None:
    row = once("runs.current rows", _current_rows).get(kind)
    if row is None:
        return None
    kept = _current.get(kind)
    if kept is not None and kept[0] == row and row[2] is not None:
        return kept[1]
    run = Computation.objects.filter(pk=row[0]).first()
    if run is not None and run.finished is not None:
        _current[kind] = (row, run)
    return run


#: Values derived from the current runs alone, under ``(kinds, run keys, key)``.
_derived: Kept[object] = Kept(256)


def derived(kinds: tuple[str, ...], key: Hashable, compute: Callable[[], object]):
    """``compute()``, kept per process for as long as the current runs of ``kinds`` stay
    current: for figures that pages read from those runs' stored results on every request
    and that depend on nothing else but ``key`` (the accounts asked for, today's date).

    A finished run never changes, so its (pk, finished) names its results; an unfinished
    current run (tests create such) is computed every time. The caller must not change the
    value it gets: other requests share it.
    """
    found = [current(kind) for kind in kinds]
    if any(run is not None and run.finished is None for run in found):
        return compute()
    full = (kinds, tuple((run.pk, run.finished) if run else None for run in found), key)
    return _derived.get(full, compute)


def latest(kind: str) -> Computation | None:
    """The last run requested, whatever its state (the pages show its progress or outcome).

    Most of the time it is the current run, which this process keeps (see :func:`current`):
    one small query tells, and spares reading the run's large summary again.
    """
    kept = _current.get(kind)
    if kept is None:
        return Computation.objects.filter(kind=kind).first()
    row = Computation.objects.filter(kind=kind).values_list("pk", "created", "finished").first()
    if row == kept[0] and row[2] is not None:
        return kept[1]
    return Computation.objects.filter(pk=row[0]).first() if row else None


def request(kind: str, params: dict, user, task) -> Computation:
    """Queue a recomputation of ``kind`` with ``task`` (a django-tasks task taking its id)."""
    with transaction.atomic():
        if (
            Computation.objects.select_for_update()
            .filter(kind=kind, status__in=[Computation.Status.QUEUED, Computation.Status.RUNNING])
            .exists()
        ):
            raise AlreadyRunning(f"a {kind} recomputation is already under way")
        run = Computation.objects.create(
            kind=kind,
            params=params,
            currency=settings.OPENKAM_REPORTING_CURRENCY,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record(
            "event", run, user=user, actor="" if user else "cli", message=f"requested {run}"
        )
    # Enqueue after commit so the worker finds the row.
    transaction.on_commit(lambda: task.enqueue(run.pk))
    return run


def run_now(kind: str, params: dict, task, actor: str = "cli") -> Computation:
    """Run a recomputation in this process, waiting for it (the CLI and the demo)."""
    run = Computation.objects.create(
        kind=kind, params=params, currency=settings.OPENKAM_REPORTING_CURRENCY
    )
    audit.record("event", run, actor=actor, message=f"requested {run}")
    task.call(run.pk)
    run.refresh_from_db()
    return run


def reporter(run: Computation) -> Callable[[str, float], None]:
    """A progress callback that the engine can call; writes stage and fraction (0..1)."""

    def report(stage: str, fraction: float) -> None:
        Computation.objects.filter(pk=run.pk).update(
            stage=stage[:200], progress=max(0.0, min(1.0, fraction))
        )

    return report


def json_safe(value):
    """``value`` with every NaN or infinite number replaced by None: JSON has no such
    numbers, and the database refuses the ``NaN`` that Python's json would write (a model
    fit on an extreme history can produce one; it means "no value")."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


#: Results kept per kind of run: the current run's and the ones before it, so that figures
#: can still be compared with the last recomputes; older runs keep their record and summary.
KEEP_RESULTS = 3


def result_models() -> list[type[models.Model]]:
    """The models that hold runs' results: every model whose ``computation`` foreign key
    deletes its rows with the run (the profitability figures, the lifetime values)."""
    found = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("computation")
        except FieldDoesNotExist:
            continue
        if (
            field.many_to_one
            and field.related_model is Computation
            and field.remote_field.on_delete is models.CASCADE
        ):
            found.append(model)
    return found


def prune_results(kind: str, keep: int = KEEP_RESULTS) -> int:
    """Delete the result rows of all but the ``keep`` latest finished runs of ``kind``
    (each profitability recompute stores tens of thousands of rows). Returns rows deleted."""
    kept = Computation.objects.filter(kind=kind, status=Computation.Status.DONE).order_by(
        "-finished", "-pk"
    )[:keep]
    older = Computation.objects.filter(kind=kind).exclude(
        pk__in=list(kept.values_list("pk", flat=True))
    )
    return sum(m.objects.filter(computation__in=older).delete()[0] for m in result_models())


def run_with_tracking(
    run_id: int,
    compute: Callable[[Computation, Callable], tuple[dict, list]],
    store: Callable[[Computation, object], None],
) -> None:
    """Run ``compute`` for a queued run and ``store`` its results atomically.

    ``compute(run, report)`` returns ``(result, warnings, summary)`` without writing to the
    database;
    ``store(run, result)`` writes result rows. Both succeed or the run is marked failed and
    the previous current run stays current.
    """
    run = Computation.objects.get(pk=run_id)
    Computation.objects.filter(pk=run.pk).update(
        status=Computation.Status.RUNNING, started=timezone.now(), stage="starting"
    )
    # Taken before the computation reads the ledger: an import meanwhile makes it stale.
    seen = fingerprint()
    try:
        result, warnings, summary = compute(run, reporter(run))
        with transaction.atomic():
            store(run, result)
            Computation.objects.filter(kind=run.kind, is_current=True).update(is_current=False)
            Computation.objects.filter(pk=run.pk).update(
                status=Computation.Status.DONE,
                is_current=True,
                finished=timezone.now(),
                progress=1.0,
                stage="done",
                warnings=json_safe(warnings),
                summary={**json_safe(summary), "ledger_fingerprint": seen},
            )
            prune_results(run.kind)
    except Exception as exc:  # the run records any failure for the page and the CLI to show
        log.exception("%s failed", run)
        Computation.objects.filter(pk=run.pk).update(
            status=Computation.Status.FAILED,
            finished=timezone.now(),
            error=str(exc) or type(exc).__name__,
        )
