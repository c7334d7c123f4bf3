"""Scoring, matrix and hysteresis on hand-made data (expected values computed by hand)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkam.engine.selection import Criterion, Hysteresis, eligibility, quadrant, score_axis

C1 = Criterion("c1", "c1", weight=2, normalisation="minmax")
C2 = Criterion("c2", "c2", weight=1, normalisation="scale", scale=(1, 5), missing="median")
VALUES = {"a": {"c1": 10, "c2": 5}, "b": {"c1": 20}, "c": {"c1": 30, "c2": 3}}


def test_weighted_score_with_median_rule():
    # By hand: c1 min-max → a 0, b 0.5, c 1; c2 on 1–5 → a 1, c 0.5, b missing → median 0.75.
    # a = 10·(2·0 + 1·1)/3 = 3.3333; b = 10·(2·0.5 + 0.75)/3 = 5.8333; c = 10·(2 + 0.5)/3.
    s = score_axis(VALUES, [C1, C2])
    assert s["a"].score == pytest.approx(10 / 3)
    assert s["b"].score == pytest.approx(17.5 / 3)
    assert s["c"].score == pytest.approx(25 / 3)
    b = {c.key: c for c in s["b"].contributions}
    assert b["c2"].missing and b["c2"].points == pytest.approx(7.5 / 3)
    for score in s.values():
        assert sum(c.points for c in score.contributions) == pytest.approx(score.score)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("worst", 10 * (2 * 0.5 + 0) / 3), ("exclude", 10 * (2 * 0.5) / 2)],
)
def test_missing_value_rules(rule, expected):
    # By hand: b has c1 = 0.5; "worst" scores c2 as 0, "exclude" drops its weight.
    c2 = Criterion("c2", "c2", weight=1, normalisation="scale", scale=(1, 5), missing=rule)
    assert score_axis(VALUES, [C1, c2])["b"].score == pytest.approx(expected)


def test_lower_is_better_and_rank_normalisation():
    # By hand: ranks of 5, 100, 7 are 1, 3, 2 → (0, 1, 0.5); lower-is-better flips them.
    c = Criterion("dso", "dso", direction="lower", normalisation="rank")
    s = score_axis({"a": {"dso": 5}, "b": {"dso": 100}, "c": {"dso": 7}}, [c])
    assert [s[k].score for k in "abc"] == pytest.approx([10.0, 0.0, 5.0])


def test_equal_values_do_not_divide_by_zero():
    s = score_axis({"a": {"c1": 3}, "b": {"c1": 3}}, [C1])
    assert s["a"].score == s["b"].score == 10.0


@pytest.mark.parametrize(
    ("a", "s", "expected"),
    [
        (6, 6, "key"),
        (6, 4, "key_development"),
        (4, 6, "maintenance"),
        (4, 4, "opportunistic"),
        (5, 5, "key"),  # a score on the threshold counts as high
    ],
)
def test_quadrants(a, s, expected):
    assert quadrant(a, s, 5, 5) == expected


RULE = Hysteresis(entry=6, exit=4, reviews=2)


def test_hysteresis_by_hand():
    assert eligibility(5.9, False, 0, RULE).status == "ineligible"
    assert eligibility(6.0, False, 0, RULE).status == "candidate"
    first = eligibility(3.0, True, 0, RULE)
    assert (first.status, first.below_exit) == ("retained", 1)
    second = eligibility(3.0, True, first.below_exit, RULE)
    assert (second.status, second.below_exit) == ("demoted", 2)
    # A review back above the exit threshold resets the count.
    assert eligibility(5.0, True, 1, RULE).below_exit == 0


@settings(max_examples=200, deadline=None)
@given(
    scores=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=15),
    reviews=st.integers(1, 4),
    exit_=st.floats(0, 6),
)
def test_hysteresis_over_sequences(scores, reviews, exit_):
    """A key account leaves only after N consecutive reviews below exit; nobody enters
    below the entry threshold."""
    rule = Hysteresis(entry=6, exit=exit_, reviews=reviews)
    is_key, count, history = False, 0, []
    for score in scores:
        el = eligibility(score, is_key, count, rule)
        history.append(score)
        if not is_key and el.status == "candidate":
            assert score >= rule.entry
            is_key = True
        elif is_key and el.status == "demoted":
            assert len(history) >= reviews
            assert all(s < rule.exit for s in history[-reviews:])
            is_key = False
        elif is_key:
            assert el.status == "retained"
        count = el.below_exit
