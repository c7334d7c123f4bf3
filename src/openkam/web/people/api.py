"""REST endpoints of the KAM organisation: people, assignments (read; changed only through
``people.assignments``), competency assessments and targets, training, sponsor visits, the
champion, the programme's rules and the rules broken now. Writes go through the services,
which check permissions and write the audit trail."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from openkam.web.accounts.models import Account, Contact
from openkam.web.core.api import (
    VersionedModelViewSet,
    VersionField,
    conflict_response,
    required_version,
)
from openkam.web.core.concurrency import ConcurrentEditError
from openkam.web.core.permissions import EditorMayDeletePermission
from openkam.web.people import assignments, filtersets, services
from openkam.web.people import rules as org_rules
from openkam.web.people.assignments import RuleViolation
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    CompetencyAssessment,
    CompetencyTarget,
    Person,
    ProgrammeRules,
    SponsorVisit,
    TrainingRecord,
)


def _django_errors(exc: DjangoValidationError) -> Response:
    if isinstance(exc, RuleViolation):
        return Response(
            {
                "detail": str(exc),
                "violations": [v.as_dict() for v in exc.violations],
                "exception_allowed": exc.exception_allowed,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if hasattr(exc, "error_dict"):
        return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
    return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)


class ServiceErrorsMixin:
    """A service's ``ValidationError`` (and a refused rule) answers 400 with what and why."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            return _django_errors(exc)
        if isinstance(exc, ConcurrentEditError):
            return conflict_response(exc)
        return super().handle_exception(exc)


def _person_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="person_id", queryset=Person.objects.all(), **kwargs
    )


def _account_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="account_id", queryset=Account.objects.all(), **kwargs
    )


class LoadSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["ok", "over", "under", ""], help_text="Empty when the person holds no such role."
    )
    text = serializers.CharField()


class PersonSerializer(serializers.ModelSerializer):
    version = VersionField()
    # Null for a person without a login (the schema says so).
    username = serializers.CharField(
        source="user.username", read_only=True, default=None, allow_null=True
    )
    reports_to = _person_field(required=False, allow_null=True)
    key_accounts_as_kam = serializers.IntegerField(read_only=True, source="n_key_kam")
    key_accounts_as_sponsor = serializers.IntegerField(read_only=True, source="n_key_sponsor")

    class Meta:
        model = Person
        fields = [
            "person_id",
            "name",
            "email",
            "role",
            "title",
            "function",
            "executive_level",
            "full_time_kam",
            "reports_to",
            "active",
            "username",
            "key_accounts_as_kam",
            "key_accounts_as_sponsor",
            "version",
        ]


class PersonViewSet(ServiceErrorsMixin, VersionedModelViewSet):
    """Our people with their place in the organisation and their key-account loads.
    Everyone reads; the champion and admins edit."""

    serializer_class = PersonSerializer
    lookup_field = "person_id"
    lookup_value_regex = "[^/]+"
    filterset_class = filtersets.PersonFilterSet
    search_fields = ["name", "email", "person_id"]
    queryset = (
        Person.objects.select_related("user", "reports_to")
        .annotate(
            n_key_kam=Count(
                "kam_accounts", filter=Q(kam_accounts__key_status="key"), distinct=True
            ),
            n_key_sponsor=Count(
                "sponsored_accounts", filter=Q(sponsored_accounts__key_status="key"), distinct=True
            ),
        )
        .order_by("name", "pk")
    )

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        values.pop("version", None)
        serializer.instance = services.create_person(values, self.request.user)
        serializer.instance.n_key_kam = serializer.instance.n_key_sponsor = 0

    def perform_versioned_update(self, instance, values, version, user):
        services.update_person(instance, values, version, user)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.delete_person(instance, self.request.user)


class AssignmentSerializer(serializers.ModelSerializer):
    account = _account_field()
    person = _person_field(allow_null=True)
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "account",
            "role",
            "person",
            "start",
            "end",
            "reason",
            "exception_reason",
            "source",
            "visit_every_days",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class AssignRequestSerializer(serializers.Serializer):
    """A change of KAM or sponsor: made through the programme's rules."""

    account = _account_field()
    role = serializers.ChoiceField(choices=Assignment.Role.choices)
    person = _person_field(allow_null=True, help_text="The new holder; null for nobody.")
    effective = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    exception_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Accepts a change that breaks a rule (the champion or an admin, when the "
        "rules allow exceptions); kept in the audit trail.",
    )
    visit_every_days = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class AssignResponseSerializer(serializers.Serializer):
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True)),
        help_text="{field: [old, new]}",
    )
    assignment = AssignmentSerializer(allow_null=True)


class ViolationSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=list(org_rules.RULES))
    title = serializers.CharField()
    person_id = serializers.CharField()
    person_name = serializers.CharField()
    account_id = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(allow_null=True)
    limit = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    exception_reason = serializers.CharField(allow_blank=True)


def _violation_json(v) -> dict:
    return {**v.as_dict(), "title": v.title, "limit": None if v.limit is None else str(v.limit)}


class AssignmentViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Who held which account as KAM or sponsor, from ``start`` (inclusive) to ``end``
    (exclusive; null while it lasts). Creating one changes the account's KAM or sponsor
    through the programme's rules (the champion or an admin): a change that breaks a rule
    answers 400 with each broken rule, unless ``exception_reason`` is accepted."""

    serializer_class = AssignmentSerializer
    filterset_class = filtersets.AssignmentFilterSet
    queryset = Assignment.objects.select_related("account", "person", "recorded_by").order_by(
        "account__account_id", "role", "start", "id"
    )

    @staticmethod
    def allow_create_by(request) -> bool:
        # The service decides (only the champion or an admin assigns) and answers 403.
        return True

    @extend_schema(request=AssignRequestSerializer, responses=AssignResponseSerializer)
    def create(self, request, *args, **kwargs):
        data = AssignRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        account = v["account"]
        changes = assignments.assign(
            account,
            **{v["role"]: v["person"]},
            effective=v.get("effective"),
            reason=v.get("reason", ""),
            exception_reason=v.get("exception_reason", ""),
            user=request.user,
            source="api",
            visit_every_days=v.get("visit_every_days"),
        )
        if v["role"] == "sponsor" and v.get("visit_every_days") and "sponsor" not in changes:
            # The same sponsor with a cadence of their own for this account.
            services.set_visit_cadence(account, v["visit_every_days"], request.user)
        row = (
            Assignment.objects.filter(account=account, role=v["role"], end__isnull=True)
            .select_related("account", "person", "recorded_by")
            .first()
        )
        return Response(
            {
                "changes": changes,
                "assignment": AssignmentSerializer(row).data if row else None,
            },
            status=status.HTTP_201_CREATED if changes else status.HTTP_200_OK,
        )


class AssessmentSerializer(serializers.ModelSerializer):
    person = _person_field()
    assessed_by = _person_field(required=False, allow_null=True)

    class Meta:
        model = CompetencyAssessment
        fields = ["id", "person", "competency", "level", "assessed_by", "assessed_on", "notes"]


class AssessmentViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Competency assessments (1–5), appended; the latest per competency counts. The
    champion and admins record them."""

    serializer_class = AssessmentSerializer
    filterset_class = filtersets.AssessmentFilterSet
    queryset = CompetencyAssessment.objects.select_related("person", "assessed_by")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        person = values.pop("person")
        serializer.instance = services.add_assessment(person, values, self.request.user)


class TargetSerializer(serializers.ModelSerializer):
    version = VersionField(read_only=True)

    class Meta:
        model = CompetencyTarget
        fields = ["competency", "level", "version"]


class TargetViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The champion's target level per competency for KAMs; posting a competency's
    target sets it (creates or replaces)."""

    serializer_class = TargetSerializer
    lookup_field = "competency"
    queryset = CompetencyTarget.objects.order_by("competency")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        # A target already set is replaced, so the unique check of the model is not wanted.
        serializer.fields["competency"].validators = []
        serializer.is_valid(raise_exception=True)
        target = services.set_target(
            serializer.validated_data["competency"],
            serializer.validated_data["level"],
            request.user,
        )
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class TrainingSerializer(serializers.ModelSerializer):
    person = _person_field()

    class Meta:
        model = TrainingRecord
        fields = ["id", "person", "course", "kam_training", "date", "completed", "version"]
        read_only_fields = ["version"]


class TrainingViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Courses people took or are booked on (``kam_training``: a course in key account
    management). The champion and admins record them."""

    serializer_class = TrainingSerializer
    filterset_class = filtersets.TrainingFilterSet
    queryset = TrainingRecord.objects.select_related("person")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        person = values.pop("person")
        serializer.instance = services.add_training(person, values, self.request.user)

    def perform_destroy(self, instance):
        services.delete_training(instance, self.request.user)


class VisitSerializer(serializers.ModelSerializer):
    account = _account_field()
    sponsor = _person_field()
    people_met = serializers.SlugRelatedField(
        slug_field="contact_id", many=True, queryset=Contact.objects.all(), required=False
    )

    class Meta:
        model = SponsorVisit
        fields = ["id", "account", "sponsor", "date", "kind", "people_met", "notes", "version"]
        read_only_fields = ["version"]


class VisitViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Executive sponsors' contacts with accounts (visit, call, quarterly review). A
    sponsor logs their own; the champion and admins log anyone's."""

    serializer_class = VisitSerializer
    filterset_class = filtersets.VisitFilterSet
    # A sponsor removes a visit they logged by mistake, as ``services.delete_visit`` allows
    # (``SponsorVisit.editable_by``); the default keeps deletes for the programme roles.
    permission_classes = [EditorMayDeletePermission]
    queryset = SponsorVisit.objects.select_related("account", "sponsor").prefetch_related(
        "people_met"
    )

    @staticmethod
    def allow_create_by(request) -> bool:
        return True  # the service decides: the sponsor themselves, the champion or an admin

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        met = values.pop("people_met", [])
        serializer.instance = services.log_visit(values, self.request.user, people_met=met)

    def perform_destroy(self, instance):
        services.delete_visit(instance, self.request.user)


class VisitStatusSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.account_id")
    sponsor = serializers.CharField(source="sponsor.person_id")
    every_days = serializers.IntegerField()
    last_visit = serializers.DateField(allow_null=True)
    due = serializers.DateField()
    overdue = serializers.BooleanField()
    days_overdue = serializers.IntegerField()


class VisitStatusViewSet(viewsets.ViewSet):
    """Per key account with a sponsor: the cadence, the last contact, when the next is due
    and whether it is overdue (``?sponsor=PERSON``, ``?overdue=true``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("sponsor", OpenApiTypes.STR, description="A sponsor's person id"),
            OpenApiParameter(
                "overdue", OpenApiTypes.BOOL, description="Only the contacts past due"
            ),
        ],
        responses=VisitStatusSerializer(many=True),
    )
    def list(self, request):
        sponsor = None
        if request.query_params.get("sponsor"):
            sponsor = Person.objects.filter(person_id=request.query_params["sponsor"]).first()
            if sponsor is None:
                return Response({"sponsor": "Unknown person."}, status=400)
        rows = services.visit_status(sponsor=sponsor)
        if request.query_params.get("overdue") in ("true", "1"):
            rows = [r for r in rows if r["overdue"]]
        return Response(VisitStatusSerializer(rows, many=True).data)


class RulesSerializer(serializers.ModelSerializer):
    # Null while the programme's defaults hold (no one saved the rules yet).
    updated = serializers.DateTimeField(read_only=True, allow_null=True)
    version = VersionField()
    # Null while the rules are the defaults nobody has saved yet (reads create no row).
    updated = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ProgrammeRules
        fields = [
            "kam_min_accounts",
            "kam_max_accounts",
            "kam_must_be_full_time",
            "sponsor_min_level",
            "sponsor_min_accounts",
            "sponsor_max_accounts",
            "allow_exceptions",
            "visit_every_days",
            "version",
            "updated",
        ]
        read_only_fields = ["updated"]


class RulesViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """The programme's organisation rules (one record, ``current``). Everyone reads; the
    champion and admins change them, stating the ``version`` they read (409 when stale)."""

    serializer_class = RulesSerializer
    queryset = ProgrammeRules.objects.all()
    lookup_value_regex = "current"

    def get_object(self):
        return ProgrammeRules.current()

    def retrieve(self, request, pk=None):
        return Response(RulesSerializer(self.get_object()).data)

    def update(self, request, pk=None, partial=False):
        rules = self.get_object()
        version = required_version(request.data)
        serializer = RulesSerializer(rules, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("version", None)
        services.update_rules(values, version, request.user)
        return Response(RulesSerializer(ProgrammeRules.current()).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


class ViolationViewSet(viewsets.ViewSet):
    """Every programme rule broken now, each with the reason of the exception that covers
    it (empty when none does)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ViolationSerializer(many=True))
    def list(self, request):
        return Response([_violation_json(v) for v in org_rules.current_violations()])


class ChampionSerializer(serializers.ModelSerializer):
    person = _person_field()
    reports_to = _person_field(required=False, allow_null=True)

    class Meta:
        model = ChampionAppointment
        fields = ["id", "person", "since", "until", "reports_to", "notes", "version"]
        read_only_fields = ["until", "version"]


class ChampionViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Who is and was the KAM champion, since when and reporting to whom (the current one
    has no ``until``). Posting appoints a champion, ending the current appointment that day
    (or, for the same person, updates to whom they report)."""

    serializer_class = ChampionSerializer
    queryset = ChampionAppointment.objects.select_related("person", "reports_to")

    def perform_create(self, serializer):
        v = serializer.validated_data
        serializer.instance = services.appoint_champion(
            v["person"],
            v["since"],
            reports_to=v.get("reports_to"),
            notes=v.get("notes", ""),
            user=self.request.user,
        )


ROUTES = [
    ("people", PersonViewSet, "person"),
    ("assignments", AssignmentViewSet, "assignment"),
    ("competency-assessments", AssessmentViewSet, "competency-assessment"),
    ("competency-targets", TargetViewSet, "competency-target"),
    ("training", TrainingViewSet, "training"),
    ("sponsor-visits", VisitViewSet, "sponsor-visit"),
    ("sponsor-visit-status", VisitStatusViewSet, "sponsor-visit-status"),
    ("programme-rules", RulesViewSet, "programme-rules"),
    ("rule-violations", ViolationViewSet, "rule-violation"),
    ("champion", ChampionViewSet, "champion"),
]
