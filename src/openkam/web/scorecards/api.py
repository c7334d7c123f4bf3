"""REST endpoints of the scorecards: the period's scorecards (the CLI's JSON), one person's
full scorecard, recorded history, recording, the programme dashboard and the weights.

Who sees what is the pages' rule, checked here on the server: a KAM their own scorecard,
a sponsor their accounts' KAMs, the champion, executives and admins everyone.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from openkam.engine.scorecards import MEASURES
from openkam.web.core.api import SingleObjectSchema, conflict_response, required_version
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.people.models import Assignment, Person
from openkam.web.scorecards import services
from openkam.web.scorecards.dashboard import as_json, dashboard
from openkam.web.scorecards.filtersets import ScorecardFilterSet
from openkam.web.scorecards.models import Scorecard, ScorecardWeights

PERIOD = OpenApiParameter(
    "period", str, description="2025, 2025-Q3 or 2025-YTD (default: the last complete year)"
)
ROLE = OpenApiParameter("role", str, enum=["kam", "sponsor"], description="only this role")


class AccountCreditSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    months_held = serializers.IntegerField()
    net_sales = serializers.FloatField()
    net_contribution = serializers.FloatField()


class PersonScorecardSerializer(serializers.Serializer):
    person_id = serializers.CharField()
    name = serializers.CharField()
    # The same choice set as an assignment's role (one enum in the schema).
    role = serializers.ChoiceField(choices=Assignment.Role.choices)
    accounts = AccountCreditSerializer(many=True)
    net_sales = serializers.FloatField()
    net_contribution = serializers.FloatField()
    contribution_margin_pct = serializers.FloatField(allow_null=True)
    cost_to_serve_pct = serializers.FloatField(allow_null=True)
    delta_clv = serializers.FloatField(allow_null=True)
    plan_attainment_pct = serializers.FloatField(allow_null=True)
    rank_by_contribution = serializers.IntegerField(allow_null=True)
    rank_by_revenue = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)


class ScorecardsSerializer(serializers.Serializer):
    period = serializers.CharField()
    currency = serializers.CharField()
    people = PersonScorecardSerializer(many=True)


class AccountCoverageSerializer(serializers.Serializer):
    decision_makers = serializers.IntegerField()
    covered = serializers.IntegerField()


class AccountDetailSerializer(AccountCreditSerializer):
    name = serializers.CharField()
    cost_to_serve = serializers.FloatField()
    delta_clv = serializers.FloatField(allow_null=True)
    coverage = AccountCoverageSerializer()


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    net_sales = serializers.FloatField()
    net_contribution = serializers.FloatField()
    cost_to_serve_pct = serializers.FloatField(allow_null=True)


class PlanCountsSerializer(serializers.Serializer):
    objectives = serializers.FloatField(help_text="objectives, weighted by months held")
    objectives_met = serializers.FloatField()
    actions = serializers.IntegerField()
    actions_on_time = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True)


class CoverageSerializer(serializers.Serializer):
    decision_makers = serializers.IntegerField()
    covered = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True)
    accounts = serializers.DictField(child=AccountCoverageSerializer())


class VisitsSerializer(serializers.Serializer):
    expected = serializers.IntegerField()
    kept = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True)


class CommitmentsSerializer(serializers.Serializer):
    measured = serializers.IntegerField(help_text="commitment review periods measured")
    kept = serializers.IntegerField()
    pct = serializers.FloatField(allow_null=True)


class SnapshotsSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class ScorecardDetailSerializer(PersonScorecardSerializer):
    """One person's whole scorecard, as the page shows it."""

    accounts = AccountDetailSerializer(many=True)
    period = serializers.CharField()
    currency = serializers.CharField()
    months_held = serializers.IntegerField()
    gross_margin = serializers.FloatField()
    cost_to_serve = serializers.FloatField()
    net_contribution_prior = serializers.FloatField(allow_null=True)
    net_contribution_change = serializers.FloatField(allow_null=True)
    cost_to_serve_pct_prior = serializers.FloatField(allow_null=True)
    coverage_pct = serializers.FloatField(allow_null=True)
    sponsor_visits_pct = serializers.FloatField(allow_null=True)
    commitments_kept_pct = serializers.FloatField(allow_null=True)
    commitments = CommitmentsSerializer(allow_null=True)
    plan = PlanCountsSerializer(allow_null=True)
    coverage = CoverageSerializer()
    sponsor_visits = VisitsSerializer(allow_null=True)
    trend = MonthSerializer(many=True)
    points = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="0–100 per measure"
    )
    weights = serializers.DictField(child=serializers.IntegerField())
    of = serializers.IntegerField(help_text="people scored in the same role")
    clv_snapshots = SnapshotsSerializer()


class TotalsSerializer(serializers.Serializer):
    accounts = serializers.IntegerField()
    net_sales = serializers.FloatField()
    net_contribution = serializers.FloatField()
    contribution_margin_pct = serializers.FloatField(allow_null=True)
    clv = serializers.FloatField()


class SharesSerializer(serializers.Serializer):
    revenue = serializers.FloatField(allow_null=True)
    contribution = serializers.FloatField(allow_null=True)
    clv = serializers.FloatField(allow_null=True)


class LossMakerSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    name = serializers.CharField()
    net_sales = serializers.FloatField()
    net_contribution = serializers.FloatField()
    prior_net_contribution = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(choices=["improving", "worsening", "no prior figure"])
    monthly = serializers.ListField(child=serializers.DictField())
    clv = serializers.FloatField(allow_null=True)
    justified = serializers.BooleanField(allow_null=True)


class WhalePointSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    cumulative_pct = serializers.FloatField(allow_null=True)
    net_contribution = serializers.FloatField()


class WhaleSerializer(serializers.Serializer):
    accounts = serializers.IntegerField()
    curve = serializers.ListField(child=serializers.FloatField(allow_null=True))
    peak_rank = serializers.IntegerField()
    peak_pct = serializers.FloatField(allow_null=True)
    key_accounts = WhalePointSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    currency = serializers.CharField()
    clv_as_of = serializers.CharField()
    shares = SharesSerializer()
    programme = TotalsSerializer()
    rest = TotalsSerializer()
    portfolio = TotalsSerializer()
    loss_makers = LossMakerSerializer(many=True)
    whale = WhaleSerializer()
    kams = PersonScorecardSerializer(many=True)
    sponsors = PersonScorecardSerializer(many=True)
    revenue_warning = serializers.CharField(allow_null=True)


class HistorySerializer(serializers.Serializer):
    period = serializers.CharField()
    role = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    net_sales = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=False)
    net_contribution = serializers.DecimalField(
        max_digits=18, decimal_places=2, coerce_to_string=False
    )
    delta_clv = serializers.DecimalField(
        max_digits=18, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    rank_by_contribution = serializers.IntegerField(allow_null=True)
    rank_by_revenue = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class WeightsSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version your update is based on (optimistic locking)."
    )
    revenue_warning = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardWeights
        fields = [*MEASURES, "revenue_warning_share", "version", "revenue_warning"]

    def get_revenue_warning(self, obj) -> str | None:
        return services.revenue_warning()


class RecordSerializer(serializers.Serializer):
    period = serializers.CharField()
    recorded = serializers.IntegerField()


def _period(request):
    try:
        return services.resolve_period(request.query_params.get("period"))
    except services.NoFigures as exc:
        raise NotFound(str(exc)) from exc
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from exc


def _role(request):
    role = request.query_params.get("role")
    if role not in (None, "", "kam", "sponsor"):
        raise ValidationError({"role": f"unknown role {role!r}: kam or sponsor"})
    return role or None


class ScorecardViewSet(viewsets.ViewSet):
    """Scorecards credited by the months each account was held."""

    lookup_field = "person_id"
    lookup_value_regex = "[^/]+"
    schema = SingleObjectSchema()  # its list is one report, not a list

    @extend_schema(
        parameters=[
            PERIOD,
            ROLE,
            OpenApiParameter("person", str, description="only this person id"),
        ],
        responses=ScorecardsSerializer,
    )
    def list(self, request):
        period = _period(request)
        data = services.scorecards_for(
            request.user, period, person_id=request.query_params.get("person"), role=_role(request)
        )
        return Response(services.public_json(data))

    @extend_schema(
        parameters=[PERIOD, ROLE],
        responses={
            200: ScorecardDetailSerializer,
            403: OpenApiResponse(description="Not yours to see."),
            404: OpenApiResponse(description="No such person, or no account held."),
        },
    )
    def retrieve(self, request, person_id=None):
        person = get_object_or_404(Person, person_id=person_id)
        # Whom the user may ever see first, so that a refusal never depends on whether
        # figures exist (see views._card); then the period's own rule.
        if not services.may_see(request.user, person):
            raise PermissionDenied("You may not see this person's scorecard.")
        period = _period(request)
        if not services.may_see(request.user, person, period):
            raise PermissionDenied("You may not see this person's scorecard.")
        data = services.scorecards_for(
            request.user, period, person_id=person_id, role=_role(request)
        )
        if not data["people"]:
            raise NotFound(f"{person.person_id} held no account in {period.label}")
        card = data["people"][0]
        return Response(
            as_json(
                {
                    **services._jsonable(card),
                    "period": data["period"],
                    "currency": data["currency"],
                    "weights": data["weights"],
                    "clv_snapshots": data["clv_snapshots"],
                }
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("person", str, required=True),
            ROLE,
            OpenApiParameter("period", str, description="only this period"),
        ],
        responses=HistorySerializer(many=True),
    )
    @action(detail=False)
    def history(self, request):
        """A person's recorded scores, oldest period first."""
        pid = request.query_params.get("person")
        if not pid:
            raise ValidationError({"person": "Required: the person id."})
        person = get_object_or_404(Person, person_id=pid)
        if not services.may_see(request.user, person):
            raise PermissionDenied("You may not see this person's scorecards.")
        found = ScorecardFilterSet(request.query_params, queryset=Scorecard.objects.all())
        if not found.is_valid():
            raise ValidationError(found.errors)
        rows = sorted(found.qs, key=lambda s: services.period_sort(s.period))
        return Response(HistorySerializer(rows, many=True).data)

    @extend_schema(parameters=[PERIOD], request=None, responses=RecordSerializer)
    @action(detail=False, methods=["post"])
    def record(self, request):
        """Store every person's scorecard of the period (champion, admin)."""
        if not services.may_record(request.user):
            raise PermissionDenied("Only the KAM champion or an administrator records scores.")
        period = _period(request)
        count = services.record(period, user=request.user)
        return Response({"period": period.label, "recorded": count})

    @extend_schema(
        parameters=[PERIOD],
        responses=DashboardSerializer,
    )
    @action(detail=False)
    def dashboard(self, request):
        """The programme dashboard (champion, executives, admins)."""
        if not services.sees_all(request.user):
            raise PermissionDenied(
                "The programme dashboard is for the champion, executives and administrators."
            )
        return Response(as_json(dashboard(_period(request))))

    @extend_schema(methods=["GET"], responses=WeightsSerializer)
    @extend_schema(
        methods=["PUT"],
        request=WeightsSerializer,
        responses={
            200: WeightsSerializer,
            400: OpenApiResponse(description="Weights that do not add up to 100."),
            409: OpenApiResponse(description="Changed by someone else meanwhile."),
        },
    )
    @action(detail=False, methods=["get", "put"])
    def weights(self, request):
        """The composite score's weights; the champion or an admin changes them."""
        weights = ScorecardWeights.load()
        if request.method == "PUT":
            if not weights.editable_by(request.user):
                raise PermissionDenied(
                    "Only the KAM champion or an administrator sets the weights."
                )
            version = required_version(request.data)
            values = {
                k: request.data[k]
                for k in (*MEASURES, "revenue_warning_share")
                if k in request.data
            }
            try:
                services.update_weights(values, version, request.user)
            except DjangoPermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except services.WeightsError as exc:
                raise ValidationError(exc.errors) from exc
            except ConcurrentEditError as exc:
                return conflict_response(exc)
            weights = ScorecardWeights.load()  # as saved (the first save creates the row)
        return Response(WeightsSerializer(weights).data)


ROUTES = [("scorecards", ScorecardViewSet, "scorecard")]
