"""The key account programme's rollout and yearly review.

Readiness is computed from the data (``programme.readiness``); what is stored here is what
people decide (the champion's thresholds, each customer's agreement to the partnership, the
yearly programme review) and the readiness snapshots that show the rollout's progress.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from openkam.web.core.models import ChangeLoggedModel, notes_field
from openkam.web.core.roles import runs_programme

SHARE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class ReadinessSettings(ChangeLoggedModel):
    """The champion's thresholds for the readiness check (one row, ``current()``)."""

    min_key_accounts = models.PositiveSmallIntegerField(
        default=5, help_text="Fewest key accounts for a programme (the seeds: 5–25)."
    )
    max_key_accounts = models.PositiveSmallIntegerField(
        default=25, help_text="Most key accounts the programme can serve well."
    )
    target_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=SHARE,
        help_text="Share of key accounts (or KAMs) a check needs to be met; half of it is "
        "'partly'.",
    )
    selection_review_days = models.PositiveSmallIntegerField(
        default=365, help_text="The selection must have been reviewed within this many days."
    )
    programme_review_days = models.PositiveSmallIntegerField(
        default=365, help_text="The programme must have had a closed yearly review within this."
    )
    assessment_days = models.PositiveSmallIntegerField(
        default=365, help_text="A KAM's competencies count as assessed for this many days."
    )
    # The most weight scorecards may put on revenue is the scorecards' own setting
    # (``ScorecardWeights.revenue_warning_share``), set with the weights it bounds.

    #: What the champion sets (the page's form and the API alike).
    EDITABLE = (
        "min_key_accounts",
        "max_key_accounts",
        "target_share",
        "selection_review_days",
        "programme_review_days",
        "assessment_days",
    )

    class Meta:
        verbose_name_plural = "readiness settings"

    def __str__(self) -> str:
        return "readiness settings"

    def editable_by(self, user) -> bool:
        return runs_programme(user)

    @classmethod
    def current(cls) -> ReadinessSettings:
        """The settings row; unsaved defaults when none was saved (reads never write)."""
        return cls.objects.order_by("pk").first() or cls()


class ReadinessSnapshot(models.Model):
    """The readiness check at one moment, kept when a change moved a step's status."""

    taken_at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: ``{"1": "met", "2": "partly", ...}``: the steps' statuses, for the progress chart.
    statuses = models.JSONField()
    #: The whole check as ``openkam readiness --json`` prints it.
    result = models.JSONField()

    class Meta:
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return f"readiness at {self.taken_at:%Y-%m-%d %H:%M}"


class Partnership(ChangeLoggedModel):
    """Whether the customer agreed to be a key account partner (the seeds: convince the
    customer of the partnership first; plan with it "if the customer agrees")."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        IN_DISCUSSION = "in_discussion", "In discussion"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"
        PAUSED = "paused", "Paused"

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="partnership"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    status_date = models.DateField(help_text="When the status was reached.")
    agreed_by = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who on the customer's side agreed (from the relationship map).",
    )
    benefits = models.ManyToManyField(
        "planning.ValueProposition",
        blank=True,
        related_name="+",
        help_text="The plan's value propositions offered to the customer.",
    )
    notes = notes_field()

    class Meta:
        ordering = ["account__name"]

    def __str__(self) -> str:
        return f"{self.account.name}: {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("programme:partnership", args=[self.account.account_id])

    def editable_by(self, user) -> bool:
        return self.account.editable_by(user)


class ProgrammeReview(ChangeLoggedModel):
    """The yearly review of the programme: the selection review, plan refresh, scorecards
    and readiness gathered in one record with its decisions and sign-off."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    year = models.PositiveSmallIntegerField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    selection_review = models.ForeignKey(
        "portfolio.Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: What was gathered when the review was opened and refreshed: readiness, plans,
    #: scorecards, selection (see ``services.gather``).
    gathered = models.JSONField(default=dict, blank=True)
    decisions = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"programme review {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("programme:review", args=[self.year])

    def editable_by(self, user) -> bool:
        return runs_programme(user)
