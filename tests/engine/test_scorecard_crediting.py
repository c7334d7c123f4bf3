"""Scorecard arithmetic on hand-made figures: months-held crediting to the cent, the split
of lifetime value built, periods, ranks and the composite score."""

from __future__ import annotations

import datetime as dt

import pytest

from openkam.engine import scorecards as sc

MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def ledger(account: str, sales: int, cogs: int, cts: int, months=MONTHS_2025) -> dict:
    """The same month figures (in cents) for every month of ``months``."""
    n = len(months)
    return {
        "account_id": [account] * n,
        "month": list(months),
        "net_sales": [sales] * n,
        "cogs": [cogs] * n,
        "cost_to_serve": [cts] * n,
    }


def concat(*frames: dict) -> dict:
    return {k: [v for f in frames for v in f[k]] for k in frames[0]}


def test_a_handover_on_1_july_splits_the_year_at_the_month_boundary_to_the_cent():
    # Given: account X sells 1,000.00 a month with 600.00 cost of goods and 100.33 cost to
    # serve. The engine rounded its year row once: net sales 12,000.03 and cost to serve
    # 1,203.97, a few cents off the sum of the separately rounded months (12,000.00 and
    # 1,203.96). Alice holds X until 1 July (exclusive), Bob from 1 July.
    months = ledger("X", 100_000, 60_000, 10_033)
    assignments = {
        "account_id": ["X", "X"],
        "person_id": ["alice", "bob"],
        "start": [dt.date(2024, 1, 1), dt.date(2025, 7, 1)],
        "end": [dt.date(2025, 7, 1), None],
    }
    year = {"X": {"net_sales": 1_200_003, "cogs": 720_000, "cost_to_serve": 120_397}}
    rows = {r["person_id"]: r for r in sc.credit_months(months, assignments, year).to_pylist()}
    # Then, by hand: each holds 6 months. Net sales 6 × 1,000.00 = 6,000.00 each, and the
    # 3 cents left split 6:6 = 1.5 each → 1 each and the last cent to the earlier part
    # (Alice): Alice 6,000.02, Bob 6,000.01.
    assert rows["alice"]["months_held"] == rows["bob"]["months_held"] == 6
    assert rows["alice"]["net_sales"] == 600_002
    assert rows["bob"]["net_sales"] == 600_001
    # Cost to serve 6 × 100.33 = 601.98 each, the one cent left to Alice: 601.99 / 601.98.
    assert rows["alice"]["cost_to_serve"] == 60_199
    assert rows["bob"]["cost_to_serve"] == 60_198
    # Net contribution = net sales − cogs − cost to serve:
    # Alice 6,000.02 − 3,600.00 − 601.99 = 1,798.03; Bob 6,000.01 − 3,600.00 − 601.98 = 1,798.03.
    assert rows["alice"]["net_contribution"] == 179_803
    assert rows["bob"]["net_contribution"] == 179_803
    # And the parts add up to the account's year row to the cent:
    # 12,000.03 − 7,200.00 − 1,203.97 = 3,596.06.
    assert sum(r["net_contribution"] for r in rows.values()) == 359_606
    assert sum(r["net_sales"] for r in rows.values()) == 1_200_003


def test_a_mid_month_handover_leaves_the_month_with_whoever_held_it_on_the_first():
    # Given: a handover on 15 July; then July belongs to Alice (she held X on 1 July).
    months = ledger("X", 100_000, 0, 0)
    assignments = {
        "account_id": ["X", "X"],
        "person_id": ["alice", "bob"],
        "start": [dt.date(2025, 1, 1), dt.date(2025, 7, 15)],
        "end": [dt.date(2025, 7, 15), None],
    }
    rows = {r["person_id"]: r for r in sc.credit_months(months, assignments).to_pylist()}
    assert rows["alice"]["months_held"] == 7
    assert rows["bob"]["months_held"] == 5
    assert rows["alice"]["net_sales"] == 700_000


def test_months_nobody_held_stay_unassigned_and_still_add_up():
    # Given: Y is first held from 15 March: January, February and March (whose first day
    # came before the start) are nobody's; April–December are Carol's.
    months = ledger("Y", 10_000, 1_000, 500)
    assignments = {
        "account_id": ["Y"],
        "person_id": ["carol"],
        "start": [dt.date(2025, 3, 15)],
        "end": [None],
    }
    rows = {r["person_id"]: r for r in sc.credit_months(months, assignments).to_pylist()}
    assert rows[None]["months_held"] == 3
    assert rows["carol"]["months_held"] == 9
    # 9 × (100.00 − 10.00 − 5.00) = 765.00
    assert rows["carol"]["net_contribution"] == 76_500


def test_one_person_two_accounts_and_person_totals():
    months = concat(ledger("X", 100_000, 60_000, 10_000), ledger("Z", 50_000, 10_000, 45_000))
    assignments = {
        "account_id": ["X", "Z"],
        "person_id": ["alice", "alice"],
        "start": [dt.date(2025, 1, 1)] * 2,
        "end": [None, None],
    }
    credited = sc.credit_months(months, assignments)
    totals = sc.person_totals(credited)["alice"]
    # Net sales 12 × (1,000 + 500) = 18,000; contribution 12 × (300 − 50) = 3,000.
    assert totals["net_sales"] == 1_800_000
    assert totals["net_contribution"] == 300_000
    assert totals["contribution_margin_pct"] == pytest.approx(3_000 / 18_000 * 100)
    # Cost to serve 12 × (100 + 450) = 6,600 of 18,000 = 36.67 %.
    assert totals["cost_to_serve_pct"] == pytest.approx(6_600 / 18_000 * 100)


def test_split_cents_by_largest_remainder():
    # 100.01 split 7:5 → 58.339… and 41.670…: 58.33 + 41.67 = 100.00, the cent left to
    # the larger remainder (0.916 of Alice's against 0.083 of Bob's).
    assert sc.split_cents(10_001, [7, 5]) == [5_834, 4_167]
    assert sc.split_cents(-10_001, [7, 5]) == [-5_834, -4_167]
    assert sc.split_cents(0, [1, 1]) == [0, 0]
    with pytest.raises(ValueError):
        sc.split_cents(5, [])


def test_lifetime_value_built_is_split_by_months_held():
    # Given: X's CLV went from 400.00 to 500.01 (ΔCLV 100.01), Alice held 7 months, Bob 5;
    # W has no value in the end snapshot.
    deltas = sc.split_delta_clv(
        {"X": 40_000, "W": 1_000},
        {"X": 50_001, "W": None},
        {"X": {"alice": 7, "bob": 5}, "W": {"bob": 12}},
    )
    assert deltas[("alice", "X")] == 5_834
    assert deltas[("bob", "X")] == 4_167
    assert deltas[("bob", "W")] is None


def test_periods():
    q3 = sc.parse_period("2025-q3")
    assert (q3.start, q3.end, q3.months) == (
        dt.date(2025, 7, 1),
        dt.date(2025, 10, 1),
        ["2025-07", "2025-08", "2025-09"],
    )
    assert q3.prior().label == "2025-Q2"
    assert sc.parse_period("2025-Q1").prior().label == "2024-Q4"
    ytd = sc.parse_period("2025-YTD", last_month=(2025, 9))
    assert len(ytd.months) == 9
    assert ytd.prior().months == [f"2024-{m:02d}" for m in range(1, 10)]
    assert sc.parse_period("2025").prior().label == "2024"
    with pytest.raises(ValueError, match="unknown period"):
        sc.parse_period("2025-Q5")


def test_competition_ranks_share_ties():
    assert sc.competition_ranks({"a": 5, "b": 7, "c": 7, "d": 1, "e": None}) == {
        "a": 3,
        "b": 1,
        "c": 1,
        "d": 4,
        "e": None,
    }


def test_composite_score_weights_and_leaves_out_missing_measures():
    # Given: weights 50 % net contribution, 50 % plan attainment. P1 has the higher
    # contribution (percentile 100) and 80 % attainment: (50 × 100 + 50 × 80) / 100 = 90.
    # P2 has the lower contribution (0) and no plan: only contribution counts, score 0.
    out = sc.composite_scores(
        {
            "p1": {"net_contribution": 500, "plan_attainment_pct": 80.0},
            "p2": {"net_contribution": 100, "plan_attainment_pct": None},
        },
        {"net_contribution": 50, "plan_attainment_pct": 50},
    )
    assert out["p1"]["score"] == pytest.approx(90.0)
    assert out["p2"]["score"] == pytest.approx(0.0)
    # Less cost to serve is better: the lower share gets the 100 points.
    cts = sc.composite_scores(
        {"a": {"cost_to_serve_pct": 10.0}, "b": {"cost_to_serve_pct": 20.0}},
        {"cost_to_serve_pct": 100},
    )
    assert cts["a"]["score"] == 100.0 and cts["b"]["score"] == 0.0


def test_visits_owed_per_started_cadence_interval():
    # 182 days at one visit every 91 days: 2 visits; 183 days: 3.
    assert sc.visits_expected(182, 91) == 2
    assert sc.visits_expected(183, 91) == 3
    assert sc.visits_expected(0, 91) == 0
