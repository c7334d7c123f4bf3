"""Key account plans: the current plan of each account, its parts, and its saved versions.

A plan is edited in place (``Plan`` and its parts); every save also writes a ``PlanVersion``
holding a JSON snapshot of every section, so the history can be read and any two versions
compared, and the sponsor signs off a version, not a moving target.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from openkam.web.core.models import ChangeLoggedModel

MONEY = {"max_digits": 18, "decimal_places": 2}


class RelationshipStage(models.TextChoices):
    # Millman & Wilson's relational development model (1995), as used by McDonald & Woodburn.
    EXPLORATORY = "exploratory", "Exploratory"
    BASIC = "basic", "Basic"
    COOPERATIVE = "cooperative", "Cooperative"
    INTERDEPENDENT = "interdependent", "Interdependent"
    INTEGRATED = "integrated", "Integrated"
    DISINTEGRATING = "disintegrating", "Disintegrating"


#: Sections the KAM may share with the customer in the mutual plan.
SHAREABLE_SECTIONS = {
    "analysis": "Customer analysis",
    "objectives": "Objectives",
    "value_propositions": "Value propositions",
    "actions": "Actions",
    "whitespace": "Whitespace",
    "commitments": "Operations commitments",
}


class Plan(ChangeLoggedModel):
    """The current key account plan of one account."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="plan"
    )
    # Customer analysis
    market_position = models.TextField(blank=True)
    competitive_environment = models.TextField(blank=True)
    business_strategy = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    weaknesses = models.TextField(blank=True)
    opportunities = models.TextField(blank=True)
    threats = models.TextField(blank=True)
    # Our position
    share_of_wallet = models.DecimalField(
        "share of wallet (%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    relationship_stage = models.CharField(
        max_length=16, choices=RelationshipStage.choices, default=RelationshipStage.BASIC
    )
    competitors = models.TextField("competitors at the account", blank=True)
    # Keeping it alive
    review_every_months = models.PositiveSmallIntegerField("review every (months)", default=3)
    next_review = models.DateField(null=True, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    # The mutual plan
    shared_sections = models.JSONField(default=list, blank=True)
    share_token = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["account__name"]

    def __str__(self) -> str:
        return f"plan for {self.account.name}"

    def get_absolute_url(self) -> str:
        return reverse("planning:plan", args=[self.account.account_id])

    def editable_by(self, user) -> bool:
        return self.account.editable_by(user)


class PlanPart(ChangeLoggedModel):
    """A row of one of a plan's lists (objectives, actions …)."""

    class Meta:
        abstract = True

    def editable_by(self, user) -> bool:
        return self.plan.editable_by(user)


class Objective(PlanPart):
    """A yearly target: on a metric the programme judges KAMs by (internal), or on
    something agreed with the customer (volumes, service levels, joint milestones)."""

    class Metric(models.TextChoices):
        NET_SALES = "net_sales", "Net sales"
        NET_CONTRIBUTION = "net_contribution", "Net contribution"
        CLV = "clv", "Customer lifetime value"
        VOLUME = "volume", "Volume (units)"
        SERVICE_LEVEL = "service_level", "Service level (%)"
        MILESTONE = "milestone", "Joint milestone"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    year = models.PositiveSmallIntegerField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target = models.DecimalField(**MONEY)
    note = models.CharField("internal note", max_length=300, blank=True)
    customer_visible = models.BooleanField(
        "show to the customer",
        default=False,
        help_text="In the mutual plan; only volumes, service levels and joint milestones.",
    )
    customer_text = models.CharField(
        "what the customer reads",
        max_length=300,
        blank=True,
        help_text="The objective in the customer's words, shown in the mutual plan.",
    )

    class Meta:
        ordering = ["year", "metric"]
        constraints = [
            # One target per financial metric and year; a year may hold many milestones.
            models.UniqueConstraint(
                fields=["plan", "year", "metric"],
                condition=~models.Q(metric="milestone"),
                name="unique_objective",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.year}"

    @property
    def is_money(self) -> bool:
        """Whether the target is an amount (in the reporting currency), not units or %."""
        return self.metric in MONEY_METRICS

    def clean(self):
        super().clean()
        if self.customer_visible and self.metric not in CUSTOMER_FACING_METRICS:
            raise ValidationError(
                {
                    "customer_visible": f"{self.get_metric_display()} is an internal figure: "
                    "only volumes, service levels and joint milestones are shown to the customer."
                }
            )


#: Objective metrics whose targets are amounts in the reporting currency.
MONEY_METRICS = frozenset(
    {Objective.Metric.NET_SALES, Objective.Metric.NET_CONTRIBUTION, Objective.Metric.CLV}
)

#: Objective metrics that may be shown to the customer; our economics never are.
CUSTOMER_FACING_METRICS = frozenset(
    {Objective.Metric.VOLUME, Objective.Metric.SERVICE_LEVEL, Objective.Metric.MILESTONE}
)


class ValueProposition(PlanPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="value_propositions")
    solution = models.CharField(max_length=300)
    customer_gain = models.CharField(
        "the customer's measurable gain", max_length=300, help_text="e.g. cut inventory 15 %"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.solution


class WhitespaceCell(PlanPart):
    """The potential sales of one product line to one of the customer's business units."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="whitespace")
    product_line = models.CharField(max_length=100)
    business_unit = models.CharField(max_length=100)
    potential = models.DecimalField("yearly potential", **MONEY)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["product_line", "business_unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "product_line", "business_unit"], name="unique_whitespace_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_line} × {self.business_unit}"


class Risk(PlanPart):
    class Level(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="risks")
    description = models.CharField(max_length=300)
    likelihood = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    impact = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    mitigation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Action(PlanPart):
    """A cross-functional action: its owner may be anyone in the company."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    customer_visible = models.BooleanField(
        "show to the customer",
        default=False,
        help_text="A joint step listed in the mutual plan (its title, due date and status).",
    )

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)


class PlanVersion(models.Model):
    """A snapshot of the whole plan after one save: who, when, why, and the sign-off."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)
    signed_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version")
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"
