"""REST endpoints for operations: commitments (CRUD), their status, service levels and the
allocation of scarce supply.

Thin adapters over ``operations.services``: rights, optimistic locking (409 on a stale
``version``), the owner rule and the audit trail are the same as on the pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from openkam.engine.operations import POLICIES
from openkam.web.accounts.models import Account, Product
from openkam.web.core.api import SingleObjectSchema, VersionedModelViewSet, VersionField
from openkam.web.core.permissions import EditorMayDeletePermission, RolePermission
from openkam.web.operations import filtersets, services
from openkam.web.operations.models import Commitment
from openkam.web.people.models import Person


class CommitmentSerializer(serializers.ModelSerializer):
    commitment_id = serializers.CharField(required=False, help_text="Given when omitted.")
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=Account.objects.all())
    product = serializers.SlugRelatedField(
        slug_field="product_id", queryset=Product.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="person_id",
        queryset=Person.objects.all(),
        help_text="person_id of the owner, in operations or supply chain",
    )
    version = VersionField()

    class Meta:
        model = Commitment
        fields = [
            "commitment_id",
            "account",
            "kind",
            "description",
            "product",
            "product_line",
            "protected_quantity",
            "start_date",
            "end_date",
            "owner",
            "measure",
            "target",
            "review_period",
            "customer_visible",
            "warning",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["warning", "created", "updated"]


def _model_errors(exc: DjangoValidationError) -> ValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return ValidationError(detail)


class CommitmentViewSet(VersionedModelViewSet):
    """Operations commitments to accounts, addressed by ``commitment_id``. A commitment to
    an account that is not key is accepted and says so in ``warning``."""

    serializer_class = CommitmentSerializer
    # Whoever may edit a commitment may remove it, as on its page.
    permission_classes = [EditorMayDeletePermission]
    lookup_field = "commitment_id"
    lookup_value_regex = "[^/]+"
    filterset_class = filtersets.CommitmentFilterSet
    queryset = Commitment.objects.select_related("account", "product", "owner").order_by("pk")

    @staticmethod
    def allow_create_by(request) -> bool:
        # Whether the user may record a commitment to that account is the service's call.
        return True

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("version", None)
        values.setdefault("product_line", "")
        if (
            values.get("commitment_id")
            and Commitment.objects.filter(commitment_id=values["commitment_id"]).exists()
        ):
            raise ValidationError({"commitment_id": "A commitment with this id exists."})
        try:
            serializer.instance = services.create_commitment(values, self.request.user, actor="api")
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise _model_errors(exc) from exc

    def perform_versioned_update(self, instance, values, version, user):
        values.pop("commitment_id", None)
        try:
            services.update_commitment(instance, values, version, user, actor="api")
        except DjangoValidationError as exc:
            raise _model_errors(exc) from exc

    def perform_destroy(self, instance):
        services.delete_commitment(instance, self.request.user, actor="api")


_STATUS = {
    "commitment_id": serializers.CharField(),
    "account_id": serializers.CharField(),
    "kind": serializers.CharField(),
    "measure": serializers.CharField(),
    "target": serializers.FloatField(allow_null=True),
    "period": serializers.CharField(),
    "value": serializers.FloatField(allow_null=True),
    "status": serializers.ChoiceField(["kept", "broken", "no data", "not measured"]),
    "order_lines": serializers.IntegerField(),
    "complete": serializers.BooleanField(),
    "owner_id": serializers.CharField(),
}


class CommitmentStatusViewSet(viewsets.ViewSet):
    """Kept or broken per commitment and period, measured from the order ledger."""

    permission_classes = [RolePermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.STR, description="account id"),
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="2025, 2025-Q3 or 2025-07 (default: all)"
            ),
        ],
        responses=inline_serializer("CommitmentStatus", _STATUS, many=True),
    )
    def list(self, request):
        account = request.query_params.get("account")
        period = request.query_params.get("period") or None
        try:
            rows = services.commitment_status([account] if account else None, period)
        except ValueError as exc:
            raise ValidationError({"period": str(exc)}) from exc
        return Response(rows)


_SERVICE_ROW = {
    "account_id": serializers.CharField(),
    "period": serializers.CharField(),
    "order_lines": serializers.IntegerField(),
    "otif_lines": serializers.IntegerField(),
    "otif_pct": serializers.FloatField(allow_null=True),
    "fill_rate_pct": serializers.FloatField(allow_null=True),
    "avg_lead_time_days": serializers.FloatField(allow_null=True),
    "ordered_quantity": serializers.FloatField(),
    "otif_quantity": serializers.FloatField(),
    "filled_quantity": serializers.FloatField(),
    "backorder_lines": serializers.IntegerField(),
    "backorder_quantity": serializers.FloatField(),
}


class OneReportSchema(AutoSchema):
    """The schema of a ``list`` that answers one report object, not a list of them
    (drf-spectacular takes every ``list`` action for an array)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ServiceLevelViewSet(viewsets.ViewSet):
    """OTIF, fill rate, lead time and backorders per account and period of the promised
    date (see docs/operations-commitments.md for the definitions)."""

    permission_classes = [RolePermission]
    schema = OneReportSchema()

    @extend_schema(
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=["month", "quarter", "year"]),
            OpenApiParameter("account", OpenApiTypes.STR, description="account id"),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
        ],
        responses=inline_serializer(
            "ServiceLevels",
            {
                "as_of": serializers.DateField(allow_null=True),
                "period": serializers.CharField(),
                "rows": inline_serializer("ServiceLevelRow", _SERVICE_ROW, many=True),
            },
        ),
    )
    def list(self, request):
        period = request.query_params.get("period") or "month"
        if period not in ("month", "quarter", "year"):
            raise ValidationError({"period": "Choose month, quarter or year."})
        try:
            as_of = services.parse_date(request.query_params.get("as_of"))
        except ValueError as exc:
            raise ValidationError({"as_of": str(exc)}) from exc
        account = request.query_params.get("account") or None
        return Response(services.service_report(period, account=account, as_of=as_of))


_LINE = {
    "order_id": serializers.CharField(),
    "line_no": serializers.IntegerField(),
    "account_id": serializers.CharField(),
    "product_id": serializers.CharField(),
    "open_quantity": serializers.FloatField(),
    "confirmed_quantity": serializers.IntegerField(),
    "confirmed_date": serializers.DateField(allow_null=True),
    "short_quantity": serializers.FloatField(),
    "rule": serializers.CharField(),
}
_ACCOUNT = {
    "account_id": serializers.CharField(),
    "name": serializers.CharField(),
    "key": serializers.BooleanField(),
    "lines": serializers.IntegerField(),
    "open_quantity": serializers.FloatField(),
    "confirmed_quantity": serializers.IntegerField(),
    "protected_quantity": serializers.IntegerField(),
    "short_quantity": serializers.FloatField(),
    "units_lost_to_priority": serializers.IntegerField(),
    "contribution_lost_to_priority": serializers.FloatField(),
}


class AllocationViewSet(viewsets.ViewSet):
    """The open order lines' confirmations under an allocation policy, with each account's
    what-if (units and contribution given up or gained because of protected quantities)."""

    permission_classes = [RolePermission]
    schema = SingleObjectSchema()  # one report, not a list

    @extend_schema(
        parameters=[
            OpenApiParameter("policy", OpenApiTypes.STR, enum=list(POLICIES)),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("account", OpenApiTypes.STR, description="only this account"),
        ],
        responses=inline_serializer(
            "Allocation",
            {
                "policy": serializers.CharField(),
                "as_of": serializers.DateField(allow_null=True),
                "currency": serializers.CharField(),
                "lines": inline_serializer("AllocationLine", _LINE, many=True),
                "accounts": inline_serializer("AllocationAccount", _ACCOUNT, many=True),
                "totals": serializers.DictField(),
            },
        ),
    )
    def list(self, request):
        policy = request.query_params.get("policy") or "protect"
        if policy not in POLICIES:
            raise ValidationError({"policy": f"Choose one of {', '.join(POLICIES)}."})
        try:
            as_of = services.parse_date(request.query_params.get("as_of"))
        except ValueError as exc:
            raise ValidationError({"as_of": str(exc)}) from exc
        report = services.allocation_report(policy, as_of)
        account = request.query_params.get("account")
        if account:
            report = {
                **report,
                "lines": [r for r in report["lines"] if r["account_id"] == account],
                "accounts": [a for a in report["accounts"] if a["account_id"] == account],
            }
        return Response(report)


ROUTES = [
    ("commitments", CommitmentViewSet, "commitment"),
    ("commitment-status", CommitmentStatusViewSet, "commitment-status"),
    ("service-levels", ServiceLevelViewSet, "service-level"),
    ("allocation", AllocationViewSet, "allocation"),
]
