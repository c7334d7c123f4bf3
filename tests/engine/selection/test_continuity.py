"""Assignments that stay put, and exact explanations: hand-made cases with known optima."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkam.engine.selection import (
    Candidate,
    Criterion,
    Economics,
    Hysteresis,
    Programme,
    SelectionConfig,
    money,
    recommend,
    solve_portfolio,
)

K = ["K1", "K2", "K3"]
S = ["S1", "S2", "S3", "S4"]


def held(gains, kams, sponsors=None, key=None):
    """Candidates A0, A1 … with today's KAM (and sponsor) and key status."""
    sponsors = sponsors or [None] * len(gains)
    key = key if key is not None else [k is not None for k in kams]
    return [
        Candidate(f"A{i}", g, None, k, s, current_key=c)
        for i, (g, k, s, c) in enumerate(zip(gains, kams, sponsors, key, strict=True))
    ]


def moves(sol, role="kam"):
    return sorted((m.account_id, m.old, m.new, m.code) for m in sol.moves if m.role == role)


def test_continuing_accounts_keep_their_kam_and_an_idle_kam_stays_idle():
    # By hand: four key accounts, two with K1 and two with K2, all worth keeping; K3 is idle.
    # Keeping everyone costs nothing: 0 changes, K3 carries nothing.
    p = Programme(min_accounts=1, max_accounts=10, kam_min=2, kam_max=3)
    cands = held([50, 40, 30, 20], ["K1", "K1", "K2", "K2"], ["S1", "S1", "S2", "S2"])
    sol = solve_portfolio(cands, K, S, p, kam_cost=100)
    assert sol.selected == {
        "A0": ("K1", "S1"),
        "A1": ("K1", "S1"),
        "A2": ("K2", "S2"),
        "A3": ("K2", "S2"),
    }
    assert sol.moves == [] and sol.kam_load["K3"] == 0
    # The KAMs in post are paid for: the objective is the gains, 50 + 40 + 30 + 20.
    assert sol.objective == pytest.approx(140)


def test_a_kam_in_post_is_not_emptied_to_save_their_cost():
    # By hand: five accounts fit one KAM (max 5), but K1 and K2 both carry them today.
    # Money alone would save one KAM's cost by moving K2's two accounts; KAMs in post are
    # paid for, so nothing moves.
    p = Programme(min_accounts=1, max_accounts=10, kam_min=2, kam_max=5)
    cands = held([50, 40, 30, 20, 10], ["K1", "K1", "K1", "K2", "K2"])
    sol = solve_portfolio(cands, K, S, p, kam_cost=1_000)
    assert moves(sol) == []
    assert (sol.kam_load["K1"], sol.kam_load["K2"]) == (3, 2)


def test_over_the_maximum_moves_the_lowest_gain_account_only():
    # By hand: K1 carries four accounts, the maximum is 3 → exactly one must move, the one
    # with the lowest gain (A3, 20), to K2, who has room.
    p = Programme(min_accounts=1, max_accounts=10, kam_min=1, kam_max=3)
    cands = held([50, 40, 30, 20, 60], ["K1", "K1", "K1", "K1", "K2"])
    sol = solve_portfolio(cands, ["K1", "K2"], S, p, kam_cost=0)
    assert moves(sol) == [("A3", "K1", "K2", "over_max")]


def test_a_kam_below_the_minimum_is_filled_with_the_fewest_moves():
    # By hand: K1 carries 3 and K2 carries 1, the minimum is 2, and both are in post; four
    # accounts, no new one → exactly one move, K1's lowest-gain account (A2) to K2.
    p = Programme(min_accounts=1, max_accounts=4, kam_min=2, kam_max=3)
    cands = held([50, 40, 30, 20], ["K1", "K1", "K1", "K2"])
    sol = solve_portfolio(cands, ["K1", "K2"], S, p, kam_cost=10)
    assert moves(sol) == [("A2", "K1", "K2", "min_load")]
    assert sol.kam_load == {"K1": 2, "K2": 2}


def test_new_key_accounts_fill_a_kam_below_the_minimum_before_anything_moves():
    # By hand: as above but a fifth account A4 becomes key: it goes to K2 (below the
    # minimum), and no continuing account moves.
    p = Programme(min_accounts=1, max_accounts=5, kam_min=2, kam_max=3)
    cands = held([50, 40, 30, 20, 45], ["K1", "K1", "K1", "K2", None])
    sol = solve_portfolio(cands, ["K1", "K2"], S, p, kam_cost=10)
    assert moves(sol) == [("A4", None, "K2", "new")]


def test_an_ineligible_kam_hands_over():
    # K9 is no longer an eligible KAM: their account moves; the others stay.
    p = Programme(min_accounts=1, max_accounts=5, kam_min=1, kam_max=3)
    cands = held([50, 40, 30], ["K1", "K9", "K2"])
    sol = solve_portfolio(cands, ["K1", "K2"], S, p, kam_cost=0)
    assert [(a, old, code) for a, old, _, code in moves(sol)] == [("A1", "K9", "ineligible")]


GAINS = [100e3, 90e3, 80e3, 70e3, 60e3, -5e3]


def test_exact_cost_of_forcing_an_account_in_or_out():
    # By hand, programme of at most 3, one KAM costing 50k: A0 + A1 + A2 − 50k = 220k.
    # Forcing A3 in replaces A2: 100 + 90 + 70 − 50 = 210k → loss 10k.
    # Forcing A1 out lets A3 in: 100 + 80 + 70 − 50 = 200k → loss 20k.
    p = Programme(min_accounts=2, max_accounts=3)
    cands = [Candidate(f"A{i}", g) for i, g in enumerate(GAINS)]
    sol = solve_portfolio(cands, ["K1", "K2"], ["S1", "S2"], p, kam_cost=50e3)
    assert sol.objective == pytest.approx(220e3)
    assert sol.include_loss["A3"] == pytest.approx(10e3)
    assert sol.exclude_loss["A1"] == pytest.approx(20e3)
    assert sol.why_out["A3"] == "programme_max"


def test_exact_cost_of_an_account_that_needs_another_kam():
    # By hand, programme up to 25, KAMs carry 5: the five positive gains (400k) with one KAM
    # (50k) = 350k. Forcing A5 (−5k) in needs a second KAM: 400 − 5 − 100 = 295k, or
    # dropping A4 for it: 100 + 90 + 80 + 70 − 5 − 50 = 285k → best 295k, loss 55k.
    p = Programme(min_accounts=2, max_accounts=25, kam_min=2, kam_max=5, sponsor_max=2)
    cands = [Candidate(f"A{i}", g) for i, g in enumerate(GAINS)]
    sol = solve_portfolio(cands, ["K1", "K2"], ["S1", "S2", "S3"], p, kam_cost=50e3)
    assert sol.include_loss["A5"] == pytest.approx(55e3)


@settings(max_examples=40, deadline=None)
@given(
    gains=st.lists(st.integers(-30, 100), min_size=3, max_size=7),
    cap=st.integers(2, 5),
    kam_cost=st.integers(0, 150),
)
def test_include_loss_matches_a_re_solve(gains, cap, kam_cost):
    # The sorted pass's loss equals re-solving with the account forced in.
    p = Programme(min_accounts=1, max_accounts=cap, kam_min=1, kam_max=2, sponsor_max=2)
    cands = [Candidate(f"A{i}", g) for i, g in enumerate(gains)]
    kams, sponsors = ["K1", "K2", "K3"], ["S1", "S2", "S3"]
    sol = solve_portfolio(cands, kams, sponsors, p, kam_cost=kam_cost)
    for c in cands:
        forced = [Candidate(x.account_id, x.gain, "in" if x is c else None) for x in cands]
        alt = solve_portfolio(forced, kams, sponsors, p, kam_cost=kam_cost)
        if c.account_id in sol.selected:
            assert alt.objective == pytest.approx(sol.objective)
        else:
            assert sol.include_loss[c.account_id] == pytest.approx(sol.objective - alt.objective)


# A whole review: one attractiveness criterion (CLV) and one strength criterion (1–5).
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
    programme=Programme(min_accounts=2, max_accounts=4, kam_min=1, kam_max=2, sponsor_max=2),
    hysteresis=Hysteresis(entry=6.0, exit=4.0, reviews=2),
    economics=Economics(uplift_rate=0.1, kam_cost=1000, account_cost=0),
)
VALUES = {
    "A": {"clv": 100_000, "satisfaction": 5},
    "B": {"clv": 80_000, "satisfaction": 5},
    "C": {"clv": 70_000, "satisfaction": 5},
    "D": {"clv": 65_000, "satisfaction": 4},
    "E": {"clv": 0, "satisfaction": 1},
    "F": {"clv": 30_000},
}
NAMES = {"K1": "Kim", "K2": "Lee", "S1": "Sam", "S2": "Sue"}


def applied(out) -> dict:
    """Today's state after applying a review's result."""
    return {
        r["account_id"]: {
            "is_key": r["decision"] == "key",
            "kam": r["kam"],
            "sponsor": r["sponsor"],
        }
        for r in out["accounts"]
    }


def run(current=None, overrides=None, below_exit=None):
    return recommend(
        VALUES,
        CONFIG,
        ["K1", "K2"],
        ["S1", "S2"],
        current=current,
        overrides=overrides,
        below_exit=below_exit,
        names=NAMES,
    )


def test_the_same_review_twice_proposes_no_change():
    first = run()
    assert any(r["changes"] for r in first["accounts"])
    second = run(current=applied(first))
    assert [r["changes"] for r in second["accounts"] if r["changes"]] == []
    assert {r["account_id"]: (r["kam"], r["sponsor"]) for r in second["accounts"]} == {
        r["account_id"]: (r["kam"], r["sponsor"]) for r in first["accounts"]
    }


def test_one_override_changes_only_what_it_forces():
    # By hand: A, B, C, D are key (attractiveness 10, 8, 7, 6.5 ≥ entry 6); E (0) and F (3)
    # are below entry. With room for a fifth account, forcing E in changes E only: its
    # decision, and a KAM and sponsor with room; A–D keep theirs.
    config = CONFIG.replace(
        programme=Programme(min_accounts=2, max_accounts=5, kam_min=1, kam_max=3, sponsor_max=3)
    )

    def review(current=None, overrides=None):
        return recommend(
            VALUES, config, ["K1", "K2"], ["S1", "S2"], current=current, overrides=overrides
        )

    base = applied(review())
    assert sorted(a for a, s in base.items() if s["is_key"]) == ["A", "B", "C", "D"]
    out = review(current=base, overrides={"E": {"decision": "key", "reason": "new market"}})
    changed = {r["account_id"]: r["changes"] for r in out["accounts"] if r["changes"]}
    assert list(changed) == ["E"]
    assert [c["field"] for c in changed["E"]] == ["decision", "kam", "sponsor"]
    assert changed["E"][0]["reason"] == "Key account by the champion's override: “new market”."


def test_changes_list_the_holders_and_the_reason():
    out = run()
    a = next(r for r in out["accounts"] if r["account_id"] == "A")
    assert (a["current_decision"], a["current_kam"], a["current_sponsor"]) == (
        "not_key",
        None,
        None,
    )
    fields = {c["field"]: c for c in a["changes"]}
    assert set(fields) == {"decision", "kam", "sponsor"}
    assert fields["decision"] == {
        "field": "decision",
        "from": "not_key",
        "to": "key",
        "reason": a["reasons"][0],
    }
    assert fields["kam"]["from"] is None and fields["kam"]["to"] == a["kam"]
    assert fields["kam"]["reason"].startswith(f"It has no KAM today: {NAMES[a['kam']]} takes it")


def test_slow_demotion_sentence_states_the_rule_applied():
    # E (attractiveness 0) is key today, first review below the exit threshold 4: kept, one
    # more review to go.
    out = run(current={"E": {"is_key": True, "kam": "K1", "sponsor": "S1"}})
    e = next(r for r in out["accounts"] if r["account_id"] == "E")
    assert e["decision"] == "key" and e["binding"] == ["slow_demotion"]
    assert e["reasons"][0] == (
        "Kept as a key account: slow demotion keeps it for 1 more review although its "
        "attractiveness 0.0 is below the exit threshold 4.0."
    )
    out = run(current={"E": {"is_key": True, "kam": "K1"}}, below_exit={"E": 1})
    e = next(r for r in out["accounts"] if r["account_id"] == "E")
    assert e["decision"] == "not_key"
    assert e["reasons"][0] == (
        "Leaves the programme: its attractiveness 0.0 has been below the exit threshold 4.0 "
        "for 2 consecutive reviews (slow demotion lets a key account go after 2 reviews)."
    )
    # Leaving the programme ends its KAM's assignment (it had no sponsor): listed with it.
    assert e["changes"] == [
        {"field": "decision", "from": "key", "to": "not_key", "reason": e["reasons"][0]},
        {
            "field": "kam",
            "from": "K1",
            "to": None,
            "reason": "The account leaves the key account programme: the KAM assignment ends "
            "when the review is applied.",
        },
    ]


def test_explanations_in_plain_sentences_with_money():
    # By hand: E's gain = 0.1 · 0 · … − 0 = 0 → not worth it; D (6.5, gain
    # 0.1 · 65 000 · √(6.5 · 7.5)/10 = 4 537.88…) is chosen.
    out = run()
    by = {r["account_id"]: r for r in out["accounts"]}
    assert (
        by["E"]["reasons"][0]
        == "Not a candidate: its attractiveness 0.0 is below the entry threshold 6.0."
    )
    d = by["D"]
    assert d["reasons"][0].startswith("Recommended as a key account: expected gain 4,538 EUR")
    assert money(2949749.9, "EUR") == "2,949,750 EUR"
    assert money(-1234.4, "USD") == "−1,234 USD"


def test_never_assessed_strength_is_shown_as_not_assessed():
    # F has no satisfaction score: its strength is not assessed, whatever the missing rule
    # counts it as, so it is not placed in a quadrant.
    out = run()
    f = next(r for r in out["accounts"] if r["account_id"] == "F")
    assert f["strength_assessed"] is False and f["quadrant"] == "not_assessed"
    assert any(s.startswith("Relative strength not assessed") for s in f["reasons"])
    assert out["constraints"]["not_assessed"] == 1
