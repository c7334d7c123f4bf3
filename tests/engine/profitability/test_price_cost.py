"""The customer profitability matrix (Shapiro, Rangan, Moriarty & Ross, HBR 1987): net price
realisation against cost to serve, split at the portfolio's own ratios.

Every expected value below is computed by hand from the figures in ``FIGURES``.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from openkam.engine.profitability import QUADRANTS, matrix_to_dict, price_cost_matrix

# account: (gross sales, net sales, cost to serve, net contribution)
#   A  1,000.00    900.00    90.00    200.00  -> pays 90 %, costs 10 %  (two periods: 400 + 600 …)
#   B  1,000.00    700.00   210.00    -50.00  -> pays 70 %, costs 30 %
#   C    500.00    450.00   180.00     20.00  -> pays 90 %, costs 40 %
#   D  2,000.00  1,400.00    70.00    300.00  -> pays 70 %, costs  5 %
#   E      0.00      0.00    50.00    -50.00  -> no sales: not classified
#   F    100.00    -10.00     5.00    -40.00  -> rebates above sales: not classified
# Classified totals: gross 4,500.00, net 3,450.00, cost to serve 550.00, so the cuts are
#   net price 3,450 / 4,500 = 76.666… % -> 76.67, cost to serve 550 / 3,450 = 15.942… % -> 15.94
# A: 90 ≥ 76.67 high price, 10 < 15.94 low cost -> passive
# B: 70 low, 30 high -> aggressive;  C: 90 high, 40 high -> carriage trade;  D: low, low -> bargain
FIGURES = [
    ("A", "400.00", "360.00", "40.00", "80.00"),
    ("A", "600.00", "540.00", "50.00", "120.00"),
    ("B", "1000.00", "700.00", "210.00", "-50.00"),
    ("C", "500.00", "450.00", "180.00", "20.00"),
    ("D", "2000.00", "1400.00", "70.00", "300.00"),
    ("E", "0.00", "0.00", "50.00", "-50.00"),
    ("F", "100.00", "-10.00", "5.00", "-40.00"),
]
COLUMNS = ("gross_sales", "net_sales", "cost_to_serve", "net_contribution")


def _table(rows) -> pa.Table:
    ids, *columns = zip(*rows, strict=True) if rows else ((),) * 5
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            **{
                name: pa.array([Decimal(v) for v in values], pa.decimal128(18, 2))
                for name, values in zip(COLUMNS, columns, strict=True)
            },
        }
    )


def test_hand_computed_quadrants_and_cuts():
    matrix = price_cost_matrix(_table(FIGURES))
    assert (matrix.net_price_pct, matrix.cost_to_serve_pct) == (76.67, 15.94)
    accounts = {r["account_id"]: r for r in matrix.accounts.to_pylist()}
    assert {a: r["quadrant"] for a, r in accounts.items()} == {
        "A": "passive",
        "B": "aggressive",
        "C": "carriage_trade",
        "D": "bargain_basement",
        "E": None,
        "F": None,
    }
    # A's two periods are added before its ratios are formed: 900 / 1,000 and 90 / 900.
    assert (accounts["A"]["net_price_pct"], accounts["A"]["cost_to_serve_pct"]) == (90.0, 10.0)
    assert accounts["A"]["net_sales"] == Decimal("900.00")
    assert (accounts["C"]["net_price_pct"], accounts["C"]["cost_to_serve_pct"]) == (90.0, 40.0)
    assert accounts["E"]["net_price_pct"] is None and accounts["F"]["cost_to_serve_pct"] is None
    assert matrix.unclassified_accounts == 2
    assert matrix.unclassified_contribution == Decimal("-90.00")


def test_quadrant_totals_shares_and_margins():
    quadrants = {q["quadrant"]: q for q in price_cost_matrix(_table(FIGURES)).quadrants.to_pylist()}
    assert list(quadrants) == [name for name, _, _ in QUADRANTS]
    # passive = A: 900.00 of the 3,450.00 classified net sales = 26.09 %; margin 200 / 900.
    assert quadrants["passive"] == {
        "quadrant": "passive",
        "accounts": 1,
        "net_sales": Decimal("900.00"),
        "net_contribution": Decimal("200.00"),
        "net_sales_share_pct": 26.09,
        "contribution_margin_pct": 22.22,
    }
    # aggressive = B: 700 / 3,450 = 20.29 %; −50 / 700 = −7.14 %.
    assert (
        quadrants["aggressive"]["net_sales_share_pct"],
        quadrants["aggressive"]["contribution_margin_pct"],
    ) == (20.29, -7.14)
    assert quadrants["bargain_basement"]["net_sales"] == Decimal("1400.00")
    assert sum(q["net_sales_share_pct"] for q in quadrants.values()) == pytest.approx(100, abs=0.02)


def test_an_account_on_both_cuts_counts_as_high_price_and_high_cost():
    # Alone, an account *is* the portfolio: its ratios equal the cuts ("at or above": high).
    matrix = price_cost_matrix(_table([FIGURES[3]]))
    assert (matrix.net_price_pct, matrix.cost_to_serve_pct) == (90.0, 40.0)
    assert matrix.accounts["quadrant"].to_pylist() == ["carriage_trade"]


def test_no_classifiable_account():
    matrix = price_cost_matrix(_table([FIGURES[5]]))
    assert (matrix.net_price_pct, matrix.cost_to_serve_pct) == (None, None)
    assert matrix.quadrants["accounts"].to_pylist() == [0, 0, 0, 0]
    assert matrix.quadrants["net_sales_share_pct"].to_pylist() == [None] * 4
    out = matrix_to_dict(price_cost_matrix(_table([])))
    assert out["quadrants"][0]["accounts"] == 0 and out["accounts"] == []


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="cost_to_serve"):
        price_cost_matrix(_table(FIGURES).drop_columns(["cost_to_serve"]))


def test_json_dict_has_money_as_numbers():
    out = matrix_to_dict(price_cost_matrix(_table(FIGURES)))
    assert set(out) == {
        "net_price_pct",
        "cost_to_serve_pct",
        "quadrants",
        "unclassified",
        "accounts",
    }
    assert out["unclassified"] == {"accounts": 2, "net_contribution": -90.0}
    first = out["accounts"][0]
    assert first == {
        "account_id": "A",
        "gross_sales": 1000.0,
        "net_sales": 900.0,
        "cost_to_serve": 90.0,
        "net_contribution": 200.0,
        "net_price_pct": 90.0,
        "cost_to_serve_pct": 10.0,
        "quadrant": "passive",
    }


@pytest.mark.parametrize("seed", range(3))
def test_quadrants_partition_the_placed_accounts(seed):
    # Property: every account with positive gross and net sales is in exactly one quadrant,
    # on the side of each cut its own ratios say; the quadrants' sums add up to the placed
    # accounts' sums.
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(300):
        gross = int(rng.integers(-1000, 10**7))
        net = int(gross * rng.uniform(-0.1, 1.05))
        cts = int(rng.integers(0, 10**6))
        rows.append(
            (f"A{i:03d}", *(str(Decimal(v).scaleb(-2)) for v in (gross, net, cts, net - cts)))
        )
    matrix = price_cost_matrix(_table(rows))
    placed = [a for a in matrix.accounts.to_pylist() if a["quadrant"] is not None]
    assert len(placed) + matrix.unclassified_accounts == 300
    assert all((a["gross_sales"] > 0 and a["net_sales"] > 0) for a in placed)
    sides = {name: (price, cost) for name, price, cost in QUADRANTS}
    for a in placed:
        high_price, high_cost = sides[a["quadrant"]]
        # The table's ratios are rounded to 2 decimals; the cut compares unrounded ones.
        if abs(a["net_price_pct"] - matrix.net_price_pct) > 0.01:
            assert (a["net_price_pct"] > matrix.net_price_pct) == high_price
        if abs(a["cost_to_serve_pct"] - matrix.cost_to_serve_pct) > 0.01:
            assert (a["cost_to_serve_pct"] > matrix.cost_to_serve_pct) == high_cost
    quadrants = matrix.quadrants.to_pylist()
    assert sum(q["accounts"] for q in quadrants) == len(placed)
    assert sum(q["net_sales"] for q in quadrants) == sum(a["net_sales"] for a in placed)
