"""The organisation's services: the champion's succession, visit cadence, competency gaps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openkam.web.core.models import AuditEvent
from openkam.web.people import services
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    CompetencyAssessment,
    CompetencyTarget,
    Person,
    SponsorVisit,
)

D = dt.date


def test_a_new_champion_ends_the_current_appointment(programme):
    chris = programme["users"]["Chris"]
    ceo = Person.objects.create(person_id="P-CEO", name="Cara", executive_level="c_level")
    first = services.appoint_champion(
        programme["people"]["Chris"], D(2023, 1, 1), reports_to=ceo, user=chris
    )
    second = services.appoint_champion(
        programme["people"]["Alice"], D(2025, 1, 1), reports_to=ceo, user=chris
    )
    first.refresh_from_db()
    assert first.until == D(2025, 1, 1) and second.until is None
    assert ChampionAppointment.current() == second
    with pytest.raises(ValidationError, match="starts after the current one"):
        services.appoint_champion(programme["people"]["Bob"], D(2024, 6, 1), user=chris)
    with pytest.raises(PermissionDenied):
        services.appoint_champion(
            programme["people"]["Bob"], D(2026, 1, 1), user=programme["users"]["Alice"]
        )
    assert AuditEvent.objects.filter(content_type__model="championappointment").count() == 3


def test_visit_cadence_and_overdue_by_hand(programme):
    chris = programme["users"]["Chris"]
    a1, sam = programme["accounts"]["A1"], programme["people"]["Sam"]
    Assignment.objects.create(account=a1, role="sponsor", person=sam, start=D(2025, 1, 1))
    # No contact yet: due one cadence (91 days) after the sponsorship began, 2025-04-02.
    (row,) = services.visit_status(today=D(2025, 4, 1))
    assert (row["due"], row["overdue"]) == (D(2025, 4, 2), False)
    (row,) = services.visit_status(today=D(2025, 4, 3))
    assert (row["overdue"], row["days_overdue"]) == (True, 1)
    # A visit on 2025-03-01; with the account's own cadence of 30 days the next is due
    # 2025-03-31.
    SponsorVisit.objects.create(account=a1, sponsor=sam, date=D(2025, 3, 1))
    services.set_visit_cadence(a1, 30, chris)
    (row,) = services.visit_status(today=D(2025, 3, 15))
    assert (row["last_visit"], row["every_days"], row["due"]) == (
        D(2025, 3, 1),
        30,
        D(2025, 3, 31),
    )
    assert services.overdue_visits(today=D(2025, 4, 10))[0]["days_overdue"] == 10
    with pytest.raises(PermissionDenied):
        services.set_visit_cadence(a1, 10, programme["users"]["Alice"])


def test_competency_gaps_against_the_targets(programme):
    alice = programme["people"]["Alice"]
    CompetencyTarget.objects.create(competency="planning", level=4)
    CompetencyTarget.objects.create(competency="technical", level=2)
    for level, day in ((2, D(2024, 1, 1)), (3, D(2025, 1, 1))):  # the latest (3) counts
        CompetencyAssessment.objects.create(
            person=alice, competency="planning", level=level, assessed_on=day
        )
    CompetencyAssessment.objects.create(
        person=alice, competency="technical", level=4, assessed_on=D(2025, 1, 1)
    )
    profile = {row["competency"]: row for row in services.competency_profile(alice)}
    assert (profile["planning"]["level"], profile["planning"]["gap"]) == (3, 1)  # 4 − 3
    assert profile["planning"]["short"] is True
    assert (profile["technical"]["gap"], profile["technical"]["short"]) == (-2, False)
    assert profile["influencing"]["gap"] is None  # neither assessed nor targeted


def test_a_person_with_history_is_not_deleted(programme):
    admin_user = programme["users"]["Chris"]
    sam = programme["people"]["Sam"]
    Assignment.objects.create(
        account=programme["accounts"]["A1"], role="sponsor", person=sam, start=D(2025, 1, 1)
    )
    with pytest.raises(ValidationError, match="mark them inactive"):
        services.delete_person(sam, admin_user)
