"""REST endpoints for relationship maps: contact profiles, dotted lines, our relationships,
and the coverage gaps of an account (read-only).

Thin adapters over ``relationships.services``, so rights, optimistic locking (409 on a stale
``version``) and the audit trail are the same as on the map page.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from openkam.web.accounts.models import Account, Contact
from openkam.web.core.api import (
    VersionedModelViewSet,
    VersionField,
    conflict_response,
    model_errors_as_400,
)
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.permissions import EditorMayDeletePermission
from openkam.web.people.models import Person
from openkam.web.relationships import coverage, filtersets, services
from openkam.web.relationships.models import ContactProfile, DottedLine, Relationship


class FixedOnUpdate:
    """Serializer mixin: the fields in ``fixed_on_update`` are set on creation only."""

    fixed_on_update: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)):
            for name in self.fixed_on_update:
                fields[name].read_only = True
        return fields


def _contact_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="contact_id", queryset=Contact.objects.select_related("account"), **kwargs
    )


# --- contact profiles --------------------------------------------------------------------


class ContactProfileSerializer(serializers.ModelSerializer):
    contact = serializers.CharField(source="contact.contact_id", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    account = serializers.CharField(source="contact.account.account_id", read_only=True)
    version = VersionField()
    # Null for a contact nobody has placed yet (its defaults are shown, nothing is stored).
    created = serializers.DateTimeField(read_only=True, allow_null=True)
    updated = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ContactProfile
        fields = [
            "contact",
            "contact_name",
            "account",
            "buying_role",
            "influence",
            "attitude",
            "left_company",
            "notes",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]


class ContactProfileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A customer contact's place on the map (buying role, influence 1–5, attitude to us),
    addressed by the ``contact_id``. A contact nobody has placed yet reads as the defaults
    (``created`` null, ``version`` 1) and reading creates nothing; the first update saves it.
    The contact itself is edited at ``/api/contacts/``."""

    serializer_class = ContactProfileSerializer
    lookup_field = "contact_id"
    lookup_value_regex = "[^/]+"
    filterset_class = filtersets.ContactProfileFilterSet
    queryset = ContactProfile.objects.select_related("contact__account").order_by(
        "contact__account__name", "contact__name", "pk"
    )
    # The version check and the 409 answer are the shared ones (see planning.api.PlanViewSet).
    perform_update = VersionedModelViewSet.perform_update

    def handle_exception(self, exc):
        if isinstance(exc, ConcurrentEditError):
            return conflict_response(exc)
        return super().handle_exception(exc)

    def get_object(self) -> ContactProfile:
        contact = get_object_or_404(
            Contact.objects.select_related("account"), contact_id=self.kwargs["contact_id"]
        )
        if self.request.method in ("PUT", "PATCH"):
            profile = services.profile_to_write(contact, self.request.user)
        else:
            profile = services.profile_of(contact)
        self.check_object_permissions(self.request, profile)
        return profile

    def perform_versioned_update(self, instance, values, version, user):
        with model_errors_as_400():
            services.update_profile(instance, values, version, user)


# --- dotted lines ------------------------------------------------------------------------


class DottedLineSerializer(serializers.ModelSerializer):
    contact = _contact_field(help_text="the contact with the dotted-line report")
    to_contact = _contact_field(help_text="whom they report to on the dotted line")
    account = serializers.CharField(source="contact.account.account_id", read_only=True)

    class Meta:
        model = DottedLine
        fields = ["id", "account", "contact", "to_contact", "note", "created"]
        read_only_fields = ["created"]

    def validate(self, attrs):
        contact, to = attrs["contact"], attrs["to_contact"]
        if contact == to or contact.account_id != to.account_id:
            raise ValidationError({"to_contact": "Must be another contact at the same account."})
        return attrs


class DottedLineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Informal or matrix reporting lines beside the solid ``reports_to`` line."""

    serializer_class = DottedLineSerializer
    permission_classes = [EditorMayDeletePermission]
    filterset_class = filtersets.DottedLineFilterSet
    queryset = DottedLine.objects.select_related("contact__account", "to_contact").order_by("pk")

    @staticmethod
    def allow_create_by(request) -> bool:
        # Whether the contact's account is theirs is checked by the service (403 if not).
        return True

    def perform_create(self, serializer):
        d = serializer.validated_data
        with model_errors_as_400():
            serializer.instance = services.add_dotted_line(
                d["contact"], d["to_contact"], d.get("note", ""), self.request.user
            )

    def perform_destroy(self, instance):
        services.delete_dotted_line(instance, self.request.user)


#: The largest ``days`` the coverage endpoint takes: a century.
MAX_STALE_DAYS = 36500


# --- relationships -----------------------------------------------------------------------


class RelationshipSerializer(FixedOnUpdate, serializers.ModelSerializer):
    fixed_on_update = ("contact", "person")

    contact = _contact_field()
    person = serializers.SlugRelatedField(
        slug_field="person_id",
        queryset=Person.objects.all(),
        help_text="person_id of our person who holds the relationship",
    )
    account = serializers.CharField(source="contact.account.account_id", read_only=True)
    version = VersionField()

    class Meta:
        model = Relationship
        fields = [
            "id",
            "account",
            "contact",
            "person",
            "strength",
            "last_contact",
            "notes",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["created", "updated"]


class RelationshipViewSet(VersionedModelViewSet):
    """How well one of our people knows a customer contact: strength 1 (knows the name)
    to 5 (trusted advisor) and the last contact date."""

    serializer_class = RelationshipSerializer
    permission_classes = [EditorMayDeletePermission]
    filterset_class = filtersets.RelationshipFilterSet
    queryset = Relationship.objects.select_related("contact__account", "person").order_by(
        "contact__account__name", "contact__name", "-strength", "pk"
    )

    @staticmethod
    def allow_create_by(request) -> bool:
        return True

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("version", None)
        contact = values.pop("contact")
        with model_errors_as_400():
            serializer.instance = services.add_relationship(contact, values, self.request.user)

    def perform_versioned_update(self, instance, values, version, user):
        with model_errors_as_400():
            services.update_relationship(instance, values, version, user)

    def perform_destroy(self, instance):
        services.delete_relationship(instance, self.request.user)


# --- coverage gaps -----------------------------------------------------------------------


CoverageSerializer = inline_serializer(
    "CoverageGaps",
    {
        "account": serializers.CharField(),
        "as_of": serializers.DateField(),
        "stale_after_days": serializers.IntegerField(),
        "gaps": inline_serializer(
            "CoverageGap",
            {
                "rule": serializers.CharField(),
                "message": serializers.CharField(),
                "contact_ids": serializers.ListField(child=serializers.CharField()),
                "detail": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
    },
)


class CoverageViewSet(viewsets.ViewSet):
    """The coverage gaps of an account's relationship map (read-only): no working
    relationship at the top, single-threaded, high-influence detractors, contacts who left,
    contacts not touched for ``days`` (see ``relationships.coverage``)."""

    lookup_field = "account_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                description="days without contact after which a contact is stale (1 to 36500)",
            )
        ],
        responses=CoverageSerializer,
    )
    def retrieve(self, request, account_id=None):
        account = get_object_or_404(Account, account_id=account_id)
        try:
            days = int(request.query_params.get("days") or services.stale_days())
        except ValueError as exc:
            raise ValidationError({"days": "Must be a whole number of days."}) from exc
        if days < 1:
            raise ValidationError({"days": "Must be at least 1."})
        if days > MAX_STALE_DAYS:
            # Beyond a century the cut-off date does not exist (timedelta overflows).
            raise ValidationError({"days": f"Must be at most {MAX_STALE_DAYS}."})
        today = timezone.localdate()
        _, records, _, map_rels = services.map_records(account)
        gaps = coverage.coverage_gaps(records, map_rels, today, days)
        return Response(
            {
                "account": account.account_id,
                "as_of": today,
                "stale_after_days": days,
                "gaps": [
                    {
                        "rule": g.rule,
                        "message": g.message,
                        "contact_ids": g.contact_ids,
                        "detail": g.detail,
                    }
                    for g in gaps
                ],
            }
        )


ROUTES = [
    ("contact-profiles", ContactProfileViewSet, "contact-profile"),
    ("dotted-lines", DottedLineViewSet, "dotted-line"),
    ("relationships", RelationshipViewSet, "relationship"),
    ("coverage", CoverageViewSet, "coverage"),
]
