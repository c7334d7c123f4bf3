"""BG/NBD: published CDNOW estimates, hand-calculated likelihoods, predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from openkam.engine.clv import BetaGeoModel, FitResult, simulate_bgnbd
from openkam.engine.clv.bgnbd import _Objective, log_likelihood
from openkam.engine.clv.data import Compressed

#: Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 4.
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4


def test_reproduces_fader_hardie_lee_2005_on_cdnow(cdnow_summary):
    result = BetaGeoModel().fit(cdnow_summary)
    assert result.converged and result.warnings == []
    assert result.n_customers == 2357
    assert result.time_unit == "week"
    for name, value in PUBLISHED.items():
        assert result.params[name] == pytest.approx(value, rel=0.01), name
    assert result.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.5)
    assert all(se is not None and se > 0 for se in result.std_errors.values())


def test_log_likelihood_by_hand():
    # r = alpha = a = b = 1. x = 0, T = 1: L = 1 * 1 / (1 + 1) = 1/2.
    # x = 1, t_x = 1, T = 2: L = B(1,2)/B(1,1) * Gamma(2)/Gamma(1) * [3^-2 + 1/(1+1-1) 2^-2]
    #                          = 1/2 * (1/9 + 1/4) = 13/72.
    ll = log_likelihood((1, 1, 1, 1), [0, 1], [0, 1], [1, 2])
    np.testing.assert_allclose(ll, [math.log(1 / 2), math.log(13 / 72)], rtol=1e-12)


def test_analytic_gradient_matches_differences(published_summary):
    d = published_summary
    obj = _Objective(Compressed.from_arrays(d["x"], d["t_x"], d["T"]))
    p = np.array([0.3, 5.0, 0.7, 2.0])
    value, grad = obj.value_and_gradient(p)
    assert value == pytest.approx(-log_likelihood(p, d["x"], d["t_x"], d["T"]).sum(), rel=1e-12)
    numeric = approx_fprime(p, lambda q: obj.value_and_gradient(q)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_predictions_follow_the_published_formulas():
    model = BetaGeoModel.from_params(time_unit="week", **PUBLISHED)
    r, alpha, a, b = PUBLISHED.values()
    x, t_x, T, t = 2.0, 30.43, 38.86, 39.0
    # Eq. 10 and 11 of Fader, Hardie & Lee (2005) written out directly (no Euler transform).
    alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    z = t / (alpha + T + t)
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        * alive
    )
    assert model.probability_alive(x, t_x, T) == pytest.approx(alive, rel=1e-12)
    assert model.expected_purchases(t, x, t_x, T) == pytest.approx(direct, rel=1e-10)
    # The paper's worked example (section 5): this customer, 39 weeks ahead, 1.226.
    assert model.expected_purchases(t, x, t_x, T) == pytest.approx(1.226, abs=0.001)
    # Nobody who never repeated is known to have dropped out.
    assert model.probability_alive(0, 0, 50.0) == 1.0
    assert model.expected_purchases_new_customer(0.0) == pytest.approx(0.0, abs=1e-12)


def test_predictions_stay_finite_for_heavy_buyers():
    model = BetaGeoModel.from_params(**PUBLISHED)
    r, alpha, a, b = PUBLISHED.values()
    x = np.array([50.0, 500.0, 5000.0])
    T = np.full(3, 39.0)
    # Bought on the last day: P(alive) = 1 / (1 + a/(b+x-1)) (eq. 11 with t_x = T).
    np.testing.assert_allclose(model.probability_alive(x, T, T), 1 / (1 + a / (b + x - 1)))
    e = model.expected_purchases(52.0, x, T, T)
    assert np.all(np.isfinite(e)) and np.all(np.diff(e) > 0)
    # Silent for 38 of 39 weeks after thousands of purchases: surely gone, not NaN.
    gone = model.probability_alive(x, np.full(3, 1.0), T)
    assert np.all(np.isfinite(gone)) and gone[-1] < 1e-100
    mpmath = pytest.importorskip("mpmath")
    # Eq. 10 in 50-digit arithmetic, without the Euler transformation, for x = 500.
    mpmath.mp.dps = 50
    xx, TT, t = 500, 39, 52
    z = mpmath.mpf(t) / (alpha + TT + t)
    exact = (
        (a + b + xx - 1)
        / mpmath.mpf(a - 1)
        * (1 - (1 - z) ** (r + xx) * mpmath.hyp2f1(r + xx, b + xx, a + b + xx - 1, z))
        / (1 + mpmath.mpf(a) / (b + xx - 1))
    )
    assert e[1] == pytest.approx(float(exact), rel=1e-9)


def test_very_young_customers():
    # First purchase on the calibration end day: T = 0 contributes log L = 0.
    assert log_likelihood(PUBLISHED, [0], [0], [0])[0] == pytest.approx(0.0, abs=1e-12)


def test_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    T = (272 - rng.integers(0, 84, 20_000)) / 7
    data = simulate_bgnbd(PUBLISHED, T, seed=11, resolution=1 / 7)
    result = BetaGeoModel().fit(data, time_unit="week")
    assert result.converged
    for name, value in PUBLISHED.items():
        # Sampling error at 20,000 customers: within 4 standard errors.
        assert abs(result.params[name] - value) < 4 * result.std_errors[name], name


def test_save_and_load(tmp_path, cdnow_summary):
    model = BetaGeoModel()
    model.fit(cdnow_summary)
    model.save(tmp_path / "bgnbd.json")
    again = BetaGeoModel.load(tmp_path / "bgnbd.json")
    assert again.result == model.result
    assert FitResult.load(tmp_path / "bgnbd.json").params == model.params
    with pytest.raises(ValueError, match="cannot drive"):
        BetaGeoModel(FitResult("gg", {}, {}, 0.0, 0, True))
    with pytest.raises(ValueError, match="not fitted"):
        BetaGeoModel().params  # noqa: B018
