"""REST endpoints of key account selection: criteria, scores, overrides, reviews."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from openkam.engine.selection import SelectionInfeasible
from openkam.web.accounts.models import Account
from openkam.web.core.permissions import RolePermission
from openkam.web.portfolio import services
from openkam.web.portfolio.models import AssessedScore, CriteriaSet, Override, Review


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
    scored_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
    criteria_version = serializers.IntegerField(source="criteria.number", read_only=True)
    apply = serializers.BooleanField(write_only=True, required=False, default=False)

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
            "apply",
        ]
        read_only_fields = ["id", "status", "result", "overrides", "created", "applied_at"]
        extra_kwargs = {"label": {"required": False}}


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Selection reviews. POST computes one (``apply: true`` also applies its decisions);
    ``/decisions/`` lists the per-account decisions; ``/apply/`` applies a draft."""

    serializer_class = ReviewSerializer
    permission_classes = [RolePermission]
    queryset = Review.objects.select_related("criteria").order_by("-id")

    def create(self, request, *args, **kwargs):
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        review = _call(
            services.create_review,
            request.user,
            s.validated_data.get("label", ""),
            apply=s.validated_data.get("apply", False),
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def decisions(self, request, pk=None):
        review = self.get_object()
        keys = (
            "account_id",
            "attractiveness",
            "relative_strength",
            "quadrant",
            "decision",
            "kam",
            "sponsor",
            "reasons",
            "binding",
        )
        return Response([{k: r.get(k) for k in keys} for r in review.rows()])

    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        review = self.get_object()
        changed = _call(services.apply_review, review, request.user)
        return Response({"applied": True, "accounts_changed": changed})


ROUTES = [
    ("selection/criteria", CriteriaSetViewSet, "selection-criteria"),
    ("selection/scores", AssessedScoreViewSet, "selection-score"),
    ("selection/overrides", OverrideViewSet, "selection-override"),
    ("selection/reviews", ReviewViewSet, "selection-review"),
]
