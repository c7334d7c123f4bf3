"""Filters on recorded scorecards, for the history endpoint and any list page."""

from __future__ import annotations

import django_filters

from openkam.web.scorecards.models import Scorecard


class ScorecardFilterSet(django_filters.FilterSet):
    """Recorded scorecards narrowed to one person, one role, or one period."""

    person = django_filters.CharFilter(field_name="person__person_id")
    role = django_filters.ChoiceFilter(choices=[("kam", "kam"), ("sponsor", "sponsor")])

    class Meta:
        model = Scorecard
        fields = ["person", "role", "period"]
