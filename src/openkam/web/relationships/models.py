"""What a relationship map adds to a customer contact, and who of ours knows whom.

The contact itself stays in ``accounts.Contact`` (imports and the account page own it); this
app keeps the map's extra facts beside it: the contact's part in the buying decision, their
influence and attitude to us, whether they have left, dotted-line reports, and the strength
of each of our people's relationship with them.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openkam.web.core.models import ChangeLoggedModel, notes_field

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class BuyingRole(models.TextChoices):
    # The buying-centre roles of Miller & Heiman's "Strategic Selling" plus Webster & Wind's
    # gatekeeper and initiator, the vocabulary key account managers use.
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
    USER = "user", "User"
    COACH = "coach", "Coach"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    INFLUENCER = "influencer", "Influencer"
    INITIATOR = "initiator", "Initiator"
    OTHER = "other", "Other"


class Attitude(models.TextChoices):
    ADVOCATE = "advocate", "Advocate"
    SUPPORTER = "supporter", "Supporter"
    NEUTRAL = "neutral", "Neutral"
    SKEPTIC = "skeptic", "Sceptic"
    DETRACTOR = "detractor", "Detractor"


#: Relationship strength, so that a "3" means the same to every KAM.
STRENGTH_LABELS = {
    1: "knows the name",
    2: "occasional contact",
    3: "working relationship",
    4: "strong: speaks openly",
    5: "trusted advisor",
}


class ContactProfile(ChangeLoggedModel):
    """The map facts of one customer contact."""

    contact = models.OneToOneField(
        "accounts.Contact", on_delete=models.CASCADE, related_name="profile"
    )
    buying_role = models.CharField(
        "role in the buying decision",
        max_length=20,
        choices=BuyingRole.choices,
        default=BuyingRole.OTHER,
    )
    influence = models.PositiveSmallIntegerField(
        default=3, validators=ONE_TO_FIVE, help_text="1 (little) to 5 (decides)"
    )
    attitude = models.CharField(
        "attitude to us", max_length=12, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    left_company = models.BooleanField("has left the company", default=False)
    notes = notes_field()

    class Meta:
        ordering = ["contact__name"]

    def __str__(self) -> str:
        return f"profile of {self.contact}"

    def editable_by(self, user) -> bool:
        return self.contact.account.editable_by(user)


class DottedLine(ChangeLoggedModel):
    """An informal or matrix reporting line beside the solid ``reports_to`` line."""

    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="dotted_lines"
    )
    to_contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="dotted_reports"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "to_contact"], name="unique_dotted_line")
        ]

    def __str__(self) -> str:
        return f"{self.contact} ┄ {self.to_contact}"

    def editable_by(self, user) -> bool:
        return self.contact.account.editable_by(user)


class Relationship(ChangeLoggedModel):
    """How well one of our people knows a customer contact."""

    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="relationships"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="relationships"
    )
    strength = models.PositiveSmallIntegerField(
        default=3, validators=ONE_TO_FIVE, help_text="1 (knows the name) to 5 (trusted advisor)"
    )
    last_contact = models.DateField(null=True, blank=True)
    notes = notes_field()

    class Meta:
        ordering = ["-strength", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "person"], name="unique_relationship")
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.contact}"

    def editable_by(self, user) -> bool:
        return self.contact.account.editable_by(user)
