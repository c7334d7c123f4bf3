"""Readiness is recorded at each change that moves it.

Every change in OpenKAM writes an audit event; once the transaction that wrote one commits,
a readiness check is queued for the background task worker, which keeps a snapshot if a
step's status moved. The check never runs on the request thread, and it is coalesced: one
queued check at most, whatever the number of changes before it starts (it sees them all).
``OPENKAM_READINESS_AUTO = False`` turns it off (the test settings do; imports and the demo
record once at their end).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from openkam.web.core.models import AuditEvent


@receiver(post_save, sender=AuditEvent, dispatch_uid="programme_readiness_on_change")
def readiness_on_change(sender, instance, created, **kwargs) -> None:
    if not created or not getattr(settings, "OPENKAM_READINESS_AUTO", True):
        return
    from openkam.web.core.tasks import enqueue_once
    from openkam.web.programme.services import refresh_readiness

    enqueue_once(refresh_readiness)
