"""Stored results of the lifetime value engine, so pages are fast, and the assumptions
behind them."""

from __future__ import annotations

from django.db import models

from openkam.web.core.models import Computation, ProgrammeSettings
from openkam.web.profitability.models import MONEY

#: The tables keep the names they had in the app that held profitability and lifetime value
#: together (``insights``), so moving the models lost no data (migrations/0001_initial.py).


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

    class Meta:
        db_table = "insights_accountvalue"
        # A page of accounts reads the current run's values of its 50 accounts.
        indexes = [models.Index(fields=["computation", "account_key"], name="value_run_account")]

    def __str__(self) -> str:
        return f"CLV of {self.account_key}"


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
        db_table = "insights_clvsettings"
        verbose_name_plural = "CLV settings"

    def __str__(self) -> str:
        return f"{self.get_model_display()}, {self.discount_rate:.1%} a year over {self.horizon_years} years"
