"""Customer accounts, their products and the people we know there."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from openkam.web.core.models import ChangeLoggedModel, notes_field
from openkam.web.core.request_memo import once
from openkam.web.core.roles import may_write, person_of, runs_programme

#: A value no field has: a field not loaded.
_UNKNOWN = object()


#: The version of a set of accounts as the lists show them (an edit of the notes leaves
#: it: see ``Account.listed_at``): how many, the highest id, the latest ``listed_at``.
LISTED_VERSION = {"accounts": Count("id"), "top": Max("id"), "listed": Max("listed_at")}


class AccountQuerySet(models.QuerySet):
    def listed_version(self) -> tuple:
        """:data:`LISTED_VERSION` of these accounts, for the key of a page kept rendered."""
        return tuple(sorted(self.aggregate(**LISTED_VERSION).items()))

    def editable_by(self, user):
        """Accounts ``user`` may edit: all for the programme roles, else their own."""
        if runs_programme(user):
            return self
        person = person_of(user)
        if person is None or not may_write(user):
            return self.none()
        return self.filter(Q(kam=person) | Q(team_members__person=person)).distinct()

    def with_owner(self):
        return self.select_related("kam", "sponsor", "parent")


class Account(ChangeLoggedModel):
    """A customer account; subsidiaries roll up to their parent."""

    class KeyStatus(models.TextChoices):
        KEY = "key", "Key account"
        NOT_KEY = "not_key", "Not key"

    account_id = models.CharField("account id", max_length=64, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    industry = models.CharField(max_length=100, db_index=True)
    region = models.CharField(max_length=100, db_index=True)
    country = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subsidiaries"
    )
    key_status = models.CharField(
        "status", max_length=16, choices=KeyStatus.choices, default=KeyStatus.NOT_KEY, db_index=True
    )
    kam = models.ForeignKey(
        "people.Person",
        verbose_name="key account manager",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kam_accounts",
    )
    sponsor = models.ForeignKey(
        "people.Person",
        verbose_name="executive sponsor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_accounts",
    )
    notes = notes_field()
    #: When something the lists show about the account last changed: any field but the
    #: notes, its KAM and sponsor history, its sponsor's visit cadence. Pages that keep a
    #: rendered list or summary of accounts key it on the latest of these
    #: (``core.versions``), so that an edit of an account's notes, the most frequent
    #: edit, leaves them as they are.
    listed_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = AccountQuerySet.as_manager()

    #: The fields whose change moves ``listed_at`` (attribute names; every field but the
    #: notes and the bookkeeping).
    LISTED = (
        "account_id",
        "name",
        "industry",
        "region",
        "country",
        "parent_id",
        "key_status",
        "kam_id",
        "sponsor_id",
    )
    #: What ``core.versions.stamp`` reads as this table's version (besides the row count
    #: and the highest id).
    VERSION_FIELDS = ("listed_at",)

    @classmethod
    def from_db(cls, db, field_names, values):
        account = super().from_db(db, field_names, values)
        account._listed = account._listed_values()
        return account

    def _listed_values(self) -> tuple:
        # A deferred field is not in __dict__: it counts as unknown, never as unchanged.
        return tuple(self.__dict__.get(name, _UNKNOWN) for name in self.LISTED)

    def save(self, *args, **kwargs):
        if self._state.adding or getattr(self, "_listed", None) != self._listed_values():
            self.listed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "listed_at"}
        super().save(*args, **kwargs)
        self._listed = self._listed_values()

    class Meta:
        ordering = ["name"]
        # The account list's sorts page by keyset on (column, id): one index each.
        indexes = [
            models.Index(fields=["name", "id"], name="account_name_id"),
            models.Index(fields=["industry", "id"], name="account_industry_id"),
            models.Index(fields=["region", "id"], name="account_region_id"),
            models.Index(fields=["key_status", "id"], name="account_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:detail", args=[self.account_id])

    def clean(self):
        super().clean()
        # A cycle would make the roll-up of figures (``subtree_ids``) never end.
        node, seen = self.parent, set()
        while node is not None and node.pk not in seen:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError(
                    {"parent": "An account cannot be below itself or its own subsidiary."}
                )
            seen.add(node.pk)
            node = node.parent

    def editable_by(self, user) -> bool:
        if runs_programme(user):
            return True
        person = person_of(user)
        if person is None or not may_write(user):
            return False
        return self.kam_id == person.pk or self.team_members.filter(person=person).exists()

    def subtree_ids(self) -> list[str]:
        """``account_id`` of this account and every subsidiary below it."""
        return list(once(("subtree", self.pk), self._subtree_ids))

    def _subtree_ids(self) -> list[str]:
        ids, frontier = [self.account_id], [self.pk]
        while frontier:
            children = list(
                Account.objects.filter(parent_id__in=frontier).values_list("pk", "account_id")
            )
            frontier = [pk for pk, _ in children]
            ids.extend(aid for _, aid in children)
        return ids


class AccountTeamMember(models.Model):
    """Someone from any function who works on the account with its KAM."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="teams")
    responsibility = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "person"], name="unique_team_member")
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.account}"


class Product(ChangeLoggedModel):
    """A product and its product line."""

    product_id = models.CharField("product id", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    product_line = models.CharField(max_length=100, db_index=True)

    class Meta:
        ordering = ["product_line", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.product_id})"

    def editable_by(self, user) -> bool:
        return runs_programme(user)


class Contact(ChangeLoggedModel):
    """A person at the customer."""

    contact_id = models.CharField("contact id", max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        # A reporting line never crosses accounts: the map would draw another customer's
        # people, and a KAM could link (and so reveal) contacts of accounts not theirs.
        if self.reports_to_id is not None and self.reports_to.account_id != self.account_id:
            raise ValidationError(
                {"reports_to": "Must be a contact of the same account."}, code="other_account"
            )
        if self.reports_to_id is not None and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": "A contact cannot report to themselves."})

    def editable_by(self, user) -> bool:
        return self.account.editable_by(user)
