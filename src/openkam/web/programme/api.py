"""REST endpoints of the programme: readiness, partnerships, yearly reviews, thresholds."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from openkam.web.accounts.models import Account, Contact
from openkam.web.core.api import (
    SingleObjectSchema,
    VersionedModelViewSet,
    VersionField,
    conflict_response,
    model_errors_as_400,
    required_version,
)
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.roles import runs_programme
from openkam.web.programme import services
from openkam.web.programme.models import (
    Partnership,
    ProgrammeReview,
    ReadinessSettings,
    ReadinessSnapshot,
)

# --- readiness ----------------------------------------------------------------------------

STATUSES = ["met", "partly", "not_met"]


class EvidenceSerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(help_text="Where it is fixed (a page); may be empty.")


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(STATUSES)
    summary = serializers.CharField(help_text="The figures behind the status.")
    evidence = EvidenceSerializer(many=True)


class StepSerializer(serializers.Serializer):
    step = serializers.IntegerField(min_value=1, max_value=7)
    name = serializers.CharField()
    status = serializers.ChoiceField(STATUSES)
    checks = CheckSerializer(many=True)


class ReadinessSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    steps = StepSerializer(many=True)


class ReadinessSettingsSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = ReadinessSettings
        fields = [*ReadinessSettings.EDITABLE, "version"]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReadinessSnapshot
        fields = ["id", "taken_at", "statuses"]


class SnapshotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SnapshotSerializer(many=True)


class ReadinessViewSet(viewsets.GenericViewSet):
    """The seven steps of the rollout checked against the data, and their progress."""

    queryset = ReadinessSnapshot.objects.order_by("-taken_at", "-id")
    serializer_class = SnapshotSerializer
    filter_backends: list = []
    # The check is one object, not a page (the history pages itself).
    pagination_class = None
    schema = SingleObjectSchema()

    @extend_schema(responses=ReadinessSerializer)
    def list(self, request):
        """Readiness now: each step's checks with status and evidence (read only: nothing
        is recorded by reading)."""
        return Response(services.readiness_now())

    @extend_schema(responses=SnapshotPageSerializer)
    @action(detail=False)
    def history(self, request):
        """Recorded snapshots, newest first (each step's status when a change moved one)."""
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(self.get_queryset(), request, view=self)
        return paginator.get_paginated_response(SnapshotSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: SnapshotSerializer})
    @history.mapping.post
    def record(self, request):
        """Record a snapshot now (the champion or an admin)."""
        if not runs_programme(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator records readiness.")
        snapshot = services.record_readiness(force=True)
        return Response(SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: ReadinessSettingsSerializer})
    @extend_schema(
        methods=["PUT"],
        request=ReadinessSettingsSerializer,
        responses={
            200: ReadinessSettingsSerializer,
            400: OpenApiResponse(description="Invalid values, or no ``version``."),
            403: OpenApiResponse(description="Only the champion or an admin."),
            409: OpenApiResponse(description="Changed by someone else since ``version``."),
        },
    )
    @action(
        detail=False,
        methods=["get", "put"],
        url_path="settings",
        serializer_class=ReadinessSettingsSerializer,
        pagination_class=None,
    )
    def thresholds(self, request):
        """The champion's thresholds behind the check. Anyone signed in reads them; the
        champion or an admin changes them, stating the ``version`` read (1 before any)."""
        current = ReadinessSettings.current()
        if request.method == "GET":
            return Response(ReadinessSettingsSerializer(current).data)
        if not runs_programme(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator sets thresholds.")
        serializer = ReadinessSettingsSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = required_version(request.data)
        values = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        try:
            with model_errors_as_400():
                services.update_settings(values, version, request.user)
        except ConcurrentEditError as exc:
            return conflict_response(exc)
        return Response(ReadinessSettingsSerializer(ReadinessSettings.current()).data)


# --- partnerships -------------------------------------------------------------------------


class PartnershipSerializer(serializers.ModelSerializer):
    account_id = serializers.SlugRelatedField(
        source="account", slug_field="account_id", queryset=Account.objects.all()
    )
    agreed_by = serializers.SlugRelatedField(
        slug_field="contact_id",
        queryset=Contact.objects.all(),
        allow_null=True,
        required=False,
        help_text="The customer's contact who agreed (a contact of this account).",
    )
    benefits = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        read_only=False,
        queryset=Partnership.benefits.field.related_model.objects.all(),
        # Range-checked before the lookup: PostgreSQL refuses an id past its integer column.
        pk_field=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        help_text="Ids of the account plan's value propositions offered.",
    )
    version = VersionField()

    class Meta:
        model = Partnership
        fields = [
            "account_id",
            "status",
            "status_date",
            "agreed_by",
            "benefits",
            "notes",
            "version",
        ]


class PartnershipViewSet(VersionedModelViewSet):
    """Each key account's agreement to the partnership, addressed by ``account_id``."""

    serializer_class = PartnershipSerializer
    lookup_field = "account__account_id"
    lookup_url_kwarg = "account_id"
    lookup_value_regex = "[^/]+"
    queryset = Partnership.objects.select_related("account", "agreed_by").order_by(
        "account__name", "pk"
    )
    filterset_fields = ["status"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @staticmethod
    def allow_create_by(request) -> bool:
        data = request.data if isinstance(request.data, dict) else {}
        account = Account.objects.filter(account_id=data.get("account_id")).first()
        return account is None or account.editable_by(request.user)

    def _save(self, account, values, version):
        benefits = values.pop("benefits", None)
        values.pop("account", None)
        try:
            with model_errors_as_400():
                return services.set_partnership(
                    account,
                    values,
                    version,
                    self.request.user,
                    benefits=[b.pk for b in benefits] if benefits is not None else None,
                )
        except DjangoValidationError as exc:  # pragma: no cover - model_errors_as_400 maps it
            raise serializers.ValidationError(exc.messages) from exc

    def perform_create(self, serializer):
        account = serializer.validated_data["account"]
        if Partnership.objects.filter(account=account).exists():
            raise serializers.ValidationError(
                {"account_id": "This account's partnership exists: update it instead."}
            )
        serializer.instance = self._save(account, dict(serializer.validated_data), None)

    def perform_versioned_update(self, instance, values, version, user):
        if "account" in values and values["account"].pk != instance.account_id:
            raise serializers.ValidationError({"account_id": "Cannot move to another account."})
        self._save(instance.account, values, version)


# --- yearly programme review --------------------------------------------------------------


class ProgrammeReviewSerializer(serializers.ModelSerializer):
    version = VersionField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    # Null for the first review and until a review is signed (the schema says so).
    previous = serializers.SlugRelatedField(slug_field="year", read_only=True, allow_null=True)
    signed_by = serializers.SlugRelatedField(
        slug_field="person_id", read_only=True, allow_null=True
    )

    class Meta:
        model = ProgrammeReview
        fields = [
            "year",
            "status",
            "previous",
            "selection_review",
            "gathered",
            "decisions",
            "closed_at",
            "signed_by",
            "version",
        ]
        read_only_fields = ["status", "selection_review", "gathered", "closed_at"]


class ProgrammeReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Yearly programme reviews: the champion opens one per year, writes its decisions
    and closes it (signed by whoever closes it)."""

    serializer_class = ProgrammeReviewSerializer
    lookup_field = "year"
    lookup_value_regex = r"\d{4}"
    queryset = ProgrammeReview.objects.select_related("previous", "signed_by").order_by("-year")
    filterset_fields = ["status"]

    perform_update = VersionedModelViewSet.perform_update

    def handle_exception(self, exc):
        if isinstance(exc, ConcurrentEditError):
            return conflict_response(exc)
        return super().handle_exception(exc)

    def perform_create(self, serializer):
        with model_errors_as_400():
            serializer.instance = services.open_review(
                serializer.validated_data["year"], self.request.user
            )

    def perform_versioned_update(self, instance, values, version, user):
        values = {k: v for k, v in values.items() if k == "decisions"}
        with model_errors_as_400():
            services.update_review(instance, values, version, user)

    @extend_schema(
        request=inline_serializer(
            "ProgrammeReviewClose",
            {
                "decisions": serializers.CharField(required=False),
                "version": serializers.IntegerField(),
            },
        ),
        responses={
            200: ProgrammeReviewSerializer,
            409: OpenApiResponse(description="Stale version."),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request, year=None):
        """Close the review with its decisions; it keeps what it gathered."""
        review = get_object_or_404(ProgrammeReview, year=year)
        version = required_version(request.data)
        try:
            with model_errors_as_400():
                services.close_review(
                    review, str(request.data.get("decisions", "")), version, request.user
                )
        except ConcurrentEditError as exc:
            return conflict_response(exc)
        review.refresh_from_db()
        return Response(ProgrammeReviewSerializer(review).data)


ROUTES = [
    ("programme/readiness", ReadinessViewSet, "readiness"),
    ("partnerships", PartnershipViewSet, "partnership"),
    ("programme/reviews", ProgrammeReviewViewSet, "programme-review"),
]
