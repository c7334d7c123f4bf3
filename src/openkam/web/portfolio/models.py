"""Key account selection: versioned criteria, people's scores, overrides and reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from openkam.web.core.models import ChangeLoggedModel
from openkam.web.core.roles import runs_programme


class CriteriaSet(ChangeLoggedModel):
    """One version of the selection criteria and programme rules (never edited in place:
    a change saves a new version, so every review can name the version it used)."""

    number = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200, default="default")
    config = models.JSONField(help_text="The engine's SelectionConfig as a dict.")
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"criteria v{self.number}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class AssessedScore(ChangeLoggedModel):
    """A person's score of one criterion for one account (e.g. 1–5), or an estimate
    (potential, total spend). Scores are appended, never overwritten: the latest counts and
    the earlier ones remain as the history of who scored what when."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="selection_scores"
    )
    criterion = models.CharField(max_length=64, db_index=True)
    value = models.FloatField()
    comment = models.TextField(blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.criterion} = {self.value:g} for {self.account.account_id}"

    def editable_by(self, user) -> bool:
        return self.account.editable_by(user)


class Override(ChangeLoggedModel):
    """The champion's decision against the recommendation, with the written reason."""

    class Decision(models.TextChoices):
        KEY = "key", "Include as key account"
        NOT_KEY = "not_key", "Exclude"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="selection_overrides"
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="override_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.account.account_id}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class Review(ChangeLoggedModel):
    """A selection review: the snapshot of criteria, scores, recommendation, decisions and
    overrides at one moment. A draft is a recommendation; applying it sets the accounts'
    key status, KAM and sponsor."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPLIED = "applied", "Applied"

    label = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    criteria = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="reviews")
    #: The engine's recommendation without its accounts: constraints, objective, config.
    #: The accounts are :class:`ReviewRow` rows, so pages read one page of them at a time.
    result = models.JSONField(default=dict)
    #: The raw criterion values per account the scores were computed from.
    inputs = models.JSONField(default=dict)
    #: The active overrides at the time, with reasons and authors.
    overrides = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("portfolio:review", args=[self.pk])

    def editable_by(self, user) -> bool:
        return runs_programme(user)

    def rows(self) -> list[dict]:
        """Every account's row as the engine returned it (in the engine's order)."""
        if "accounts" in self.result:  # a review stored whole (before rows had a table)
            return self.result["accounts"]
        keys = self.result.get("contribution_keys")
        return [expand(r.data, keys) for r in self.row_set.order_by("position")]

    def row(self, account_id: str) -> dict | None:
        """One account's row, or None."""
        if "accounts" in self.result:
            return next((r for r in self.result["accounts"] if r["account_id"] == account_id), None)
        r = self.row_set.filter(account_id=account_id).first()
        return expand(r.data, self.result.get("contribution_keys")) if r else None

    @property
    def currency(self) -> str:
        return self.result.get("currency") or "EUR"


def contribution_keys(config: dict) -> dict:
    """Per axis, each counting criterion's key, normalisation and missing-value rule, in the
    engine's order (the same for every account of a review, so stored once on it)."""
    axes = {"attractiveness": "attractiveness", "relative_strength": "strength"}
    return {
        name: [
            [c["key"], c.get("normalisation", "minmax"), c.get("missing", "median")]
            for c in config.get("criteria", [])
            if c.get("axis", "attractiveness") == axis and c.get("weight", 1.0) > 0
        ]
        for name, axis in axes.items()
    }


def compact(row: dict) -> dict:
    """``row`` with its contributions as ``[raw, normalised, weight, points]`` per criterion
    (the keys and rules are on the review): the stored row is a third of the size."""
    contributions = row.get("contributions")
    if not contributions:
        return row
    return {
        **row,
        "contributions": {
            axis: [
                [
                    None if c["raw"] is None else round(c["raw"], 4),
                    c["normalised"],
                    c["weight"],
                    c["points"],
                ]
                for c in items
            ]
            for axis, items in contributions.items()
        },
    }


def expand(data: dict, keys: dict | None) -> dict:
    """The engine's row from a stored one (see :func:`compact`)."""
    contributions = data.get("contributions")
    if not contributions or not keys:
        return data
    out = {}
    for axis, items in contributions.items():
        rows = []
        for (key, normalisation, missing), values in zip(keys.get(axis, []), items, strict=False):
            if isinstance(values, dict):  # stored before rows were compacted
                rows.append(values)
                continue
            raw, normalised, weight, points = values
            rows.append(
                {
                    "criterion": key,
                    "raw": raw,
                    "normalised": normalised,
                    "weight": weight,
                    "points": points,
                    "missing": raw is None,
                    "rule": missing if raw is None else normalisation,
                }
            )
        out[axis] = rows
    return {**data, "contributions": out}


class ReviewRow(models.Model):
    """One account in one review: the engine's row (``data``) with the columns pages filter,
    sort and search on."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="row_set")
    position = models.PositiveIntegerField()
    account_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    current_decision = models.CharField(max_length=16)
    decision = models.CharField(max_length=16)
    quadrant = models.CharField(max_length=32)
    attractiveness = models.FloatField()
    relative_strength = models.FloatField()
    strength_assessed = models.BooleanField(default=True)
    expected_gain = models.FloatField()
    #: Whether the review changes the account's decision, KAM or sponsor.
    changed = models.BooleanField(default=False)
    kam = models.CharField(max_length=64, blank=True)
    sponsor = models.CharField(max_length=64, blank=True)
    data = models.JSONField()

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "account_id"], name="review_row_unique"),
        ]
        indexes = [
            models.Index(fields=["review", "position"]),
            models.Index(fields=["review", "changed"]),
            # The account list's quadrant filter: the accounts of one quadrant of a review.
            models.Index(fields=["review", "quadrant", "account_id"], name="review_row_quadrant"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in review {self.review_id}"

    @staticmethod
    def columns(row: dict, position: int, review_id: int) -> dict:
        """The field values of the engine's ``row`` at ``position`` in review ``review_id``."""
        return {
            "review_id": review_id,
            "position": position,
            "account_id": row["account_id"],
            "name": (row.get("name") or "")[:200],
            "current_decision": row.get("current_decision") or row.get("current") or "not_key",
            "decision": row["decision"],
            "quadrant": row.get("quadrant") or "",
            "attractiveness": row.get("attractiveness") or 0.0,
            "relative_strength": row.get("relative_strength") or 0.0,
            "strength_assessed": row.get("strength_assessed", True),
            "expected_gain": row.get("expected_gain") or 0.0,
            "changed": bool(row.get("changes")),
            "kam": row.get("kam") or "",
            "sponsor": row.get("sponsor") or "",
            "data": compact(row),
        }
