"""Filters on the rows of plans, shared by the REST API and any list page."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from openkam.web.planning.models import Action, Objective, Risk, ValueProposition, WhitespaceCell


class PartFilterSet(django_filters.FilterSet):
    """Every plan row can be narrowed to one account's plan."""

    account = django_filters.CharFilter(field_name="plan__account__account_id")


class ObjectiveFilterSet(PartFilterSet):
    class Meta:
        model = Objective
        fields = ["account", "year", "metric"]


class ValuePropositionFilterSet(PartFilterSet):
    class Meta:
        model = ValueProposition
        fields = ["account"]


class WhitespaceFilterSet(PartFilterSet):
    class Meta:
        model = WhitespaceCell
        fields = ["account", "product_line", "business_unit"]


class RiskFilterSet(PartFilterSet):
    class Meta:
        model = Risk
        fields = ["account", "likelihood", "impact"]


class ActionFilterSet(PartFilterSet):
    owner = django_filters.CharFilter(field_name="owner__person_id", label="Owner (person id)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")

    class Meta:
        model = Action
        fields = ["account", "owner", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        # Same rule as the plan alerts: past its due date and still open or in progress.
        open_ = [Action.Status.OPEN, Action.Status.IN_PROGRESS]
        overdue = {"due__lt": timezone.localdate(), "status__in": open_}
        if value is None:
            return queryset
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
