"""Filters of the commitment list, shared by the page and the API."""

from __future__ import annotations

import django_filters

from openkam.web.operations.models import Commitment


class CommitmentFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__account_id", label="account id")
    owner = django_filters.CharFilter(field_name="owner__person_id", label="owner person id")
    kind = django_filters.ChoiceFilter(choices=Commitment.Kind.choices)
    active_on = django_filters.DateFilter(method="filter_active_on", label="in force on")

    class Meta:
        model = Commitment
        fields = ["account", "owner", "kind", "customer_visible"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)
