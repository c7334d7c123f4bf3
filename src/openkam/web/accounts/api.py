"""REST endpoints for accounts, contacts and products."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from openkam.web.accounts import services
from openkam.web.accounts.filtersets import AccountFilterSet, ContactFilterSet
from openkam.web.accounts.models import Account, Contact, Product
from openkam.web.core import audit
from openkam.web.core.api import VersionedModelViewSet, VersionField, model_errors_as_400
from openkam.web.people.assignments import RuleViolation
from openkam.web.people.models import Person


class AccountSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="account_id", queryset=Account.objects.all(), required=False, allow_null=True
    )
    kam = serializers.SlugRelatedField(
        slug_field="person_id", queryset=Person.objects.all(), required=False, allow_null=True
    )
    sponsor = serializers.SlugRelatedField(
        slug_field="person_id", queryset=Person.objects.all(), required=False, allow_null=True
    )
    version = VersionField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:account-detail", lookup_field="account_id"
    )
    assignment_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the KAM or sponsor changes (kept in the assignment history).",
    )
    effective = serializers.DateField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text="When a change of KAM or sponsor takes effect (default today).",
    )
    exception_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="A change that breaks a programme rule goes through only with this written "
        "reason, from the champion or an admin, when the rules allow exceptions.",
    )

    class Meta:
        model = Account
        fields = [
            "url",
            "account_id",
            "name",
            "industry",
            "region",
            "country",
            "parent",
            "key_status",
            "kam",
            "sponsor",
            "notes",
            "version",
            "created",
            "updated",
            "assignment_reason",
            "effective",
            "exception_reason",
        ]
        read_only_fields = ["key_status", "created", "updated"]


def _assignment_options(values: dict) -> dict:
    """Pop the write-only assignment options out of validated values."""
    return {
        "reason": values.pop("assignment_reason", "") or "",
        "effective": values.pop("effective", None),
        "exception_reason": values.pop("exception_reason", "") or "",
    }


def rule_violation_response(exc: RuleViolation) -> Response:
    """The 400 answer to a change refused by the programme's rules: each broken rule."""
    return Response(
        {
            "detail": str(exc),
            "violations": [v.as_dict() for v in exc.violations],
            "exception_allowed": exc.exception_allowed,
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


class AccountViewSet(VersionedModelViewSet):
    """Customer accounts. Any signed-in user reads; KAMs edit their own; champions all."""

    serializer_class = AccountSerializer
    lookup_field = "account_id"
    lookup_value_regex = "[^/]+"
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "account_id", "industry", "region"]
    queryset = Account.objects.with_owner().order_by("name", "pk")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("version", None)
        options = _assignment_options(values)
        serializer.instance = services.create_account(
            values, self.request.user, source="api", **options
        )

    def perform_versioned_update(self, instance, values, version, user):
        options = _assignment_options(values)
        # Model and rule errors answer 400 in ``handle_exception`` (a broken rule with the
        # rule's own fields, so it is not turned into a plain validation error here).
        services.update_account(instance, values, version, user, source="api", **options)

    def handle_exception(self, exc):
        if isinstance(exc, RuleViolation):
            return rule_violation_response(exc)
        if isinstance(exc, DjangoValidationError):
            if hasattr(exc, "error_dict"):
                return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError as exc:
            names = sorted(str(obj) for obj in exc.protected_objects)[:10]
            return Response(
                {"detail": "The account still has subsidiaries: " + ", ".join(names)},
                status=status.HTTP_409_CONFLICT,
            )

    def perform_destroy(self, instance):
        with transaction.atomic():
            audit.record(
                "delete",
                instance,
                user=self.request.user,
                changes=audit.snapshot(instance),
                account_key=instance.account_id,
            )
            instance.delete()


class ContactSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=Account.objects.all())
    reports_to = serializers.SlugRelatedField(
        slug_field="contact_id", queryset=Contact.objects.all(), required=False, allow_null=True
    )
    version = VersionField()

    class Meta:
        model = Contact
        fields = [
            "contact_id",
            "account",
            "name",
            "title",
            "email",
            "phone",
            "reports_to",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]

    def validate(self, attrs):
        account = attrs.get("account") or getattr(self.instance, "account", None)
        request = self.context["request"]
        if account is not None and not account.editable_by(request.user):
            raise serializers.ValidationError(
                {"account": f"You may not add or move contacts to account {account.account_id}."}
            )
        boss = attrs.get("reports_to", getattr(self.instance, "reports_to", None))
        if boss is not None and account is not None and boss.account_id != account.pk:
            raise serializers.ValidationError(
                {"reports_to": f"{boss.contact_id} is not a contact of {account.account_id}."}
            )
        return attrs


class ContactViewSet(VersionedModelViewSet):
    """People at customer accounts, editable by those who may edit the account."""

    serializer_class = ContactSerializer
    lookup_field = "contact_id"
    lookup_value_regex = "[^/]+"
    filterset_class = ContactFilterSet
    queryset = Contact.objects.select_related("account", "reports_to").order_by("name", "pk")

    @staticmethod
    def allow_create_by(request) -> bool:
        # Whether the account is theirs is checked by the serializer.
        return True

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        account = data.pop("account")
        with model_errors_as_400():
            serializer.instance = services.create_contact(account, data, self.request.user)

    def perform_versioned_update(self, instance, values, version, user):
        with model_errors_as_400():
            services.update_contact(instance, values, version, user)

    def perform_destroy(self, instance):
        services.delete_contact(instance, self.request.user)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["product_id", "name", "product_line", "version"]
        read_only_fields = ["version"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products (read-only here; change them by import)."""

    serializer_class = ProductSerializer
    lookup_field = "product_id"
    lookup_value_regex = "[^/]+"
    queryset = Product.objects.order_by("product_id")
    filterset_fields = ["product_line"]


ROUTES = [
    ("accounts", AccountViewSet, "account"),
    ("contacts", ContactViewSet, "contact"),
    ("products", ProductViewSet, "product"),
]
