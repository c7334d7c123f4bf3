"""Housekeeping in the background task worker, one pending run at a time.

Some work follows a change but is not part of it: the programme's readiness snapshot after
any change, warming the selection criteria after an import. It runs in the task worker
(``openkam serve`` starts it beside the web processes), never on the request thread, and is
*coalesced*: while one run of a task is queued and not started, further requests add
nothing, because that run will see every change made before it starts.
"""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _db_results(task):
    """The database backend's result model, or None when ``task`` runs on another backend
    (tests run tasks immediately: nothing is ever pending there)."""
    if not type(task.get_backend()).__module__.startswith("django_tasks_db"):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def pending(task) -> bool:
    """Whether a run of ``task`` is queued and not started yet."""
    results = _db_results(task)
    if results is None:
        return False
    return results.objects.ready().filter(task_path=task.module_path).exists()


class _EnqueueAfterCommit:
    """The commit hook queuing one task; a transaction schedules one per task at most."""

    def __init__(self, task):
        self.task = task
        self.done = False

    def __call__(self) -> None:
        self.done = True
        try:
            results = _db_results(self.task)
            if results is not None:
                if pending(self.task):
                    return
                results.objects.successful().filter(task_path=self.task.module_path).delete()
            self.task.enqueue()
        except Exception:  # housekeeping must never fail the change that asked for it
            log.exception("could not queue %s", self.task.module_path)


def enqueue_once(task) -> None:
    """Queue ``task`` (no arguments) once the current transaction commits (now, outside
    one), unless a run of it is already waiting then.

    One hook per transaction, whatever the number of calls in it. The finished runs of the
    task are pruned when a new one is queued: housekeeping runs after every change and its
    results hold nothing worth keeping.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        isinstance(hook, _EnqueueAfterCommit)
        and hook.task.module_path == task.module_path
        and not hook.done
        for _, hook, *_ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_EnqueueAfterCommit(task))
