"""REST endpoints of key account selection: criteria, scores, overrides, reviews."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from openkam.engine.selection import SelectionInfeasible
from openkam.web.accounts.models import Account
from openkam.web.core.api import ComputationSerializer, start_run
from openkam.web.core.models import Computation
from openkam.web.core.permissions import RolePermission
from openkam.web.portfolio import services
from openkam.web.portfolio.models import AssessedScore, CriteriaSet, Override, Review, ReviewRow


def _call(fn, *args, **kwargs):
    """Run a service, turning its Django errors into API errors."""
    try:
        return fn(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError({"detail": exc.messages}) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except SelectionInfeasible as exc:
        raise ValidationError({"detail": str(exc), "reasons": exc.reasons}) from None


class CriteriaSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CriteriaSet
        fields = ["number", "name", "config", "note", "created"]
        read_only_fields = ["number", "name", "created"]


class CriteriaSetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Versions of the selection criteria; POST saves a new version (champion, admin)."""

    serializer_class = CriteriaSetSerializer
    permission_classes = [RolePermission]
    lookup_field = "number"
    queryset = CriteriaSet.objects.order_by("-number")

    def create(self, request, *args, **kwargs):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": 'Send an object: {"config": {…}, "note": …}.'})
        new = _call(
            services.save_criteria,
            request.data.get("config"),
            request.user,
            str(request.data.get("note") or ""),
        )
        return Response(CriteriaSetSerializer(new).data, status=status.HTTP_201_CREATED)


class AssessedScoreSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=Account.objects.all())
    scored_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AssessedScore
        fields = ["id", "account", "criterion", "value", "comment", "scored_by", "created"]
        read_only_fields = ["id", "scored_by", "created"]


class AssessedScoreViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """People's scores of assessed criteria (KAMs score their own accounts)."""

    serializer_class = AssessedScoreSerializer
    permission_classes = [RolePermission]
    queryset = AssessedScore.objects.select_related("account", "scored_by").order_by("-id")
    filterset_fields = ["criterion"]
    allow_create_by = staticmethod(lambda request: True)

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = _call(
            services.record_score,
            d["account"],
            d["criterion"],
            d["value"],
            d.get("comment", ""),
            self.request.user,
        )


class OverrideSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="account_id", queryset=Account.objects.all())
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Override
        fields = ["id", "account", "decision", "reason", "active", "created_by", "created"]
        read_only_fields = ["id", "active", "created_by", "created"]
        extra_kwargs = {"reason": {"allow_blank": True}}


class OverrideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The champion's overrides; DELETE withdraws one (it stays in the history)."""

    serializer_class = OverrideSerializer
    permission_classes = [RolePermission]
    queryset = Override.objects.select_related("account", "created_by").order_by("-id")
    filterset_fields = ["active", "decision"]

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = _call(
            services.add_override,
            d["account"],
            d["decision"],
            d.get("reason", ""),
            self.request.user,
        )

    def perform_destroy(self, instance):
        _call(services.withdraw_override, instance, self.request.user)


class ReviewSerializer(serializers.ModelSerializer):
    """A review's summary: its rules' outcome and objective; the accounts are paged at
    ``/decisions/`` (a review of 2,000 accounts would otherwise weigh megabytes)."""

    criteria_version = serializers.IntegerField(source="criteria.number", read_only=True)
    apply = serializers.BooleanField(write_only=True, required=False, default=False)
    result = serializers.SerializerMethodField()
    decisions_url = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "label",
            "status",
            "criteria_version",
            "result",
            "overrides",
            "created",
            "applied_at",
            "decisions_url",
            "apply",
        ]
        read_only_fields = ["id", "status", "overrides", "created", "applied_at"]
        extra_kwargs = {"label": {"required": False}}

    @extend_schema_field(
        {
            "type": "object",
            "description": "objective, currency, constraints (programme, kams, sponsors, "
            "changes, not_assessed …) and the config the review used",
        }
    )
    def get_result(self, review) -> dict:
        return {k: v for k, v in review.result.items() if k != "accounts"}

    def get_decisions_url(self, review) -> str:
        return f"/api/selection/reviews/{review.pk}/decisions/"


# "from" is a Python keyword, so the class is built from a dict of its fields.
ChangeSerializer = type(
    "ChangeSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One proposed change of an account's decision, KAM or sponsor, and why.",
        "field": serializers.ChoiceField(choices=["decision", "kam", "sponsor"]),
        "from": serializers.CharField(allow_null=True),
        "to": serializers.CharField(allow_null=True),
        "reason": serializers.CharField(),
    },
)


class DecisionSerializer(serializers.Serializer):
    """One account's decision in a review, with the changes it proposes and why."""

    account_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    attractiveness = serializers.FloatField()
    relative_strength = serializers.FloatField()
    strength_assessed = serializers.BooleanField()
    quadrant = serializers.CharField()
    expected_gain = serializers.FloatField()
    current_decision = serializers.CharField()
    current_kam = serializers.CharField(allow_null=True)
    current_sponsor = serializers.CharField(allow_null=True)
    decision = serializers.CharField()
    kam = serializers.CharField(allow_null=True)
    sponsor = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)
    reasons = serializers.ListField(child=serializers.CharField())
    binding = serializers.ListField(child=serializers.CharField())

    def to_representation(self, row):
        row = row.data if isinstance(row, ReviewRow) else row
        row = {
            **row,
            "current_decision": row.get("current_decision") or row.get("current"),
            "strength_assessed": row.get("strength_assessed", True),
            "changes": row.get("changes", []),
            "name": row.get("name", ""),
        }
        return super().to_representation(row)


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Selection reviews (summaries). POST computes one (``apply: true`` also applies its
    decisions); ``/decisions/`` pages the per-account decisions (filters: ``decision``,
    ``current_decision``, ``changed``, ``quadrant``, ``search``); ``/apply/`` applies a
    draft."""

    serializer_class = ReviewSerializer
    permission_classes = [RolePermission]
    queryset = Review.objects.select_related("criteria").defer("inputs").order_by("-id")

    @extend_schema(
        responses={
            202: ComputationSerializer,
            409: OpenApiResponse(description="A review is being computed already."),
        }
    )
    def create(self, request, *args, **kwargs):
        """Compute a review in the background (never on the request): 202 with the run;
        poll ``/api/runs/{id}/`` until ``status`` is ``done``, when ``params.review`` is the
        new draft (``apply: true`` also applies it: ``params.accounts_changed``, or
        ``params.apply_refused`` with the rules it would break; the draft is kept)."""
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        _call(services.require_programme, request.user)
        params = {
            "label": s.validated_data.get("label", ""),
            "criteria": services.current_criteria(saved=True).pk,
            "apply": s.validated_data.get("apply", False),
        }
        return start_run(request, Computation.Kind.SELECTION, services.compute_review, params)

    @extend_schema(
        responses=DecisionSerializer(many=True),
        parameters=[
            OpenApiParameter("decision", str, enum=["key", "not_key"]),
            OpenApiParameter("current_decision", str, enum=["key", "not_key"]),
            OpenApiParameter("changed", bool),
            OpenApiParameter("quadrant", str),
            OpenApiParameter("search", str, description="Account id or name contains"),
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def decisions(self, request, pk=None):
        review = self.get_object()
        qs = review.row_set.order_by("position")
        p = request.query_params
        for f in ("decision", "current_decision", "quadrant"):
            if p.get(f):
                qs = qs.filter(**{f: p[f]})
        if p.get("changed") in ("true", "1", "false", "0"):
            qs = qs.filter(changed=p["changed"] in ("true", "1"))
        if p.get("search"):
            qs = qs.filter(Q(account_id__icontains=p["search"]) | Q(name__icontains=p["search"]))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DecisionSerializer(page, many=True).data)

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "exception_reason": {
                        "type": "string",
                        "description": "Why the programme accepts the rules this breaks",
                    }
                },
            }
        },
        responses={200: dict},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply a draft; 400 with the broken rules unless ``exception_reason`` is given."""
        review = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        changed = _call(
            services.apply_review,
            review,
            request.user,
            exception_reason=str(data.get("exception_reason") or "").strip(),
        )
        return Response({"applied": True, "accounts_changed": changed})


ROUTES = [
    ("selection/criteria", CriteriaSetViewSet, "selection-criteria"),
    ("selection/scores", AssessedScoreViewSet, "selection-score"),
    ("selection/overrides", OverrideViewSet, "selection-override"),
    ("selection/reviews", ReviewViewSet, "selection-review"),
]
