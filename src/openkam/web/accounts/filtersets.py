"""One filter set per model, shared by the HTML list and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from openkam.web.accounts.models import Account, Contact


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    industry = django_filters.CharFilter(field_name="industry")
    region = django_filters.CharFilter(field_name="region")
    country = django_filters.CharFilter(field_name="country")
    key_status = django_filters.ChoiceFilter(choices=Account.KeyStatus.choices)
    kam = django_filters.CharFilter(field_name="kam__person_id", label="KAM (person id)")
    sponsor = django_filters.CharFilter(field_name="sponsor__person_id")
    parent = django_filters.CharFilter(field_name="parent__account_id")

    class Meta:
        model = Account
        fields = ["q", "industry", "region", "country", "key_status", "kam", "sponsor", "parent"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(account_id__icontains=value))


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    account = django_filters.CharFilter(field_name="account__account_id")

    class Meta:
        model = Contact
        fields = ["q", "account"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value))
