"""Shifted-beta-geometric retention: Fader & Hardie (2007) and (2010)."""

from __future__ import annotations

import numpy as np
import pytest

from openkam.engine.clv import (
    ShiftedBetaGeometricModel,
    fit_sbg_survivors,
    histories_from_survivors,
)

#: Fader & Hardie (2007), "How to project customer retention", Table 1 (years 0-7) and the
#: estimates fitted to them: regular alpha = 0.704, beta = 1.182; high end alpha = 0.668,
#: beta = 3.806.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    "survivors, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_reproduces_fader_hardie_2007(survivors, alpha, beta):
    result = ShiftedBetaGeometricModel().fit_survivors(survivors)
    assert result.converged
    # Published to three decimals.
    assert result.params["alpha"] == pytest.approx(alpha, abs=0.0006)
    assert result.params["beta"] == pytest.approx(beta, abs=0.0006)


def test_formulas_by_hand():
    model = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    # alpha = beta = 1: P(T = t) = B(2, t)/B(1, 1) = 1/(t (t + 1)); S(t) = B(1, 1+t) = 1/(t + 1).
    np.testing.assert_allclose(model.churn_probability([1, 2, 3]), [1 / 2, 1 / 6, 1 / 12])
    np.testing.assert_allclose(model.survival([0, 1, 2]), [1, 1 / 2, 1 / 3])
    # r_t = (beta + t - 1)/(alpha + beta + t - 1) = t/(t + 1).
    np.testing.assert_allclose(model.retention_rate([1, 2, 3]), [1 / 2, 2 / 3, 3 / 4])
    np.testing.assert_allclose(model.projected_survivors(1000, 2), [1000, 500, 1000 / 3])


def test_derl_equals_its_defining_sum():
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    d = 0.10
    t = np.arange(0, 3_000)  # 1.1^-3000 ends the sum well below rounding
    S = model.survival(t)
    for renewals in (0, 1, 4):
        n = renewals + 1
        # Fader & Hardie (2010), eq. 4: sum_{t >= n} S(t)/S(n-1) / (1+d)^(t-n).
        direct = np.sum(S[n:] / S[n - 1] / (1 + d) ** (t[n:] - n))
        assert model.discounted_expected_residual_lifetime(d, renewals) == pytest.approx(
            direct, rel=1e-9
        )
    # Loyalty raises residual value: DERL grows with renewals.
    derl = model.discounted_expected_residual_lifetime(d, np.arange(5))
    assert np.all(np.diff(derl) > 0)
    with pytest.raises(ValueError, match="positive discount rate"):
        model.discounted_expected_residual_lifetime(0.0)


def test_histories_give_the_same_fit_as_survivors():
    periods, churned, count = histories_from_survivors(REGULAR)
    expanded_t = np.repeat(periods, count.astype(int))
    expanded_c = np.repeat(churned, count.astype(int))
    a = ShiftedBetaGeometricModel().fit_survivors(REGULAR)
    b = ShiftedBetaGeometricModel().fit_histories(expanded_t, expanded_c)
    assert b.params["alpha"] == pytest.approx(a.params["alpha"], rel=1e-6)
    assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-9)


@pytest.mark.parametrize(
    "series, message",
    [
        ([1000], "at least two values"),
        ([1000, 1100, 900], "cannot increase: period 1 has 1100 after 1000"),
        ([1000, 500.5], "whole numbers"),
        ([0, 0], "empty"),
        ([1000, 1000, 1000], "nobody churned"),
    ],
)
def test_bad_survivor_series(series, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometricModel().fit_survivors(series)


def test_cli_dict():
    out = fit_sbg_survivors(REGULAR, horizon=12)
    assert set(out) >= {"params", "log_likelihood", "projected_survivors"}
    assert out["params"]["alpha"] == pytest.approx(0.704, abs=0.0006)
    assert len(out["projected_survivors"]) == 13 and out["projected_survivors"][0] == 1000
    # Fader & Hardie (2007) project year 12 for the regular segment: below the year-7 241.
    assert out["projected_survivors"][12] < 241
    assert len(fit_sbg_survivors(REGULAR)["projected_survivors"]) == len(REGULAR)
