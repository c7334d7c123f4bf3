"""Operations commitments: what the supplier promised a key account, owned in operations.

The seeds: "If a key account is promised priority access to urgent products or services, it
is Operations who will give that, not Sales". A commitment names what was promised (priority
on a scarce product or product line with a protected quantity, a lead time, an OTIF target,
dedicated or consignment stock, vendor-managed inventory, a service level), its owner in
operations or supply chain, its period, and the measure and target by which the ledger says
whether it was kept.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from openkam.web.core.models import ChangeLoggedModel
from openkam.web.core.roles import Role, person_of, runs_programme
from openkam.web.people.models import Function

#: Functions (or, for people without one, roles) that may own a commitment.
OWNER_FUNCTIONS = frozenset({Function.OPERATIONS, Function.SUPPLY_CHAIN})
OWNER_ROLES = frozenset({Role.OPERATIONS, Role.SUPPLY_CHAIN})


def may_own(person) -> bool:
    """Whether ``person`` works in operations or supply chain (their function; their role
    when no function is recorded)."""
    if person is None:
        return False
    if person.function:
        return person.function in OWNER_FUNCTIONS
    return person.role in OWNER_ROLES


class CommitmentQuerySet(models.QuerySet):
    def editable_by(self, user):
        if runs_programme(user):
            return self
        person = person_of(user)
        if person is None:
            return self.none()
        return self.filter(
            models.Q(owner=person)
            | models.Q(account__kam=person)
            | models.Q(account__team_members__person=person)
        ).distinct()


class Commitment(ChangeLoggedModel):
    """One promise of operations to one account, with its measure and target."""

    class Kind(models.TextChoices):
        PRIORITY_ALLOCATION = "priority_allocation", "Priority on scarce supply"
        LEAD_TIME = "lead_time", "Guaranteed lead time"
        OTIF = "otif", "On-time-in-full target"
        DEDICATED_STOCK = "dedicated_stock", "Dedicated stock"
        CONSIGNMENT_STOCK = "consignment_stock", "Consignment stock"
        VMI = "vmi", "Vendor-managed inventory"
        SERVICE_LEVEL = "service_level", "Service level"

    class Measure(models.TextChoices):
        OTIF_PCT = "otif_pct", "OTIF % (lines on time in full)"
        FILL_RATE_PCT = "fill_rate_pct", "Fill rate % (units by the promised date)"
        AVG_LEAD_TIME_DAYS = "avg_lead_time_days", "Average lead time (days)"
        NONE = "none", "Not measured from the ledger"

    class ReviewPeriod(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Year"

    commitment_id = models.CharField("commitment id", max_length=64, unique=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="commitments"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    description = models.TextField(
        blank=True, help_text="What was promised, in the words the customer heard."
    )
    product = models.ForeignKey(
        "accounts.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_line = models.CharField(max_length=200, blank=True)
    protected_quantity = models.DecimalField(
        max_digits=18,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Units reserved for the account when supply is short (per product).",
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="Inclusive.")
    owner = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="owned_commitments"
    )
    measure = models.CharField(max_length=32, choices=Measure.choices, default=Measure.OTIF_PCT)
    target = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    review_period = models.CharField(
        max_length=8, choices=ReviewPeriod.choices, default=ReviewPeriod.QUARTER
    )
    customer_visible = models.BooleanField(
        "shown on the mutual plan",
        default=False,
        help_text="Shown to the customer on the mutual plan when that plan is shared.",
    )
    #: Why the commitment was accepted against a rule (e.g. the account was not key).
    warning = models.CharField(max_length=300, blank=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["account__name", "start_date", "commitment_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="commitment_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.get_kind_display().lower()}"

    def get_absolute_url(self) -> str:
        return reverse("operations:commitment", args=[self.commitment_id])

    @property
    def scope(self) -> str:
        """What the commitment covers, for people: a product, a product line, or all."""
        if self.product_id:
            return str(self.product)
        if self.product_line:
            return f"product line {self.product_line}"
        return "all products"

    @property
    def lower_is_better(self) -> bool:
        return self.measure == self.Measure.AVG_LEAD_TIME_DAYS

    def clean(self):
        errors = {}
        if self.product_id and self.product_line:
            errors["product_line"] = "Give a product or a product line, not both."
        if self.kind == self.Kind.PRIORITY_ALLOCATION:
            if not (self.product_id or self.product_line):
                errors["product"] = "Priority on supply needs the product or product line."
            if not self.protected_quantity:
                errors["protected_quantity"] = "Priority on supply needs a protected quantity."
        elif self.protected_quantity:
            errors["protected_quantity"] = "Only a priority on supply protects a quantity."
        if self.measure == self.Measure.NONE:
            if self.target is not None:
                errors["target"] = "A commitment not measured from the ledger has no target."
        elif self.target is None:
            errors["target"] = "Give the target of the measure."
        elif self.measure != self.Measure.AVG_LEAD_TIME_DAYS and self.target > 100:
            errors["target"] = "A percentage target is at most 100."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date is before the start date."
        if self.owner_id and not may_own(self.owner):
            errors["owner"] = (
                f"{self.owner} is not in operations or supply chain: operations keep the"
                " promise, so they own it."
            )
        if errors:
            raise ValidationError(errors)

    def editable_by(self, user) -> bool:
        if runs_programme(user):
            return True
        person = person_of(user)
        if person is None or person.role == Role.VIEWER:
            return False
        return self.owner_id == person.pk or self.account.editable_by(user)
