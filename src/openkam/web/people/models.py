"""Our own people: key account managers, executive sponsors, the champion, account teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openkam.web.core.models import ChangeLoggedModel
from openkam.web.core.roles import Role, runs_programme


class PersonQuerySet(models.QuerySet):
    def editable_by(self, user):
        return self if runs_programme(user) else self.none()


class Person(ChangeLoggedModel):
    """Someone in the supplier's organisation, optionally with a login."""

    person_id = models.CharField("person id", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.VIEWER)
    title = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def editable_by(self, user) -> bool:
        return runs_programme(user)
