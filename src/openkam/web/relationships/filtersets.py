"""Filters on relationship-map records, shared by the REST API and any list page."""

from __future__ import annotations

import django_filters

from openkam.web.relationships.models import ContactProfile, DottedLine, Relationship


class ContactProfileFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="contact__account__account_id")

    class Meta:
        model = ContactProfile
        fields = ["account", "buying_role", "attitude", "influence", "left_company"]


class DottedLineFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="contact__account__account_id")
    contact = django_filters.CharFilter(field_name="contact__contact_id")

    class Meta:
        model = DottedLine
        fields = ["account", "contact"]


class RelationshipFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="contact__account__account_id")
    contact = django_filters.CharFilter(field_name="contact__contact_id")
    person = django_filters.CharFilter(field_name="person__person_id", label="Our person (id)")
    min_strength = django_filters.NumberFilter(field_name="strength", lookup_expr="gte")

    class Meta:
        model = Relationship
        fields = ["account", "contact", "person", "min_strength"]
