"""Pages about our own people: who carries which accounts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from openkam.web.core import audit
from openkam.web.people.models import Person


@login_required
def person_list(request):
    role = request.GET.get("role", "")
    people = Person.objects.annotate(
        n_kam=Count("kam_accounts", distinct=True),
        n_key=Count("kam_accounts", filter=Q(kam_accounts__key_status="key"), distinct=True),
        n_sponsored=Count("sponsored_accounts", distinct=True),
    )
    if role:
        people = people.filter(role=role)
    return render(
        request,
        "people/person_list.html",
        {"people": people, "role": role, "roles": Person._meta.get_field("role").choices},
    )


@login_required
def person_detail(request, person_id: str):
    person = get_object_or_404(Person, person_id=person_id)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "kam_accounts": person.kam_accounts.all(),
            "sponsored_accounts": person.sponsored_accounts.all(),
            "teams": person.teams.select_related("account"),
            "events": audit.history(person)[:20],
        },
    )
