"""The organisation rules hold on random sequences of assignment attempts (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.people import rules
from openkam.web.people.assignments import RuleViolation, assign, assign_many
from openkam.web.people.models import Assignment, Person, RuleException

PEOPLE = [
    # (id, role, function, full time, executive level)
    ("K1", "kam", "key_account_management", True, ""),
    ("K2", "kam", "key_account_management", True, ""),
    ("K3", "sales", "key_account_management", False, ""),  # KAM function, not full time
    ("E1", "sponsor", "executive", False, "c_level"),
    ("E2", "sponsor", "executive", False, "c_level"),
    ("E3", "viewer", "executive", False, "vice_president"),  # not of the sponsor level
    ("V1", "viewer", "finance", False, ""),
]
ACCOUNTS = [f"A{i}" for i in range(1, 9)]


def _state():
    return sorted(
        Account.objects.values_list("account_id", "key_status", "kam_id", "sponsor_id")
    ), sorted(Assignment.objects.values_list("account_id", "role", "person_id", "start", "end"))


def _uncovered(violations):
    return {v.key: v for v in violations if not v.excepted}


attempt = st.fixed_dictionaries(
    {
        "account": st.sampled_from(ACCOUNTS),
        "kam": st.one_of(st.none(), st.sampled_from([p[0] for p in PEOPLE]), st.just("keep")),
        "sponsor": st.one_of(st.none(), st.sampled_from([p[0] for p in PEOPLE]), st.just("keep")),
        "key": st.sampled_from(["key", "not_key", "keep"]),
        "exception": st.sampled_from(["", "", "", "accepted by the champion"]),
        "day": st.integers(min_value=0, max_value=30),
    }
)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attempts=st.lists(attempt, min_size=1, max_size=10))
def test_random_attempts_never_leave_an_uncovered_breach(db, attempts):
    # Given: a valid programme: K1 with A1, A2; K2 with A3, A4; E1 sponsors A1, A2;
    # E2 sponsors A3, A4; A5–A8 not key and unassigned.
    Assignment.objects.all().delete()
    RuleException.objects.all().delete()
    Account.objects.all().delete()
    Person.objects.all().delete()
    people = {
        pid: Person.objects.create(
            person_id=pid,
            name=pid,
            role=role,
            function=function,
            full_time_kam=full,
            executive_level=level,
        )
        for pid, role, function, full, level in PEOPLE
    }
    accounts = {
        aid: Account.objects.create(
            account_id=aid,
            name=aid,
            industry="x",
            region="y",
            key_status="key" if aid in ("A1", "A2", "A3", "A4") else "not_key",
        )
        for aid in ACCOUNTS
    }
    assign_many(
        [
            {"account": accounts["A1"], "kam": people["K1"], "sponsor": people["E1"]},
            {"account": accounts["A2"], "kam": people["K1"], "sponsor": people["E1"]},
            {"account": accounts["A3"], "kam": people["K2"], "sponsor": people["E2"]},
            {"account": accounts["A4"], "kam": people["K2"], "sponsor": people["E2"]},
        ],
        effective=dt.date(2024, 1, 1),
        actor="test",
    )
    assert _uncovered(rules.current_violations()) == {}
    for n, a in enumerate(attempts):
        before_state = _state()
        before_events = AuditEvent.objects.count()
        before = _uncovered(rules.current_violations())
        account = Account.objects.get(account_id=a["account"])
        change = {"account": account}
        for role in ("kam", "sponsor"):
            if a[role] != "keep":
                change[role] = people[a[role]] if a[role] else None
        if a["key"] != "keep":
            change["key_status"] = a["key"]
        loads_before = {
            (p.pk, role): Account.objects.filter(key_status="key", **{role: p}).count()
            for p in people.values()
            for role in ("kam", "sponsor")
        }
        try:
            assign_many(
                [change],
                effective=dt.date(2024, 2, 1) + dt.timedelta(days=n * 31 + a["day"]),
                exception_reason=a["exception"],
                actor="test",
            )
        except RuleViolation as exc:
            # Then a refused attempt changes nothing: no rows, no audit, no history.
            assert exc.violations
            assert _state() == before_state
            assert AuditEvent.objects.count() == before_events
            continue
        after = _uncovered(rules.current_violations())
        for key, v in after.items():
            if v.rule in rules.MIN_RULES:
                # An uncovered under-load is only a KAM or sponsor building up: their load
                # did not fall (a take-away below the minimum needs an exception).
                pk = people[v.person_id].pk
                assert v.count >= loads_before[(pk, rules.MIN_RULES[v.rule])], v.message
            else:
                # Any other breach was there before and is no worse.
                assert key in before, v.message
                if v.count is not None:
                    assert v.count <= before[key].count, v.message
        # The account's holders and its open history rows agree.
        account.refresh_from_db()
        for role in ("kam", "sponsor"):
            open_rows = list(
                Assignment.objects.filter(account=account, role=role, end__isnull=True)
            )
            holder = getattr(account, f"{role}_id")
            assert [r.person_id for r in open_rows] == ([holder] if holder else [])


def test_a_refused_change_writes_nothing(programme):
    # Given A1 held by Alice; Vera (viewer) is proposed as KAM.
    a1 = programme["accounts"]["A1"]
    before = _state(), AuditEvent.objects.count(), RuleException.objects.count()
    with pytest.raises(RuleViolation):
        assign(a1, kam=programme["people"]["Vera"], actor="test")
    assert (_state(), AuditEvent.objects.count(), RuleException.objects.count()) == before


def test_the_rules_page_setting_changes_the_check(programme):
    # With a maximum of 1, giving Alice a second key account is an over-load.
    from openkam.web.people.models import ProgrammeRules

    # The rules row is made by the first edit (reading it writes nothing).
    ProgrammeRules.for_update()  # the row is made by an edit; reads write nothing
    ProgrammeRules.objects.update(kam_max_accounts=1, kam_min_accounts=1)
    a2 = programme["accounts"]["A2"]
    Account.objects.filter(pk=a2.pk).update(key_status="key", kam=None)
    with pytest.raises(
        RuleViolation, match="Alice would carry 2 key accounts as KAM; the rule is at most 1"
    ):
        assign(a2, kam=programme["people"]["Alice"], actor="test")


def test_eligible_people_follow_the_rules(programme):
    from openkam.web.people.models import ProgrammeRules

    names = sorted(p.name for p in rules.eligible_kams())
    assert names == ["Alice", "Bob"]  # full-time KAMs; Chris (champion) is not full time
    assert [p.name for p in rules.eligible_sponsors()] == ["Sam"]
    # The rules row is made by the first edit (reading it writes nothing).
    ProgrammeRules.for_update()  # the row is made by an edit; reads write nothing
    ProgrammeRules.objects.update(sponsor_min_level="director", kam_must_be_full_time=False)
    Person.objects.filter(name="Vera").update(executive_level="director")
    assert sorted(p.name for p in rules.eligible_sponsors()) == ["Sam", "Vera"]


def test_an_ineligible_holder_handing_over_is_no_under_load(programme):
    # Sam becomes a director (below the C-level sponsor floor): he breaks the sponsor rule
    # on A1. Handing A1 to a C-level executive fixes it, leaving Sam with none, and that is
    # not an under-load (he may not sponsor at all).
    Person.objects.filter(name="Sam").update(executive_level="director")
    cleo = Person.objects.create(person_id="P-Cleo", name="Cleo", executive_level="c_level")
    assert {v.rule for v in rules.current_violations() if v.person_name == "Sam"} == {
        "sponsor_level"
    }
    assign(programme["accounts"]["A1"], sponsor=cleo, actor="test")
    assert not [v for v in rules.current_violations() if v.person_name == "Sam"]


def test_reading_the_rules_writes_no_row(programme, client):
    # Issue 17: the rules page, the API and the check read defaults without saving a row.
    from openkam.web.people.models import ProgrammeRules

    ProgrammeRules.objects.all().delete()
    rules = ProgrammeRules.current()
    assert rules.pk is None and rules.kam_max_accounts == ProgrammeRules().kam_max_accounts
    client.force_login(programme["users"]["Vera"])
    assert client.get("/people/rules/").status_code == 200
    assert client.get("/api/programme-rules/current/").status_code == 200
    assert not ProgrammeRules.objects.exists()
