"""Readiness is recorded at each change that moves it.

Every change in OpenKAM writes an audit event; once the transaction that wrote one commits,
the readiness check runs and a snapshot is kept if a step's status moved. One run per
transaction, whatever the number of events in it; a failure here never fails the change.
``OPENKAM_READINESS_AUTO = False`` turns it off (the test settings do; imports and the demo
record once at their end).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from openkam.web.core.models import AuditEvent

log = logging.getLogger(__name__)


class _RecordAfterCommit:
    """The commit hook; it knows whether it ran, so a transaction schedules one at most."""

    def __init__(self):
        self.done = False

    def __call__(self) -> None:
        from openkam.web.programme.services import record_readiness

        self.done = True
        try:
            record_readiness()
        except Exception:  # a readiness failure must never undo or block the change itself
            log.exception("readiness snapshot failed")


@receiver(post_save, sender=AuditEvent, dispatch_uid="programme_readiness_on_change")
def readiness_on_change(sender, instance, created, **kwargs) -> None:
    if not created or not getattr(settings, "OPENKAM_READINESS_AUTO", True):
        return
    connection = transaction.get_connection()
    if any(
        isinstance(hook, _RecordAfterCommit) and not hook.done
        for _, hook, *_ in connection.run_on_commit
    ):
        return  # already scheduled for this transaction
    transaction.on_commit(_RecordAfterCommit())
