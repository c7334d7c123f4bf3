"""The demo's organisation: believable, within the rules or with its problems recorded."""

from __future__ import annotations

import datetime as dt

from openkam.engine.synth import generate
from openkam.web.accounts.models import Account
from openkam.web.demo import load_demo
from openkam.web.people import rules
from openkam.web.people.demo_org import NEW_KAM_NAME, STAND_IN_TITLE, ledger_window
from openkam.web.people.models import (
    Assignment,
    ChampionAppointment,
    CompetencyTarget,
    RuleException,
    SponsorVisit,
    TrainingRecord,
)


def test_demo_organisation_fits_the_rules_with_its_two_stated_problems(db, tmp_path):
    generate(tmp_path, seed=7, accounts=200, lines=20_000)
    load_demo(tmp_path)
    first, last = ledger_window(tmp_path / "demo")
    key = Account.objects.filter(key_status="key")
    assert key.exists() and not key.filter(kam=None).exists()
    assert not key.filter(sponsor=None).exists()
    # What is broken now: only the new KAM building up (visible on purpose) and the
    # stand-in sponsor (accepted as an exception with its reason).
    broken = rules.current_violations()
    assert {(v.rule, v.excepted) for v in broken} <= {
        ("kam_min_accounts", False),
        ("sponsor_level", True),
    }
    for v in broken:
        if v.rule == "kam_min_accounts":
            assert v.person_name == NEW_KAM_NAME and v.count == 1
    excepted = RuleException.objects.filter(active=True)
    assert all(e.person.title == STAND_IN_TITLE for e in excepted)
    # History from the ledger's first month, with a handover on 1 July of its last full
    # calendar year.
    launch = first.replace(day=1)
    assert Assignment.objects.order_by("start").first().start == launch
    full_year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    handover = Assignment.objects.filter(role="kam", start=dt.date(full_year, 7, 1))
    assert handover.count() == 1
    before = Assignment.objects.get(account=handover.get().account, role="kam", start=launch)
    assert before.end == dt.date(full_year, 7, 1) and before.person != handover.get().person
    # Every key account's open rows agree with who holds it.
    for account in key:
        for role in ("kam", "sponsor"):
            (row,) = Assignment.objects.filter(account=account, role=role, end__isnull=True)
            assert row.person_id == getattr(account, f"{role}_id")
    # The champion reports to the CEO; targets, training and sponsor contacts exist, and
    # some contacts are overdue.
    champion = ChampionAppointment.current()
    assert champion.reports_to.title == "Chief Executive Officer"
    assert CompetencyTarget.objects.count() == 6
    assert TrainingRecord.objects.filter(
        person__function__in=["operations", "supply_chain"], kam_training=True, completed=True
    ).exists()
    assert TrainingRecord.objects.filter(
        person__function__in=["operations", "supply_chain"], completed=False
    ).exists()
    assert SponsorVisit.objects.filter(date__lte=dt.date.today()).count() > key.count()
    from openkam.web.people.services import overdue_visits

    assert 0 < len(overdue_visits()) < key.count()
