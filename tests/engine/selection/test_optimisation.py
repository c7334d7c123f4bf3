"""The recommended portfolio: hand-solved cases, random portfolios, overrides, infeasibility."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkam.engine.selection import (
    Candidate,
    Criterion,
    Economics,
    OverrideError,
    Programme,
    SelectionConfig,
    SelectionInfeasible,
    expected_gain,
    recommend,
    solve_portfolio,
)

P = Programme(min_accounts=2, max_accounts=25, kam_min=2, kam_max=5, sponsor_max=2)
GAINS = [100e3, 90e3, 80e3, 70e3, 60e3, -5e3]


def cands(gains, fixed=None):
    fixed = fixed or {}
    return [Candidate(f"A{i}", g, fixed.get(f"A{i}")) for i, g in enumerate(gains)]


def test_one_kam_carries_five_when_a_second_would_not_pay():
    # By hand: the five positive gains sum to 400k; one KAM (cost 50k) carries all five,
    # a second KAM would add 50k of cost and no gain → objective 350k.
    sol = solve_portfolio(cands(GAINS), ["K1", "K2"], ["S1", "S2", "S3"], P, kam_cost=50e3)
    assert sorted(sol.selected) == ["A0", "A1", "A2", "A3", "A4"]
    assert sol.objective == pytest.approx(350e3)
    assert sorted(sol.kam_load.values()) == [0, 5]


def test_programme_cap_binds():
    # By hand: at most 3 accounts → the best three (270k) less one KAM (50k) = 220k.
    p = Programme(min_accounts=2, max_accounts=3)
    sol = solve_portfolio(cands(GAINS), ["K1", "K2"], ["S1", "S2"], p, kam_cost=50e3)
    assert sorted(sol.selected) == ["A0", "A1", "A2"]
    assert sol.objective == pytest.approx(220e3)


def test_forced_accounts_are_respected():
    sol = solve_portfolio(
        cands(GAINS, {"A5": "in", "A0": "out"}), ["K1", "K2"], ["S1", "S2", "S3"], P, 50e3
    )
    assert "A5" in sol.selected and "A0" not in sol.selected


def test_too_few_kams_is_a_clear_error():
    with pytest.raises(SelectionInfeasible, match="too few KAMs: 1 KAMs × 5"):
        solve_portfolio(cands(GAINS), ["K1"], ["S1", "S2", "S3"], Programme(min_accounts=6), 1.0)


def test_load_rules_that_cannot_be_met_together():
    # Two KAMs carrying exactly 3 each can carry 0, 3 or 6 accounts, never exactly 4.
    p = Programme(min_accounts=4, max_accounts=4, kam_min=3, kam_max=3)
    with pytest.raises(SelectionInfeasible, match="load rules cannot be met"):
        solve_portfolio(cands(GAINS), ["K1", "K2"], ["S1", "S2"], p, 1.0)


def _brute_force(gains, fixed, n_kams, n_sponsors, p, kam_cost):
    """Best objective by enumeration: m KAMs can carry t accounts iff m·l ≤ t ≤ m·h."""
    best = None
    ids = range(len(gains))
    for size in range(p.min_accounts, min(p.max_accounts, len(gains)) + 1):
        kams_needed = math.ceil(size / p.kam_max)
        if kams_needed > n_kams or kams_needed * p.kam_min > size:
            continue
        if math.ceil(size / p.sponsor_max) > n_sponsors:
            continue
        for chosen in itertools.combinations(ids, size):
            if any(fixed.get(i) == "out" for i in chosen):
                continue
            if any(f == "in" and i not in chosen for i, f in fixed.items()):
                continue
            value = sum(gains[i] for i in chosen) - kam_cost * kams_needed
            best = value if best is None else max(best, value)
    return best


@settings(max_examples=60, deadline=None)
@given(
    gains=st.lists(st.integers(-50, 200), min_size=3, max_size=8),
    n_kams=st.integers(1, 3),
    n_sponsors=st.integers(1, 4),
    fixed=st.dictionaries(st.integers(0, 7), st.sampled_from(["in", "out"]), max_size=3),
    kam_min=st.integers(1, 3),
    kam_extra=st.integers(0, 3),
    min_accounts=st.integers(1, 4),
    kam_cost=st.integers(0, 300),
)
def test_constraints_hold_on_random_portfolios(
    gains, n_kams, n_sponsors, fixed, kam_min, kam_extra, min_accounts, kam_cost
):
    fixed = {i: f for i, f in fixed.items() if i < len(gains)}
    p = Programme(
        min_accounts=min_accounts,
        max_accounts=min_accounts + 3,
        kam_min=kam_min,
        kam_max=kam_min + kam_extra,
        sponsor_max=2,
    )
    kams = [f"K{i}" for i in range(n_kams)]
    sponsors = [f"S{i}" for i in range(n_sponsors)]
    candidates = [Candidate(f"A{i}", g, fixed.get(i)) for i, g in enumerate(gains)]
    best = _brute_force(gains, fixed, n_kams, n_sponsors, p, kam_cost)
    try:
        sol = solve_portfolio(candidates, kams, sponsors, p, kam_cost=kam_cost)
    except SelectionInfeasible:
        assert best is None
        return
    assert best is not None and sol.objective == pytest.approx(best)
    assert p.min_accounts <= len(sol.selected) <= p.max_accounts
    assert all(v == 0 or p.kam_min <= v <= p.kam_max for v in sol.kam_load.values())
    assert all(v <= p.sponsor_max for v in sol.sponsor_load.values())
    assert sum(sol.kam_load.values()) == sum(sol.sponsor_load.values()) == len(sol.selected)
    for i, f in fixed.items():
        assert (f"A{i}" in sol.selected) == (f == "in")


# A small review: one attractiveness criterion (CLV) and one strength criterion (1–5).
CONFIG = SelectionConfig(
    criteria=(
        Criterion("clv", "CLV", weight=1, normalisation="minmax"),
        Criterion(
            "satisfaction",
            "Satisfaction",
            axis="strength",
            source="assessed",
            normalisation="scale",
        ),
    ),
    programme=Programme(min_accounts=2, max_accounts=3, kam_min=1, kam_max=2, sponsor_max=2),
    economics=Economics(uplift_rate=0.1, kam_cost=1000, account_cost=0),
)
VALUES = {
    "A": {"clv": 100_000, "satisfaction": 5},
    "B": {"clv": 80_000, "satisfaction": 5},
    "C": {"clv": 70_000, "satisfaction": 5},
    "D": {"clv": 65_000, "satisfaction": 5},
    "E": {"clv": 0, "satisfaction": 1},
}


def test_expected_gain_formula():
    # By hand: 0.1 · 100 000 · √(10·10)/10 − 0 = 10 000.
    assert expected_gain(100_000, 10, 10, CONFIG.economics) == pytest.approx(10_000)


def test_recommendation_explains_every_account():
    # By hand: attractiveness = 10·(clv − 0)/100 000 → A 10, B 8, C 7, D 6.5, E 0; entry 6,
    # so E is ineligible; the programme takes at most 3 → D is out, the cap binds.
    out = recommend(VALUES, CONFIG, ["K1", "K2"], ["S1", "S2"])
    by = {a["account_id"]: a for a in out["accounts"]}
    assert [a for a in by if by[a]["decision"] == "key"] == ["A", "B", "C"]
    assert by["A"]["attractiveness"] == pytest.approx(10)
    assert by["D"]["binding"] == ["programme_max"]
    assert by["E"]["binding"] == ["entry_threshold"]
    assert out["constraints"]["programme"]["binding"] == "max"
    assert all(by[a]["kam"] and by[a]["sponsor"] for a in "ABC")
    assert by["A"]["contributions"]["attractiveness"][0]["points"] == pytest.approx(10)


def test_override_needs_a_reason_and_is_obeyed():
    with pytest.raises(OverrideError, match="written reason"):
        recommend(VALUES, CONFIG, ["K1"], ["S1"], overrides={"E": {"decision": "key"}})
    out = recommend(
        VALUES,
        CONFIG,
        ["K1", "K2"],
        ["S1", "S2"],
        overrides={"E": {"decision": "key", "reason": "strategic entry to a new market"}},
    )
    e = next(a for a in out["accounts"] if a["account_id"] == "E")
    assert e["decision"] == "key" and e["binding"] == ["override"]


def test_slow_demotion_keeps_a_weak_key_account():
    # E scores 0 < exit 4, but it is key and this is only its first review below exit.
    out = recommend(VALUES, CONFIG, ["K1", "K2"], ["S1", "S2"], current={"E": {"is_key": True}})
    e = next(a for a in out["accounts"] if a["account_id"] == "E")
    assert (e["decision"], e["below_exit"], e["binding"]) == ("key", 1, ["slow_demotion"])
    out = recommend(
        VALUES,
        CONFIG,
        ["K1", "K2"],
        ["S1", "S2"],
        current={"E": {"is_key": True}},
        below_exit={"E": 1},
    )
    e = next(a for a in out["accounts"] if a["account_id"] == "E")
    assert (e["decision"], e["eligibility"]) == ("not_key", "demoted")


def test_slow_demotion_does_not_keep_an_account_that_destroys_value():
    # F is key and in its first review below exit, as E above, but its CLV is negative:
    # slow demotion does not force it in, and the optimiser leaves it out (its gain is
    # 0.1 · max(−20 000, 0) · … − 0 = 0, below A, B and C). An override can still keep it.
    values = {**VALUES, "F": {"clv": -20_000, "satisfaction": 3}}
    out = recommend(values, CONFIG, ["K1", "K2"], ["S1", "S2"], current={"F": {"is_key": True}})
    f = next(a for a in out["accounts"] if a["account_id"] == "F")
    assert f["decision"] == "not_key" and f["value"] < 0
    assert f["reasons"][0].startswith("Leaves the programme although slow demotion would keep it")
    assert "slow_demotion" not in f["binding"]
    kept = recommend(
        values,
        CONFIG,
        ["K1", "K2"],
        ["S1", "S2"],
        current={"F": {"is_key": True}},
        overrides={"F": {"decision": "key", "reason": "strategic reference customer"}},
    )
    assert next(a for a in kept["accounts"] if a["account_id"] == "F")["decision"] == "key"
