"""Bühlmann–Straub credibility margins, against a hand calculation."""

from __future__ import annotations

import pytest

from openkam.engine.clv.credibility import credible_margins


def test_three_accounts_by_hand():
    # Account A: years (sales 100, contribution 10) and (100, 30): margins 0.1, 0.3, own 0.2.
    # Account B: (100, -10) and (300, 30): margins -0.1, 0.1, own 20/400 = 0.05.
    # Account C: one year (50, -50): margin -1.
    # Portfolio m = 10 / 650 = 1/65.
    # v = Σ w (x - own)² / Σ (years - 1) = (1 + 1 + 2.25 + 0.75) / 2 = 2.5.
    # Σ wᵢ (ownᵢ - m)² = 765/13; a = (765/13 - 2.5 × 2) / (650 - (200² + 400² + 50²)/650)
    #   = 7/44; k = v / a = 110/7.
    # Z_A = 200 / (200 + 110/7) = 0.92715…, m̃_A = Z·0.2 + (1 - Z)/65 = 1831/9815;
    # m̃_B = 307/6305; Z_C = 50 / (50 + 110/7) = 0.76087…, m̃_C = -1132/1495.
    result = credible_margins(
        ["A", "A", "B", "B", "C"], [10, 30, -10, 30, -50], [100, 100, 100, 300, 50]
    )
    assert result.portfolio == pytest.approx(1 / 65)
    assert result.k == pytest.approx(110 / 7)
    assert result.weights["A"] == pytest.approx(200 / (200 + 110 / 7))
    assert result.margins["A"] == pytest.approx(1831 / 9815)
    assert result.margins["B"] == pytest.approx(307 / 6305)
    assert result.margins["C"] == pytest.approx(-1132 / 1495)


def test_little_business_leans_on_the_portfolio_and_much_keeps_its_own():
    # Many accounts with steady margins of 10 % and 30 %, and one tiny account at -165 %
    # (the demo's 129 EUR order that cost 213 to serve): the tiny one is valued near the
    # portfolio's margin, the big ones near their own.
    accounts, contribution, sales = [], [], []
    for i in range(20):
        own = 0.1 if i % 2 else 0.3
        for year_margin in (own - 0.02, own + 0.02):
            accounts.append(f"A{i}")
            contribution.append(year_margin * 1_000_000)
            sales.append(1_000_000)
    accounts.append("TINY")
    contribution.append(-213.42)
    sales.append(129.21)
    result = credible_margins(accounts, contribution, sales)
    assert abs(result.margins["TINY"] - result.portfolio) < 0.01
    # 2M of sales each against k ≈ 80,000 (v = 800, a ≈ 0.01): Z ≈ 0.96, pulled a little
    # towards the portfolio's 0.2.
    assert result.k == pytest.approx(80_000, rel=0.05)
    assert 0.29 < result.margins["A0"] < 0.3
    assert 0.1 < result.margins["A1"] < 0.11


def test_no_differences_beyond_noise_give_everyone_the_portfolio_margin():
    # Two accounts whose yearly margins scatter as much within as between them: a ≤ 0.
    result = credible_margins(["A", "A", "B", "B"], [0, 20, 20, 0], [100, 100, 100, 100])
    assert result.k is None
    assert result.margins == {"A": 0.1, "B": 0.1}


def test_years_without_sales_carry_no_margin_and_bad_lengths_are_refused():
    result = credible_margins(["A", "A", "B"], [5, -3, -4], [50, 0, -10])
    assert set(result.margins) == {"A"}  # B's only year had negative sales
    assert result.margins["A"] == pytest.approx(0.1)  # the portfolio is A alone
    with pytest.raises(ValueError, match="same length"):
        credible_margins(["A"], [1, 2], [3])
    assert credible_margins([], [], []).margins == {}
