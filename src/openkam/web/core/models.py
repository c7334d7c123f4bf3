"""Cross-cutting models: the audit trail, the base every audited model shares, the runs of
the analytics engine and the base of the programme's settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxLengthValidator
from django.db import models

from openkam.store.convert import NOTES_LIMIT
from openkam.web.core.roles import runs_programme


def notes_field() -> models.TextField:
    """Free notes, held to the limit the imports hold them to (docs/data-model.md): on
    every path that saves them (form, API, services' ``full_clean``), not only in a file."""
    return models.TextField(
        blank=True, max_length=NOTES_LIMIT, validators=[MaxLengthValidator(NOTES_LIMIT)]
    )


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
        indexes = [
            models.Index(fields=["content_type", "object_pk"]),
            # The latest event about a table's records (core.versions.stamp).
            models.Index(fields=["content_type", "id"], name="audit_type_latest"),
        ]

    def __str__(self) -> str:
        who = self.user.get_username() if self.user else (self.actor or "system")
        return f"{who} {self.get_action_display()} {self.object_repr}"


class Computation(models.Model):
    """One recomputation (run as a background task), its progress and its outcome: of the
    profitability figures, the lifetime values or a key account selection review.

    Results are written in the same transaction that marks a run done and current, so a page
    never shows half a computation: until then it shows the previous current run.
    """

    class Kind(models.TextChoices):
        PROFITABILITY = "profitability", "Account profitability"
        CLV = "clv", "Customer lifetime value"
        SELECTION = "selection", "Key account selection review"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    progress = models.FloatField(default=0.0, help_text="0 to 1")
    params = models.JSONField(default=dict, blank=True)
    #: The ISO 4217 currency of every amount the run computed: the reporting currency when
    #: it was requested (settings.OPENKAM_REPORTING_CURRENCY).
    currency = models.CharField(max_length=3, default="EUR")
    summary = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table of the app that held the runs before profitability and lifetime value
        # became apps of their own (see core/migrations/0002_computation.py).
        db_table = "insights_computation"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["kind", "is_current"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run #{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def seconds(self) -> float | None:
        if self.started and self.finished:
            return (self.finished - self.started).total_seconds()
        return None

    @property
    def ledger_changed(self) -> bool:
        """Whether records were imported into the ledger since this run read it."""
        from openkam.web.core.ledger import fingerprint

        seen = (self.summary or {}).get("ledger_fingerprint")
        return seen is not None and seen != fingerprint()


class ProgrammeSettings(models.Model):
    """One row of assumptions for the whole programme, edited by the champion or an admin,
    with a ``version`` for optimistic locking."""

    version = models.PositiveIntegerField(default=1)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def load(cls):
        """The row, or the defaults unsaved before anyone saved settings (reading creates
        no row; ``load_for_update`` does)."""
        return cls.objects.first() or cls()

    @classmethod
    def load_for_update(cls):
        """The row an edit saves to, made with the defaults on the first edit."""
        return cls.objects.first() or cls.objects.create()

    def editable_by(self, user) -> bool:
        return runs_programme(user)
