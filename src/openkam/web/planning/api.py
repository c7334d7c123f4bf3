"""REST endpoints for key account plans and the rows of their lists.

Thin adapters over ``planning.services``: every write goes through a service, so the
rights check, optimistic locking (409 on a stale ``version``), the audit trail and the new
plan version happen exactly as on the pages.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from openkam.web.accounts.models import Account
from openkam.web.core.api import (
    VersionedModelViewSet,
    VersionField,
    conflict_response,
    model_errors_as_400,
)
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.permissions import EditorMayDeletePermission
from openkam.web.people.models import Person
from openkam.web.planning import filtersets, services
from openkam.web.planning.models import (
    Action,
    Objective,
    Plan,
    PlanVersion,
    Risk,
    ValueProposition,
    WhitespaceCell,
)

# --- plans -------------------------------------------------------------------------------


class PlanSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.account_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    version = VersionField()
    note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why this change: kept with the plan version it creates.",
    )

    class Meta:
        model = Plan
        fields = [
            "account",
            "account_name",
            *services.PLAN_FIELDS,
            "last_reviewed",
            "shared_sections",
            "note",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = ["last_reviewed", "shared_sections", "created", "updated"]


class PlanVersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.username", default=None, read_only=True, allow_null=True
    )
    signed_by = serializers.CharField(
        source="signed_by.person_id", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = PlanVersion
        fields = ["number", "created", "author", "note", "signed_by", "signed_at"]


class PlanVersionDetailSerializer(PlanVersionSerializer):
    class Meta(PlanVersionSerializer.Meta):
        fields = [*PlanVersionSerializer.Meta.fields, "content"]


CompareRowSerializer = inline_serializer(
    "PlanCompareRow",
    {
        "section": serializers.CharField(),
        "item": serializers.CharField(),
        "field": serializers.CharField(),
        "old": serializers.JSONField(allow_null=True),
        "new": serializers.JSONField(allow_null=True),
        "change": serializers.ChoiceField(["changed", "added", "removed"]),
    },
    many=True,
)


class PlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The key account plan of an account, addressed by its ``account_id``.

    Reading never creates anything: an account nobody started a plan for answers 404. The
    first update (``PATCH`` from ``version`` 1, the empty plan's) starts it, for those who
    may edit the account. Every saved change writes a new plan version; the sponsor signs
    versions off.
    """

    serializer_class = PlanSerializer
    lookup_field = "account_id"
    lookup_value_regex = "[^/]+"
    queryset = Plan.objects.select_related("account").order_by("account__name", "pk")
    filterset_fields = ["relationship_stage"]

    def get_object(self) -> Plan:
        account = get_object_or_404(Account, account_id=self.kwargs["account_id"])
        plan = services.existing_plan(account)
        if plan is None:
            if self.request.method in ("PUT", "PATCH"):
                plan = services.start_plan(account, self.request.user)
            else:
                raise NotFound(f"Account {account.account_id} has no plan yet.")
        self.check_object_permissions(self.request, plan)
        return plan

    # A plan is created by reading it and lives as long as its account, so this is not a
    # ModelViewSet (no create, no delete); the version check and the 409 answer are the
    # shared ones of ``VersionedModelViewSet``.
    perform_update = VersionedModelViewSet.perform_update

    def handle_exception(self, exc):
        if isinstance(exc, ConcurrentEditError):
            return conflict_response(exc)
        return super().handle_exception(exc)

    def perform_versioned_update(self, instance, values, version, user):
        note = values.pop("note", "")
        with model_errors_as_400():
            services.update_plan(instance, values, version, user, note=note)

    # A plain list (the schema said a page): no pagination, filters or ordering here.
    @extend_schema(responses=PlanVersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, account_id=None):
        """Every saved version of the plan, newest first."""
        plan = self.get_object()
        versions = plan.versions.select_related("author", "signed_by")
        return Response(PlanVersionSerializer(versions, many=True).data)

    @extend_schema(responses=PlanVersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version(self, request, account_id=None, number=None):
        """One version with the snapshot of the whole plan it holds."""
        plan = self.get_object()
        found = get_object_or_404(plan.versions, number=int(number))
        return Response(PlanVersionDetailSerializer(found).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", OpenApiTypes.INT, required=True, description="a version"),
            OpenApiParameter("b", OpenApiTypes.INT, required=True, description="another"),
        ],
        responses=CompareRowSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def compare(self, request, account_id=None):
        """Field-by-field differences from the older to the newer of versions ``a`` and ``b``."""
        plan = self.get_object()
        try:
            a, b = sorted((int(request.query_params["a"]), int(request.query_params["b"])))
        except (KeyError, ValueError) as exc:
            raise ValidationError({"a": "Give two version numbers as ?a=…&b=…"}) from exc
        older = get_object_or_404(plan.versions, number=a)
        newer = get_object_or_404(plan.versions, number=b)
        return Response(services.compare(older.content, newer.content))

    @extend_schema(request=None, responses=PlanVersionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>\d+)/sign",
        # Signing is not editing: the sponsor may sign a plan they may not edit. The
        # service decides (only the account's sponsor, or an admin).
        permission_classes=[IsAuthenticated],
    )
    def sign(self, request, account_id=None, number=None):
        """The account's executive sponsor signs a version off."""
        plan = self.get_object()
        found = get_object_or_404(plan.versions, number=int(number))
        return Response(PlanVersionSerializer(services.sign_off(found, request.user)).data)


# --- rows of a plan ----------------------------------------------------------------------


class PartSerializer(serializers.ModelSerializer):
    """A plan row; ``account`` names the plan on creation and cannot change afterwards."""

    account = serializers.SlugRelatedField(
        source="plan.account", slug_field="account_id", queryset=Account.objects.all()
    )
    version = VersionField()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)):
            fields["account"].read_only = True
        return fields


class PartViewSet(VersionedModelViewSet):
    """Create, edit and remove the rows of one of a plan's lists through the services."""

    kind: str = ""
    permission_classes = [EditorMayDeletePermission]

    @staticmethod
    def allow_create_by(request) -> bool:
        # Whether the plan's account is theirs is checked by the service (403 if not).
        return True

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("version", None)
        account = values.pop("plan")["account"]
        plan = services.existing_plan(account) or services.start_plan(account, self.request.user)
        with model_errors_as_400():
            serializer.instance = services.add_part(plan, self.kind, values, self.request.user)

    def perform_versioned_update(self, instance, values, version, user):
        values.pop("plan", None)
        with model_errors_as_400():
            services.update_part(instance, values, version, user)

    def perform_destroy(self, instance):
        services.delete_part(instance, self.request.user)


def _part_serializer(model, fields: list[str], extra: dict | None = None):
    attrs = {
        "Meta": type(
            "Meta",
            (),
            {
                "model": model,
                "fields": ["id", "account", *fields, "version", "created", "updated"],
                "read_only_fields": ["created", "updated"],
            },
        ),
        **(extra or {}),
    }
    return type(f"{model.__name__}Serializer", (PartSerializer,), attrs)


ObjectiveSerializer = _part_serializer(Objective, services.PARTS["objectives"][1])
ValuePropositionSerializer = _part_serializer(
    ValueProposition, services.PARTS["value_propositions"][1]
)
WhitespaceCellSerializer = _part_serializer(WhitespaceCell, services.PARTS["whitespace"][1])


@extend_schema_field(
    {"type": "string", "enum": Risk.Level.values, "description": "low, medium or high"},
    component_name="RiskLevel",
)
class RiskLevelField(serializers.ChoiceField):
    """Likelihood and impact share one scale, named once in the schema (drf-spectacular
    would otherwise make a LikelihoodEnum and an ImpactEnum of the same choices)."""

    def __init__(self, **kwargs):
        super().__init__(Risk.Level.choices, required=False, **kwargs)


RiskSerializer = _part_serializer(
    Risk,
    services.PARTS["risks"][1],
    {"likelihood": RiskLevelField(), "impact": RiskLevelField()},
)
ActionSerializer = _part_serializer(
    Action,
    services.PARTS["actions"][1],
    {
        "owner": serializers.SlugRelatedField(
            slug_field="person_id",
            queryset=Person.objects.all(),
            required=False,
            allow_null=True,
            help_text="person_id of the owner: anyone in the company",
        )
    },
)


def _rows(model):
    return model.objects.select_related("plan__account").order_by("plan__account__name", "pk")


class ObjectiveViewSet(PartViewSet):
    """Yearly targets of a plan on net sales, net contribution or CLV."""

    kind = "objectives"
    serializer_class = ObjectiveSerializer
    filterset_class = filtersets.ObjectiveFilterSet
    queryset = _rows(Objective)


class ValuePropositionViewSet(PartViewSet):
    """Solutions with a measurable gain for the customer."""

    kind = "value_propositions"
    serializer_class = ValuePropositionSerializer
    filterset_class = filtersets.ValuePropositionFilterSet
    queryset = _rows(ValueProposition)


class WhitespaceCellViewSet(PartViewSet):
    """Potential sales of a product line to one of the customer's business units."""

    kind = "whitespace"
    serializer_class = WhitespaceCellSerializer
    filterset_class = filtersets.WhitespaceFilterSet
    queryset = _rows(WhitespaceCell)


class RiskViewSet(PartViewSet):
    """Risks to the plan with likelihood, impact and mitigation."""

    kind = "risks"
    serializer_class = RiskSerializer
    filterset_class = filtersets.RiskFilterSet
    queryset = _rows(Risk)


class ActionViewSet(PartViewSet):
    """Cross-functional actions; filter with ``?overdue=true`` or ``?owner=<person_id>``."""

    kind = "actions"
    serializer_class = ActionSerializer
    filterset_class = filtersets.ActionFilterSet
    queryset = _rows(Action).select_related("owner")


ROUTES = [
    ("plans", PlanViewSet, "plan"),
    ("objectives", ObjectiveViewSet, "objective"),
    ("value-propositions", ValuePropositionViewSet, "value-proposition"),
    ("whitespace", WhitespaceCellViewSet, "whitespace-cell"),
    ("risks", RiskViewSet, "risk"),
    ("actions", ActionViewSet, "action"),
]
