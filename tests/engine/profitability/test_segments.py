"""Profitability per segment of accounts: exact sums per group, ratios of the sums.

Expected values are worked out by hand from ``FIGURES`` in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from openkam.engine.profitability import NO_SEGMENT, segment_totals

COLUMNS = ("net_sales", "gross_margin", "cost_to_serve", "net_contribution")
# account: net sales, gross margin, cost to serve, net contribution (A has two periods)
FIGURES = [
    ("A", "600.00", "200.00", "50.00", "150.00"),
    ("A", "400.00", "100.00", "50.00", "50.00"),
    ("B", "500.00", "100.00", "150.00", "-50.00"),
    ("C", "0.00", "0.00", "10.01", "-10.01"),
    ("D", "100.00", "40.00", "0.00", "40.00"),
]
# food = A + B: net sales 1,500.00, gross margin 400.00, cost to serve 250.00,
#   net contribution 150.00 (A 200.00, B −50.00: one account losing money);
#   cost to serve 250 / 1,500 = 16.67 %, margin 150 / 1,500 = 10.00 %
# metals = C: no sales, −10.01 -> ratios null;  D has no segment -> "(none)": 40.00, 40 %


def _table(rows) -> pa.Table:
    ids, *columns = zip(*rows, strict=True)
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            **{
                name: pa.array([Decimal(v) for v in values], pa.decimal128(18, 2))
                for name, values in zip(COLUMNS, columns, strict=True)
            },
        }
    )


def test_sums_ratios_and_order_by_contribution():
    out = segment_totals(_table(FIGURES), {"A": "food", "B": "food", "C": "metals", "D": None})
    rows = out.to_pylist()
    assert [r["segment"] for r in rows] == ["food", NO_SEGMENT, "metals"]
    food = rows[0]
    assert food == {
        "segment": "food",
        "accounts": 2,
        "losing_accounts": 1,
        "net_sales": Decimal("1500.00"),
        "gross_margin": Decimal("400.00"),
        "cost_to_serve": Decimal("250.00"),
        "net_contribution": Decimal("150.00"),
        "cts_pct": 16.67,
        "contribution_margin_pct": 10.0,
    }
    none, metals = rows[1], rows[2]
    assert (none["accounts"], none["net_contribution"], none["contribution_margin_pct"]) == (
        1,
        Decimal("40.00"),
        40.0,
    )
    assert (metals["losing_accounts"], metals["cts_pct"], metals["contribution_margin_pct"]) == (
        1,
        None,
        None,
    )
    # Nothing is lost or counted twice: 150 + 50 − 50 − 10.01 + 40 = 179.99, as the figures.
    assert sum(r["net_contribution"] for r in rows) == Decimal("179.99")


def test_accounts_missing_from_the_mapping_have_no_segment():
    out = segment_totals(_table(FIGURES[:2]), {})
    assert out.to_pylist()[0]["segment"] == NO_SEGMENT and out.num_rows == 1


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="gross_margin"):
        segment_totals(_table(FIGURES).drop_columns(["gross_margin"]), {})


@pytest.mark.parametrize("seed", range(3))
def test_segments_partition_the_accounts_and_their_cents(seed):
    # Property: whatever the figures and the mapping, every account is in exactly one
    # segment and every cent of every column is in exactly one segment's sum.
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 500
    ids = [f"A{rng.integers(0, 200):03d}" for _ in range(n)]
    cents = {name: rng.integers(-(10**9), 10**9, n) for name in COLUMNS}
    rows = [
        (ids[i], *(str(Decimal(int(cents[c][i])).scaleb(-2)) for c in COLUMNS)) for i in range(n)
    ]
    segment_of = {a: rng.choice(["north", "south", "east", None]) for a in set(ids)}
    out = segment_totals(_table(rows), segment_of).to_pylist()
    assert sum(r["accounts"] for r in out) == len(set(ids))
    for name in COLUMNS:
        assert sum(r[name] for r in out) == Decimal(int(cents[name].sum())).scaleb(-2)
