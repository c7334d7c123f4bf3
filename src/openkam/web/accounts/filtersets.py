"""One filter set per model, shared by the HTML list and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from openkam.engine.selection.matrix import QUADRANTS
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
    #: The year of the money filters (default: the last complete year of the figures).
    year = django_filters.CharFilter(method="keep", label="Year of the figures")
    result = django_filters.ChoiceFilter(
        choices=[("loss", "Loss-making"), ("profit", "Profitable")],
        method="by_result",
        label="Net contribution",
    )
    quadrant = django_filters.ChoiceFilter(
        choices=[(q, q.replace("_", " ").capitalize()) for q in QUADRANTS],
        method="by_quadrant",
        label="Quadrant in the newest selection review",
    )

    class Meta:
        model = Account
        fields = [
            "q",
            "industry",
            "region",
            "country",
            "key_status",
            "kam",
            "sponsor",
            "parent",
            "year",
            "result",
            "quadrant",
        ]

    def figures_year(self) -> str | None:
        """The year the money columns and filters read: ``year`` if the figures have it."""
        from openkam.web.profitability.figures import figure_years, last_complete_year

        wanted = (self.data.get("year") or "").strip()
        return wanted if wanted in figure_years() else last_complete_year()

    def keep(self, queryset, name, value):
        return queryset

    def by_result(self, queryset, name, value):
        """Loss-making or profitable in the year's figures: the roll-up where the account
        has subsidiaries, else its own row (as the list shows them). Three uncorrelated
        subqueries the database answers once each, not one lookup per account."""
        from openkam.web.core.models import Computation
        from openkam.web.core.runs import current
        from openkam.web.profitability.models import AccountPeriodFigures

        year = self.figures_year()
        run = current(Computation.Kind.PROFITABILITY)
        if year is None or run is None:
            return queryset.none()
        rows = AccountPeriodFigures.objects.filter(computation=run, grain="year", period=year)
        rolled, own = rows.filter(rolled_up=True), rows.filter(rolled_up=False)
        test = "net_contribution__lt" if value == "loss" else "net_contribution__gte"
        return queryset.filter(
            Q(account_id__in=rolled.filter(**{test: 0}).values("account_key"))
            | (
                ~Q(account_id__in=rolled.values("account_key"))
                & Q(account_id__in=own.filter(**{test: 0}).values("account_key"))
            )
        )

    def by_quadrant(self, queryset, name, value):
        from openkam.web.portfolio.services import accounts_in_quadrant, latest_review

        return queryset.filter(account_id__in=accounts_in_quadrant(latest_review(), value))

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
