"""The one writer of KAMs and sponsors: rules, history with effective dates, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.people import assignments, rules
from openkam.web.people.assignments import RuleViolation, assign, assign_many
from openkam.web.people.models import Assignment, Person, ProgrammeRules, RuleException

D = dt.date


def kam(person_id: str, name: str, **extra) -> Person:
    return Person.objects.create(
        person_id=person_id,
        name=name,
        role="kam",
        function="key_account_management",
        full_time_kam=True,
        **extra,
    )


def executive(person_id: str, name: str, level: str = "c_level") -> Person:
    return Person.objects.create(
        person_id=person_id, name=name, role="sponsor", function="executive", executive_level=level
    )


def key_account(account_id: str) -> Account:
    return Account.objects.create(
        account_id=account_id,
        name=f"Customer {account_id}",
        industry="x",
        region="EMEA",
        key_status="key",
    )


@pytest.fixture
def org(db):
    """Given: KAM Kim with K1, K2 (from 2024-01-01); KAM Lee with nothing yet (role KAM);
    CEO Cleo sponsoring K1, CFO Finn sponsoring K2; a viewer Vic; accounts K1..K8."""
    people = {
        "kim": kam("P-KIM", "Kim"),
        "lee": kam("P-LEE", "Lee"),
        "cleo": executive("P-CLEO", "Cleo"),
        "finn": executive("P-FINN", "Finn"),
        "vp": executive("P-VP", "Val", level="vice_president"),
        "vic": Person.objects.create(person_id="P-VIC", name="Vic", role="viewer"),
    }
    accounts = {f"K{i}": key_account(f"K{i}") for i in range(1, 9)}
    assign_many(
        [
            {"account": accounts["K1"], "kam": people["kim"], "sponsor": people["cleo"]},
            {"account": accounts["K2"], "kam": people["kim"], "sponsor": people["finn"]},
        ],
        effective=D(2024, 1, 1),
        actor="test",
    )
    return {"people": people, "accounts": accounts}


def test_history_closes_the_open_row_at_the_effective_date(org):
    # Given Kim holds K1 since 2024-01-01 and Lee holds K3, K4 (so Lee's load fits).
    p, a = org["people"], org["accounts"]
    assign_many(
        [
            {"account": a["K3"], "kam": p["lee"]},
            {"account": a["K4"], "kam": p["lee"]},
            {"account": a["K5"], "kam": p["kim"]},
        ],
        effective=D(2024, 3, 1),
        actor="test",
    )
    # When K1 is handed over to Lee on 2025-07-01.
    changes = assign(
        a["K1"], kam=p["lee"], effective=D(2025, 7, 1), reason="handover", actor="test"
    )
    # Then: Kim's row ends (exclusive) on 2025-07-01 and Lee's starts that day.
    assert changes["kam"] == ["Kim", "Lee"]
    rows = list(assignments.history(a["K1"]).filter(role="kam"))
    assert [(r.person.name, r.start, r.end) for r in rows] == [
        ("Kim", D(2024, 1, 1), D(2025, 7, 1)),
        ("Lee", D(2025, 7, 1), None),
    ]
    assert rows[1].reason == "handover"
    a["K1"].refresh_from_db()
    assert a["K1"].kam == p["lee"]
    # Kim held K1 in 2025 from 1 January to 30 June: 181 days (31+28+31+30+31+30).
    held = assignments.held_accounts(p["kim"], "kam", D(2025, 1, 1), D(2026, 1, 1))
    k1 = next(h for h in held if h["account_id"] == "K1")
    assert (k1["start"], k1["end"], k1["days"]) == (D(2025, 1, 1), D(2025, 7, 1), 181)
    assert assignments.holder_on(a["K1"], "kam", D(2025, 6, 30)) == p["kim"]
    assert assignments.holder_on(a["K1"], "kam", D(2025, 7, 1)) == p["lee"]


def test_a_change_before_the_current_start_is_refused(org):
    p, a = org["people"], org["accounts"]
    with pytest.raises(ValidationError, match="before the current sponsor's start 2024-01-01"):
        assign(a["K1"], sponsor=p["finn"], effective=D(2023, 12, 1), actor="test")


def test_over_load_names_person_rule_and_count(org):
    # Given Kim carries K1..K5 (5, the maximum).
    p, a = org["people"], org["accounts"]
    assign_many([{"account": a[k], "kam": p["kim"]} for k in ("K3", "K4", "K5")], actor="test")
    # When a sixth is given to Kim.
    before_rows = Assignment.objects.count()
    before_events = AuditEvent.objects.count()
    with pytest.raises(RuleViolation) as err:
        assign(a["K6"], kam=p["kim"], actor="test")
    # Then: refused, naming Kim, the rule and the count; nothing written.
    (v,) = err.value.violations
    assert (v.rule, v.person_name, v.count, v.limit) == ("kam_max_accounts", "Kim", 6, 5)
    assert "Kim would carry 6 key accounts as KAM; the rule is at most 5" in v.message
    assert Assignment.objects.count() == before_rows
    assert AuditEvent.objects.count() == before_events
    a["K6"].refresh_from_db()
    assert a["K6"].kam is None


def test_champion_may_accept_an_exception_with_a_reason(org):
    p, a = org["people"], org["accounts"]
    assign_many([{"account": a[k], "kam": p["kim"]} for k in ("K3", "K4", "K5")], actor="test")
    assign(a["K6"], kam=p["kim"], exception_reason="Lee starts in March", actor="test")
    exc = RuleException.objects.get()
    assert (exc.rule, exc.person, exc.active) == ("kam_max_accounts", p["kim"], True)
    now = rules.current_violations()
    over = [v for v in now if v.rule == "kam_max_accounts"]
    assert over and over[0].exception_reason == "Lee starts in March"
    # A seventh is worse than the accepted sixth: refused again without a new reason.
    with pytest.raises(RuleViolation):
        assign(a["K7"], kam=p["kim"], actor="test")
    # Once the load fits again, the exception is closed.
    assign_many(
        [{"account": a["K6"], "kam": p["lee"]}, {"account": a["K7"], "kam": p["lee"]}],
        actor="test",
    )
    exc.refresh_from_db()
    assert exc.active is False


def test_exceptions_need_the_rules_to_allow_them(org):
    p, a = org["people"], org["accounts"]
    ProgrammeRules.for_update()  # the row is made by an edit; reads write nothing
    ProgrammeRules.objects.update(allow_exceptions=False)
    with pytest.raises(RuleViolation, match="allow no exceptions"):
        assign(a["K3"], kam=p["vic"], exception_reason="please", actor="test")


def test_role_rules(org):
    p, a = org["people"], org["accounts"]
    with pytest.raises(RuleViolation) as err:
        assign(a["K1"], kam=p["vic"], actor="test")
    rules_broken = {v.rule for v in err.value.violations}
    # The viewer cannot be KAM, and Kim would drop to one key account (take-away counted).
    assert rules_broken == {"kam_role", "kam_min_accounts"}
    with pytest.raises(RuleViolation, match="Val .vice president. cannot sponsor K3"):
        assign(a["K3"], sponsor=p["vp"], actor="test")
    with pytest.raises(RuleViolation, match="cannot be both KAM and sponsor of K1"):
        assign(a["K1"], sponsor=p["kim"], actor="test")


def test_a_set_is_checked_on_its_end_state(org):
    # Swapping the KAMs of two accounts one by one would leave Lee with 1 in between;
    # as one set, each ends with a load inside 2–5.
    p, a = org["people"], org["accounts"]
    assign_many(
        [
            {"account": a["K1"], "kam": p["lee"]},
            {"account": a["K3"], "kam": p["lee"]},
            {"account": a["K4"], "kam": p["kim"]},
        ],
        actor="test",
    )
    assert Account.objects.filter(kam=p["lee"], key_status="key").count() == 2
    assert Account.objects.filter(kam=p["kim"], key_status="key").count() == 2


def test_only_the_champion_or_an_admin_assigns(programme):
    alice = programme["users"]["Alice"]
    a1 = programme["accounts"]["A1"]
    with pytest.raises(PermissionDenied):
        assign(a1, sponsor=programme["people"]["Alice"], user=alice)
    with pytest.raises(PermissionDenied):
        assign(a1, sponsor=None, user=alice)
