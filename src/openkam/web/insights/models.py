"""Stored results of the analytics engine, so pages are fast, and the runs that made them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from openkam.web.core.roles import runs_programme

MONEY = {"max_digits": 18, "decimal_places": 2}


class Computation(models.Model):
    """One recomputation (run as a background task), its progress and its outcome.

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


class AccountPeriodFigures(models.Model):
    """One account's P&L waterfall for one period, as computed by a profitability run.

    ``rolled_up`` rows include the account's subsidiaries; plain rows are the account alone.
    """

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE, related_name="figures")
    account_key = models.CharField(max_length=64, db_index=True)
    #: "year", "quarter" or "month"; ``period`` is its label ("2024", "2024-Q1", "2024-01").
    grain = models.CharField(max_length=7, default="year")
    period = models.CharField(max_length=10, db_index=True)
    rolled_up = models.BooleanField(default=False)
    gross_sales = models.DecimalField(**MONEY)
    discounts = models.DecimalField(**MONEY)
    invoiced_sales = models.DecimalField(**MONEY)
    rebates = models.DecimalField(**MONEY)
    net_sales = models.DecimalField(**MONEY)
    cogs = models.DecimalField(**MONEY)
    gross_margin = models.DecimalField(**MONEY)
    cost_to_serve = models.DecimalField(**MONEY)
    cost_by_pool = models.JSONField(default=dict)
    net_contribution = models.DecimalField(**MONEY)
    contribution_margin_pct = models.FloatField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["computation", "grain", "period", "rolled_up"]),
            # One account's row of a period: the "change" column looks it up for every row of
            # the table (without it, a 10,000-account CSV took 20 s on SQLite).
            models.Index(fields=["computation", "account_key", "grain", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_key} {self.period}"


class PoolPeriodFigures(models.Model):
    """A cost pool's cost, what was allocated to accounts, and its unused capacity."""

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE, related_name="pools")
    grain = models.CharField(max_length=7, default="year")
    pool = models.CharField(max_length=100)
    period = models.CharField(max_length=30)
    cost = models.DecimalField(**MONEY)
    allocated = models.DecimalField(**MONEY)
    unused = models.DecimalField(**MONEY)
    extra = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.pool} {self.period}"


class AccountValue(models.Model):
    """An account's lifetime value and its near-term outlook, from a CLV run.

    Accounts the model cannot value keep null figures and a ``reason``.
    """

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE, related_name="values")
    account_key = models.CharField(max_length=64, db_index=True)
    probability_alive = models.FloatField(null=True)
    expected_orders_12m = models.FloatField(null=True)
    expected_contribution_12m = models.DecimalField(null=True, **MONEY)
    clv_contribution = models.DecimalField(null=True, **MONEY)
    clv_revenue = models.DecimalField(null=True, **MONEY)
    reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"CLV of {self.account_key}"


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


class ClvSettings(ProgrammeSettings):
    """The assumptions behind every CLV figure."""

    model = models.CharField(
        max_length=10, default="bgnbd", choices=[("bgnbd", "BG/NBD"), ("pnbd", "Pareto/NBD")]
    )
    discount_rate = models.DecimalField(
        max_digits=5, decimal_places=4, default=0.10, help_text="annual"
    )
    horizon_years = models.PositiveSmallIntegerField(default=5)
    time_unit = models.CharField(
        max_length=5, default="week", choices=[("day", "day"), ("week", "week"), ("month", "month")]
    )

    class Meta:
        verbose_name_plural = "CLV settings"

    def __str__(self) -> str:
        return f"{self.get_model_display()}, {self.discount_rate:.1%} a year over {self.horizon_years} years"


def validate_annual_rate(value) -> None:
    """An annual rate as a fraction: 0 ≤ rate < 1 (0.08 is 8 % a year)."""
    if not 0 <= value < 1:
        raise ValidationError("Give the annual rate as a fraction between 0 and 1, e.g. 0.08.")


class ProfitabilitySettings(ProgrammeSettings):
    """The assumptions behind the profitability figures. Every run records the values it
    used (``Computation.params``)."""

    cost_of_capital = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.08"),
        validators=[validate_annual_rate],
        help_text="annual, as a fraction",
    )

    class Meta:
        verbose_name_plural = "profitability settings"

    def __str__(self) -> str:
        return f"cost of capital {Decimal(str(self.cost_of_capital)) * 100:.2f} % a year"
