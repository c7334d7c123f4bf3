"""One filter set per model of the organisation, for the pages and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from openkam.web.people.models import (
    Assignment,
    CompetencyAssessment,
    Person,
    SponsorVisit,
    TrainingRecord,
)


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    reports_to = django_filters.CharFilter(field_name="reports_to__person_id")

    class Meta:
        model = Person
        fields = ["q", "role", "function", "executive_level", "full_time_kam", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(person_id__icontains=value) | Q(email__icontains=value)
        )


class AssignmentFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__account_id")
    person = django_filters.CharFilter(field_name="person__person_id")
    current = django_filters.BooleanFilter(
        field_name="end", lookup_expr="isnull", label="Only the assignments that last now"
    )
    held_on = django_filters.DateFilter(method="on_day", label="Held on this day")

    class Meta:
        model = Assignment
        fields = ["account", "person", "role", "source", "current", "held_on"]

    def on_day(self, queryset, name, value):
        return queryset.filter(start__lte=value).filter(Q(end__isnull=True) | Q(end__gt=value))


class AssessmentFilterSet(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__person_id")

    class Meta:
        model = CompetencyAssessment
        fields = ["person", "competency"]


class TrainingFilterSet(django_filters.FilterSet):
    person = django_filters.CharFilter(field_name="person__person_id")

    class Meta:
        model = TrainingRecord
        fields = ["person", "kam_training", "completed"]


class VisitFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__account_id")
    sponsor = django_filters.CharFilter(field_name="sponsor__person_id")
    since = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = SponsorVisit
        fields = ["account", "sponsor", "kind", "since", "until"]
