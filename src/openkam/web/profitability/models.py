"""Stored results of the profitability engine, so pages are fast, and the assumptions
behind them."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from openkam.web.core.models import Computation, ProgrammeSettings

MONEY = {"max_digits": 18, "decimal_places": 2}

#: The tables keep the names they had in the app that held profitability and lifetime value
#: together (``insights``), so moving the models lost no data (migrations/0001_initial.py).


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
        db_table = "insights_accountperiodfigures"
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

    class Meta:
        db_table = "insights_poolperiodfigures"

    def __str__(self) -> str:
        return f"{self.pool} {self.period}"


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
        db_table = "insights_profitabilitysettings"
        verbose_name_plural = "profitability settings"

    def __str__(self) -> str:
        return f"cost of capital {Decimal(str(self.cost_of_capital)) * 100:.2f} % a year"
