"""Our own people and the KAM organisation: functions, executive levels, competencies,
training, who holds which account when (assignments), executive sponsors' visits, the
KAM champion, and the programme's organisation rules.

The account's ``kam`` and ``sponsor`` fields say who holds it *now*; ``Assignment`` keeps
who held it from when to when, so scorecards can credit people by the months they held an
account. Only ``people.assignments`` changes either, so the two never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openkam.web.core.models import ChangeLoggedModel, notes_field
from openkam.web.core.request_memo import once
from openkam.web.core.roles import Role, person_of, runs_programme


class Function(models.TextChoices):
    """Where someone works in the supplier (the seeds: KAM involves every function)."""

    SALES = "sales", "Sales"
    KEY_ACCOUNT_MANAGEMENT = "key_account_management", "Key account management"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    SUPPLY_CHAIN = "supply_chain", "Supply chain"
    MARKETING = "marketing", "Marketing"
    TECHNICAL = "technical", "Technical"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    EXECUTIVE = "executive", "Executive"


class ExecutiveLevel(models.TextChoices):
    """Seniority for sponsorship: the seeds ask for a C-level sponsor on every key account."""

    NONE = "", "Not an executive"
    DIRECTOR = "director", "Director"
    VICE_PRESIDENT = "vice_president", "Vice president"
    C_LEVEL = "c_level", "C-level (board)"


#: Executive levels in rising order, for "at least this level" rules.
EXECUTIVE_RANK = {
    ExecutiveLevel.NONE: 0,
    ExecutiveLevel.DIRECTOR: 1,
    ExecutiveLevel.VICE_PRESIDENT: 2,
    ExecutiveLevel.C_LEVEL: 3,
}


class Competency(models.TextChoices):
    """The KAM competency profile of the seeds (000): a generalist, not the best seller."""

    FINANCIAL_ACUMEN = "financial_acumen", "Business and financial acumen"
    PLANNING = "planning", "Inventory and planning"
    INFLUENCING = "influencing", "Influencing and communication up to CFO/CEO level"
    CONSULTATIVE = "consultative", "Consultative and relationship building"
    TECHNICAL = "technical", "Technical knowledge of our products"
    CUSTOMER_BUSINESS = "customer_business", "Understanding of the customer's business"


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
    function = models.CharField(max_length=32, choices=Function.choices, blank=True)
    executive_level = models.CharField(
        max_length=16, choices=ExecutiveLevel.choices, blank=True, default=ExecutiveLevel.NONE
    )
    full_time_kam = models.BooleanField(
        "full-time KAM", default=False, help_text="Works as a key account manager full time."
    )
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
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


class ProgrammeRules(ChangeLoggedModel):
    """The organisation rules of the key account programme, set by the champion.

    One row (``current()``). Defaults are the seeds': a KAM carries 2–5 key accounts full
    time; a sponsor is a C-level executive with 1–2 key accounts, visiting once a quarter;
    nobody is KAM and sponsor of the same account.
    """

    kam_min_accounts = models.PositiveSmallIntegerField(default=2)
    kam_max_accounts = models.PositiveSmallIntegerField(default=5)
    kam_must_be_full_time = models.BooleanField(default=True)
    sponsor_min_accounts = models.PositiveSmallIntegerField(default=1)
    sponsor_max_accounts = models.PositiveSmallIntegerField(default=2)
    sponsor_min_level = models.CharField(
        max_length=16,
        choices=[c for c in ExecutiveLevel.choices if c[0]],
        default=ExecutiveLevel.C_LEVEL,
    )
    #: Whether a change that breaks a rule may go through with a written reason.
    allow_exceptions = models.BooleanField(default=True)
    visit_every_days = models.PositiveSmallIntegerField(
        "sponsor visit every (days)", default=91, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name_plural = "programme rules"

    def __str__(self) -> str:
        return "programme rules"

    def editable_by(self, user) -> bool:
        return runs_programme(user)

    @classmethod
    def current(cls) -> ProgrammeRules:
        """The rules; the defaults, unsaved, before anyone saved rules (reads never write:
        ``current_for_update`` does)."""
        rules = once("programme rules", lambda: cls.objects.order_by("pk").first())
        return rules if rules is not None else cls()

    @classmethod
    def current_for_update(cls) -> ProgrammeRules:
        """The row an edit saves to, made with the defaults on the first edit."""
        rules = cls.objects.order_by("pk").first()
        return rules if rules is not None else cls.objects.create()


class CompetencyAssessment(ChangeLoggedModel):
    """One assessment of one competency of a person (1–5); appended, the latest counts."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    competency = models.CharField(max_length=32, choices=Competency.choices)
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    assessed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_on = models.DateField()
    notes = notes_field()

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_competency_display()} {self.level}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class CompetencyTarget(ChangeLoggedModel):
    """The champion's target level of one competency for key account managers."""

    competency = models.CharField(max_length=32, choices=Competency.choices, unique=True)
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    def __str__(self) -> str:
        return f"target {self.get_competency_display()} {self.level}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class TrainingRecord(ChangeLoggedModel):
    """A course someone took or is booked on."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="training")
    course = models.CharField(max_length=200)
    #: Whether the course is training in key account management (readiness step 1 and 5).
    kam_training = models.BooleanField("KAM training", default=False)
    date = models.DateField()
    completed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.person}: {self.course} ({self.date})"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class Assignment(models.Model):
    """Who held one role (KAM or sponsor) of one account, from ``start`` (inclusive) to
    ``end`` (exclusive; null while it lasts). Written only by ``people.assignments``."""

    class Role(models.TextChoices):
        KAM = "kam", "Key account manager"
        SPONSOR = "sponsor", "Executive sponsor"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    #: The written reason when the assignment was accepted against a rule.
    exception_reason = models.CharField(max_length=500, blank=True)
    #: Where the change came from: form, api, review, import, cli, demo.
    source = models.CharField(max_length=32, blank=True)
    #: Sponsor assignments: the visit cadence for this account (null: the programme's).
    visit_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "role", "start", "id"]
        indexes = [models.Index(fields=["person", "role", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="assignment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        until = self.end.isoformat() if self.end else "now"
        return f"{self.person} {self.role} of {self.account.account_id} {self.start}–{until}"


class RuleException(ChangeLoggedModel):
    """A rule the champion accepted to break, with the written reason (shown as an exception
    wherever the broken rule is listed)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rule_exceptions")
    #: The rule's key, e.g. ``kam_max_accounts`` (see ``people.rules``).
    rule = models.CharField(max_length=64)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="rule_exception_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"exception {self.rule} for {self.person}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class SponsorVisit(ChangeLoggedModel):
    """An executive sponsor's contact with a key account: a visit, call or quarterly review."""

    class Kind(models.TextChoices):
        VISIT = "visit", "Visit"
        CALL = "call", "Call"
        QUARTERLY_REVIEW = "quarterly_review", "Quarterly review"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sponsor_visits"
    )
    sponsor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.VISIT)
    people_met = models.ManyToManyField("accounts.Contact", blank=True, related_name="+")
    notes = notes_field()

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.sponsor} {self.get_kind_display().lower()} {self.account.account_id} "
            f"{self.date}"
        )

    def editable_by(self, user) -> bool:
        if runs_programme(user):
            return True
        person = person_of(user)
        return person is not None and person.pk == self.sponsor_id


class ChampionAppointment(ChangeLoggedModel):
    """Who is the KAM champion, since when, and to whom they report (the seeds: the
    champion drives the programme and reports to top management)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    reports_to = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = notes_field()

    class Meta:
        ordering = ["-since", "-id"]

    def __str__(self) -> str:
        return f"champion {self.person} since {self.since}"

    def editable_by(self, user) -> bool:
        return runs_programme(user)

    @classmethod
    def current(cls) -> ChampionAppointment | None:
        return cls.objects.filter(until__isnull=True).select_related("person").first()
