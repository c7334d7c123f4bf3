"""Allocation of scarce supply: the default policy on hand-made cases, the protection rule,
conservation on random cases, first come first served and the LP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkam.engine.operations import Protection, allocate, share, what_if

AS_OF = dt.date(2025, 3, 1)
Q = pa.decimal128(18, 3)


def lines_of(*rows) -> pa.Table:
    """Open lines from (order_id, account_id, product_id, order_date, open quantity)."""
    return pa.table(
        {
            "order_id": [r[0] for r in rows],
            "line_no": pa.array([1] * len(rows), pa.int32()),
            "account_id": [r[1] for r in rows],
            "product_id": [r[2] for r in rows],
            "order_date": pa.array([r[3] for r in rows], pa.date32()),
            "open_quantity": pa.array([Decimal(r[4]) for r in rows], Q),
        }
    )


def supply_of(*rows) -> pa.Table:
    """Supply from (product_id, available_date, quantity)."""
    return pa.table(
        {
            "product_id": [r[0] for r in rows],
            "available_date": pa.array([r[1] for r in rows], pa.date32()),
            "quantity": pa.array([Decimal(r[2]) for r in rows], Q),
        }
    )


def d(day: int) -> dt.date:
    return dt.date(2025, 2, day)


def confirmed(result) -> dict[str, int]:
    return dict(zip(result.lines["order_id"].to_pylist(), result.confirmed.tolist(), strict=True))


def test_share_hands_remainders_to_largest_fraction_then_earliest():
    # 10 units over weights 3, 3, 4 (total 10 = amount): exact 3, 3, 4.
    assert share(np.zeros(3, int), np.array([3, 3, 4]), np.array([10]), np.arange(3)).tolist() == [
        3,
        3,
        4,
    ]
    # 5 units over weights 2, 3, 4 (total 9): exact 10/9=1.11, 15/9=1.67, 20/9=2.22;
    # floors 1, 1, 2 = 4; the one unit left goes to the largest fraction, 0.67 (the second).
    assert share(np.zeros(3, int), np.array([2, 3, 4]), np.array([5]), np.arange(3)).tolist() == [
        1,
        2,
        2,
    ]
    # 2 units over three equal weights: fractions tie at 2/3 each; earliest (tie 0, 1) win.
    assert share(
        np.zeros(3, int), np.array([5, 5, 5]), np.array([2]), np.array([1, 2, 0])
    ).tolist() == [
        1,
        0,
        1,
    ]


def test_default_policy_pro_rata_with_remainders_by_hand():
    # Given 7 units of P in stock and three open lines of 4, 4 and 2 (total 10), no commitment.
    lines = lines_of(
        ("O1", "A", "P", d(3), 4), ("O2", "B", "P", d(1), 4), ("O3", "C", "P", d(2), 2)
    )
    result = allocate(lines, supply_of(("P", d(1), 7)), as_of=AS_OF)
    # By hand: exact shares 7·4/10 = 2.8, 2.8, 7·2/10 = 1.4; floors 2, 2, 1 = 5; two units
    # left go to the largest fractions: O1 and O2 (0.8 each, tie) before O3 (0.4).
    assert confirmed(result) == {"O1": 3, "O2": 3, "O3": 1}
    assert result.short.tolist() == [1, 1, 1]
    assert result.rule == ["pro rata"] * 3
    assert result.confirmed_date == [AS_OF] * 3  # stock on hand is available on the as-of day


def test_default_policy_tie_goes_to_the_earliest_order():
    # Given 3 units and four lines of 2 (total 8): exact 0.75 each, floors 0, all fractions
    # equal; the 3 units go to the three earliest orders (O2 on the 1st, O4 on the 2nd, O1
    # on the 3rd), O3 (the 4th) gets nothing.
    lines = lines_of(
        ("O1", "A", "P", d(3), 2),
        ("O2", "B", "P", d(1), 2),
        ("O3", "C", "P", d(4), 2),
        ("O4", "D", "P", d(2), 2),
    )
    result = allocate(lines, supply_of(("P", d(1), 3)), as_of=AS_OF)
    assert confirmed(result) == {"O1": 1, "O2": 1, "O3": 0, "O4": 1}


def test_protected_quantity_first_then_pro_rata_over_two_receipts():
    # Given key account K with a commitment protecting 6 units of P, and lines of 10 each
    # from K (1 Feb), A (2 Feb), B (3 Feb); 12 units in stock now and 5 arriving 1 April.
    lines = lines_of(
        ("OK", "K", "P", d(1), 10), ("OA", "A", "P", d(2), 10), ("OB", "B", "P", d(3), 10)
    )
    supply = supply_of(("P", d(1), 12), ("P", dt.date(2025, 4, 1), 5))
    result = allocate(lines, supply, protections=[Protection("C1", "K", ("P",), 6)], as_of=AS_OF)
    # By hand. Stock (12): K's claim takes its 6 protected units; 6 left over remaining
    # 4 (K), 10 (A), 10 (B) = 24: exact 1, 2.5, 2.5 → floors 1, 2, 2; the unit left goes to
    # A (tie at 0.5 with B, earlier order). After: K 7, A 3, B 2.
    # Receipt (5): protection used up; remaining 3, 7, 8 = 18: exact 0.83, 1.94, 2.22 →
    # floors 0, 1, 2 = 3; two units left by largest fraction: A (0.94), K (0.83).
    # Totals: K 8, A 5, B 4 = 17 units, all the supply.
    assert confirmed(result) == {"OK": 8, "OA": 5, "OB": 4}
    assert result.protected.tolist() == [6, 0, 0]
    assert result.rule[0] == "protected by commitment C1"
    # Every line got units from the April receipt: that is the date all are confirmed for.
    assert result.confirmed_date == [dt.date(2025, 4, 1)] * 3


def test_claims_larger_than_supply_share_it_in_proportion():
    # Given 5 units of P, and two commitments protecting 6 (K1) and 4 (K2) units; each key
    # account has an open line of 10 and non-key N one of 10.
    lines = lines_of(
        ("O1", "K1", "P", d(1), 10), ("O2", "K2", "P", d(2), 10), ("O3", "N", "P", d(3), 10)
    )
    prot = [Protection("C1", "K1", ("P",), 6), Protection("C2", "K2", ("P",), 4)]
    result = allocate(lines, supply_of(("P", d(1), 5)), protections=prot, as_of=AS_OF)
    # By hand: claims 6 and 4 exceed 5: exact 3 and 2 → K1 3, K2 2, nothing left for N.
    assert confirmed(result) == {"O1": 3, "O2": 2, "O3": 0}


def test_fcfs_fills_the_earliest_orders():
    lines = lines_of(
        ("O1", "A", "P", d(3), 4), ("O2", "B", "P", d(1), 4), ("O3", "C", "P", d(2), 2)
    )
    result = allocate(lines, supply_of(("P", d(1), 7)), policy="fcfs", as_of=AS_OF)
    # O2 (1 Feb) 4, O3 (2 Feb) 2, O1 (3 Feb) the last 1.
    assert confirmed(result) == {"O1": 1, "O2": 4, "O3": 2}


def test_optimise_weighs_contribution_and_commitments():
    # Given 12 units; K's commitment protects 6; unit values K 1, A 3, B 2.
    lines = lines_of(
        ("OK", "K", "P", d(1), 10), ("OA", "A", "P", d(2), 10), ("OB", "B", "P", d(3), 10)
    )
    result = allocate(
        lines,
        supply_of(("P", d(1), 12)),
        policy="optimise",
        protections=[Protection("C1", "K", ("P",), 6)],
        as_of=AS_OF,
        unit_value=np.array([1.0, 3.0, 2.0]),
    )
    # By hand: a protected unit of K is worth 1 + 4 (the default weight, largest value + 1)
    # = 5 > A's 3 > B's 2 > K's unprotected 1: K 6, A the other 6, B nothing.
    assert confirmed(result) == {"OK": 6, "OA": 6, "OB": 0}


def test_no_supply_and_fractional_open_quantities():
    lines = lines_of(("O1", "A", "P", d(1), "2.5"), ("O2", "A", "Q", d(1), 3))
    result = allocate(lines, supply_of(("P", d(1), 10)), as_of=AS_OF)
    # P is plentiful but only whole units are confirmed: 2 of 2.5; Q has no supply.
    assert confirmed(result) == {"O1": 2, "O2": 0}
    assert result.rule == ["whole units only", "no supply"]
    rows = result.rows()
    assert rows[0]["short_quantity"] == 0.5 and rows[1]["confirmed_date"] is None


def test_what_if_counts_what_non_key_accounts_give_up():
    lines = lines_of(("OK", "K", "P", d(1), 10), ("OA", "A", "P", d(2), 10))
    prot = [Protection("C1", "K", ("P",), 8)]
    rows = what_if(
        lines,
        supply_of(("P", d(1), 10)),
        prot,
        as_of=AS_OF,
        key_accounts={"K"},
        unit_value=np.array([2.0, 3.0]),
    )
    # With protection: K takes 8; the 2 left go pro rata to the remaining 2 (K) and 10 (A):
    # exact 0.33 and 1.67 → floors 0, 1, the last unit to A's larger fraction: K 8, A 2.
    # Without: 5 and 5. A loses 3 units worth 3 × 3 = 9.00; K gains 3.
    by = {r["account_id"]: r for r in rows}
    assert by["A"]["units_lost"] == 3 and by["A"]["contribution_lost"] == 9.0
    assert by["K"]["units_lost"] == -3 and by["K"]["key"]
    assert [r["account_id"] for r in rows] == ["A", "K"]  # non-key accounts first


@st.composite
def cases(draw):
    n_products = draw(st.integers(1, 4))
    n_accounts = draw(st.integers(1, 5))
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        rows.append(
            (
                f"O{i:03d}",
                f"A{draw(st.integers(0, n_accounts - 1))}",
                f"P{draw(st.integers(0, n_products - 1))}",
                d(draw(st.integers(1, 28))),
                draw(st.integers(1, 40)),
            )
        )
    supply = []
    for p in range(n_products):
        for day in sorted(draw(st.sets(st.integers(1, 60), max_size=3))):
            supply.append(
                (f"P{p}", dt.date(2025, 1, 1) + dt.timedelta(days=day), draw(st.integers(1, 60)))
            )
    protections = [
        Protection(
            f"C{j}",
            f"A{draw(st.integers(0, n_accounts - 1))}",
            (f"P{draw(st.integers(0, n_products - 1))}",),
            draw(st.integers(1, 30)),
        )
        for j in range(draw(st.integers(0, 3)))
    ]
    return rows, supply, protections


@settings(max_examples=150, deadline=None)
@given(cases(), st.sampled_from(["protect", "fcfs", "optimise"]))
def test_conservation_on_random_cases(case, policy):
    rows, supply_rows, prot = case
    lines = lines_of(*rows)
    supply = supply_of(*supply_rows) if supply_rows else supply_of(("P0", d(1), 0))
    result = allocate(lines, supply, policy=policy, protections=prot, as_of=AS_OF)
    open_q = np.array([r[4] for r in rows])
    # confirmed + short = open, nothing negative, never more than open.
    assert np.all(result.confirmed >= 0)
    assert np.array_equal(result.confirmed + result.short, open_q)
    # Per product, confirmed ≤ supply.
    total = {}
    for p, _, q in supply_rows:
        total[p] = total.get(p, 0) + q
    for p in {r[2] for r in rows}:
        mask = np.array([r[2] == p for r in rows])
        given_ = int(result.confirmed[mask].sum())
        assert given_ <= total.get(p, 0)
        # No unit left in the warehouse while a line of the product is short, whatever the
        # policy (the LP decides who, not whether).
        assert given_ == min(total.get(p, 0), int(open_q[mask].sum()))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_protected_quantity_never_goes_elsewhere_while_the_committed_order_is_open(case):
    rows, supply_rows, prot = case
    if not supply_rows or not prot:
        return
    lines = lines_of(*rows)
    result = allocate(lines, supply_of(*supply_rows), protections=prot, as_of=AS_OF)
    total = {}
    for p, _, q in supply_rows:
        total[p] = total.get(p, 0) + q
    protected_units: dict[tuple[str, str], int] = {}
    for c in prot:
        key = (c.account_id, c.products[0])
        protected_units[key] = protected_units.get(key, 0) + c.quantity
    for (account, product), units in protected_units.items():
        mine = np.array([r[1] == account and r[2] == product for r in rows])
        if not mine.any():
            continue
        got = int(result.confirmed[mine].sum())
        still_open = int(result.short[mine].sum()) > 0
        # While the committed account's line is short, it has at least its protected
        # quantity — or all the supply there was, shared only with other protections.
        if still_open:
            other_claims = sum(
                u for (a, p), u in protected_units.items() if p == product and a != account
            )
            if other_claims == 0:
                assert got >= min(units, total.get(product, 0))


def test_bad_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        allocate(
            lines_of(("O1", "A", "P", d(1), 1)), supply_of(("P", d(1), 1)), policy="x", as_of=AS_OF
        )
