"""Scorecards: the champion's weights, dated CLV snapshots, and the scores recorded per period.

The figures themselves are computed on demand from the stored profitability figures and the
assignment history (``scorecards.services``); what is kept here is what must not change
afterwards: the weights in force, the lifetime values as they stood on a date (so that the
value built over a period can be measured), and each period's recorded scores (so that a
key account manager's history can be read).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from openkam.web.core.models import ChangeLoggedModel
from openkam.web.core.roles import runs_programme

MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = [MaxValueValidator(100)]


class ScorecardWeights(ChangeLoggedModel):
    """The weight of each measure in the composite score, in percent (they add up to 100),
    set by the champion. One row (``load()``); defaults and their reasoning are in
    docs/scorecards.md."""

    net_contribution = models.PositiveSmallIntegerField(default=30, validators=PERCENT)
    contribution_margin_pct = models.PositiveSmallIntegerField(
        "contribution margin", default=15, validators=PERCENT
    )
    cost_to_serve_pct = models.PositiveSmallIntegerField(
        "cost to serve share", default=5, validators=PERCENT
    )
    delta_clv = models.PositiveSmallIntegerField(
        "lifetime value built (ΔCLV)", default=20, validators=PERCENT
    )
    plan_attainment_pct = models.PositiveSmallIntegerField(
        "plan attainment", default=15, validators=PERCENT
    )
    coverage_pct = models.PositiveSmallIntegerField(
        "decision-maker coverage", default=10, validators=PERCENT
    )
    sponsor_visits_pct = models.PositiveSmallIntegerField(
        "sponsor visits kept", default=5, validators=PERCENT
    )
    #: Added with the operations app: 0 by default, so that scores recorded before stay
    #: comparable; the champion gives it a weight (docs/scorecards.md).
    commitments_kept_pct = models.PositiveSmallIntegerField(
        "operations commitments kept", default=0, validators=PERCENT
    )
    net_sales = models.PositiveSmallIntegerField(
        "net sales (revenue)", default=0, validators=PERCENT
    )
    #: The most weight on revenue, in percent: above it the weights page and API carry the
    #: seeds' warning, and the programme's readiness check (step 6) is not met. The one
    #: setting for both (it was also a readiness threshold before).
    revenue_warning_share = models.PositiveSmallIntegerField(
        "most weight on revenue (%)",
        default=10,
        validators=PERCENT,
        help_text="Above this share on net sales the weights carry the seeds' warning and the "
        "readiness check's step 6 is not met (judge KAMs on contribution and lifetime value, "
        "not top-line revenue).",
    )

    class Meta:
        verbose_name_plural = "scorecard weights"

    def __str__(self) -> str:
        return "scorecard weights"

    @classmethod
    def load(cls) -> ScorecardWeights:
        """The weights; the defaults, unsaved, before anyone saved them (reads never write:
        ``load_for_update`` does)."""
        return cls.objects.order_by("pk").first() or cls()

    @classmethod
    def load_for_update(cls) -> ScorecardWeights:
        """The row an edit (or an audit event) refers to, made with the defaults if need be."""
        return cls.objects.order_by("pk").first() or cls.objects.create()

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class ClvSnapshot(models.Model):
    """Every account's contribution CLV as it stood on ``as_of`` (the ledger up to and
    including that day). Kept when a CLV run is taken as a snapshot or computed as of a
    past date, so that two can be compared (ΔCLV)."""

    as_of = models.DateField(db_index=True)
    computation = models.ForeignKey(
        "core.Computation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: "run": copied from a CLV run; "as_of": computed on the ledger cut at ``as_of``.
    source = models.CharField(max_length=16)
    params = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-created", "-id"]

    def __str__(self) -> str:
        return f"CLV snapshot {self.as_of.isoformat()}"


class ClvSnapshotValue(models.Model):
    snapshot = models.ForeignKey(ClvSnapshot, on_delete=models.CASCADE, related_name="values")
    account_key = models.CharField(max_length=64)
    clv_contribution = models.DecimalField(null=True, **MONEY)

    class Meta:
        indexes = [models.Index(fields=["snapshot", "account_key"])]

    def __str__(self) -> str:
        return f"{self.account_key} {self.snapshot}"


class Scorecard(models.Model):
    """One person's recorded scorecard for one period (recording again replaces it)."""

    period = models.CharField(max_length=10)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="scorecards")
    role = models.CharField(max_length=16)
    score = models.FloatField(null=True)
    net_sales = models.DecimalField(**MONEY)
    net_contribution = models.DecimalField(**MONEY)
    contribution_margin_pct = models.FloatField(null=True)
    cost_to_serve_pct = models.FloatField(null=True)
    delta_clv = models.DecimalField(null=True, **MONEY)
    plan_attainment_pct = models.FloatField(null=True)
    rank_by_contribution = models.PositiveIntegerField(null=True)
    rank_by_revenue = models.PositiveIntegerField(null=True)
    currency = models.CharField(max_length=3)
    weights = models.JSONField(default=dict)
    #: The whole scorecard as computed (accounts, every measure, their points).
    content = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["person", "role", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "person", "role"], name="one_scorecard_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"scorecard {self.person} {self.role} {self.period}"
