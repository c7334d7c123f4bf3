"""Cross-cutting models: the audit trail and the base every audited model shares."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ChangeLoggedModel(models.Model):
    """Base of every model users edit: timestamps and a version for optimistic locking.

    ``version`` increases on every audited save; an edit carries the version it started
    from, and a save against a newer version is refused (see ``core.concurrency``) so that
    nobody silently overwrites someone else's change.
    """

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One create, update or delete: who, when, what, and the field-level changes."""

    class Action(models.TextChoices):
        CREATE = "create", "created"
        UPDATE = "update", "updated"
        DELETE = "delete", "deleted"
        IMPORT = "import", "imported"
        EVENT = "event", "event"

    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    #: Who acted when no user did (e.g. "cli", "demo", "task").
    actor = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_pk = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    #: The customer account the event belongs to, for the account's timeline.
    account_key = models.CharField(max_length=64, blank=True, db_index=True)
    #: ``{field: [old, new]}`` for updates; the full record for creates and deletes.
    changes = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_pk"])]

    def __str__(self) -> str:
        who = self.user.get_username() if self.user else (self.actor or "system")
        return f"{who} {self.get_action_display()} {self.object_repr}"
