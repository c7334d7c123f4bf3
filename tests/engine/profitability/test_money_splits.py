"""Splitting money by largest remainder, and the currency codes (openkam.engine.money)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profitability_ledgers import write_ledger

from openkam.engine.money import (
    check_currency,
    is_currency,
    largest_remainder,
    split_cents,
)
from openkam.engine.profitability import profitability_report


def test_the_issues_example_splits_100_over_three_hours():
    # Issue 19: a pool of 100.00 for 3 hours, three accounts using one hour each:
    # 10000 / 3 = 3333⅓ cents each; floors 3333 × 3 = 9999, the cent left to the first.
    assert split_cents(10000, [1, 1, 1]) == [3334, 3333, 3333]


def test_the_issues_example_through_the_engine(tmp_path):
    data = write_ledger(
        tmp_path,
        activities=[
            ("2024-01-10", "A", "support", "1", "X1"),
            ("2024-01-11", "B", "support", "1", "X2"),
            ("2024-01-12", "C", "support", "1", "X3"),
        ],
        cost_pools=[("support", "2024-01-01", "2024-01-31", "100.00", "3", "hour")],
    )
    report = profitability_report(data, "month", currency="EUR")
    charges = {r["account_id"]: r["cost_by_pool"]["support"] for r in report["rows"]}
    # Allocated 3 × 100/3 = 100.00 exactly, as 33.34 + 33.33 + 33.33 (not 99.99 and 0.01
    # unused); A gets the cent (equal remainders go to the first account).
    assert charges == {"A": 33.34, "B": 33.33, "C": 33.33}
    assert [(p["allocated"], p["unused"]) for p in report["pools"]] == [(100.00, 0.00)]


def test_a_year_pool_split_over_months_adds_up(tmp_path):
    # 1000.00 for 7 hours over a year; A uses one hour in each of January, February and
    # March. A's charge 3/7 × 1000 = 428.5714 → 428.57; the months' exact shares are
    # 142.857142… each: floors 142.85 × 3 = 428.55, two cents left, to January and February
    # (equal remainders go to the earlier month): 142.86 + 142.86 + 142.85 = 428.57.
    data = write_ledger(
        tmp_path,
        activities=[(f"2024-0{m}-10", "A", "kam", "1", f"X{m}") for m in (1, 2, 3)],
        cost_pools=[("kam", "2024-01-01", "2024-12-31", "1000.00", "7", "hour")],
    )
    months = profitability_report(data, "month", currency="EUR")
    assert [r["cost_to_serve"] for r in months["rows"]] == [142.86, 142.86, 142.85]
    quarter = profitability_report(data, "quarter", currency="EUR")
    assert [r["cost_to_serve"] for r in quarter["rows"]] == [428.57]
    assert [(p["allocated"], p["unused"]) for p in quarter["pools"]] == [(428.57, 571.43)]


def test_negative_totals_and_explicit_totals():
    # −100.00 over three: −3333⅓ each, floors −3334 × 3 = −10002, two cents back.
    assert split_cents(-10000, [1, 1, 1]) == [-3333, -3333, -3334]
    # Groups are independent; an explicit total is honoured.
    parts = largest_remainder(np.array([5, 5, 7, 7]), 2, np.array([0, 0, 1, 1]), np.array([5, 7]))
    assert parts.tolist() == [3, 2, 4, 3]


def test_big_numerators_are_exact():
    # Quotas (10^30 + 1) / 10^20 = 10^10 + 10^-20 each, beyond int64 before the division:
    # floors 10^10 each, and the two tiny remainders add up to far less than half a cent.
    big = 10**30
    parts = largest_remainder(np.array([big + 1, big + 1], dtype=object), 10**20, np.array([0, 0]))
    assert parts.tolist() == [10**10, 10**10]


def test_bad_weights():
    with pytest.raises(ValueError):
        split_cents(100, [0, 0])
    with pytest.raises(ValueError):
        split_cents(100, [1, -1])


# No deadline or slowness check: a shared machine under load stalls for seconds at times.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    total=st.integers(-(10**12), 10**12),
    # The first weight is at least 1, so the sum is positive (no filtering needed).
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=30).map(
        lambda w: [w[0] + 1, *w[1:]]
    ),
)
def test_parts_add_up_and_each_is_within_a_cent(total, weights):
    parts = split_cents(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total * weight, whole)) < 1


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quotas=st.lists(
        st.tuples(st.integers(0, 4), st.integers(-(10**9), 10**9)), min_size=1, max_size=40
    ),
    denominator=st.integers(1, 10**6),
)
def test_groups_round_their_sum_once(quotas, denominator):
    groups = np.array([g for g, _ in quotas], dtype=np.int64)
    numerators = np.array([n for _, n in quotas], dtype=np.int64)
    parts = largest_remainder(numerators, denominator, groups)
    for g in set(groups.tolist()):
        mine = groups == g
        exact = Fraction(int(numerators[mine].sum()), denominator)
        # The group's total is its exact sum rounded half up, once.
        assert int(parts[mine].sum()) == (2 * exact.numerator + exact.denominator) // (
            2 * exact.denominator
        )
        for part, n in zip(parts[mine], numerators[mine], strict=True):
            assert abs(int(part) - Fraction(int(n), denominator)) < 1


def test_currency_codes():
    assert is_currency("EUR") and is_currency("JPY") and is_currency("CHF")
    assert not is_currency("eur") and not is_currency("XYZ") and not is_currency(None)
    with pytest.raises(ValueError, match="ISO 4217"):
        check_currency("EURO")
