"""Pareto/NBD: published CDNOW estimates, a stable likelihood, predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from openkam.engine.clv import ParetoNBDModel, simulate_pareto_nbd
from openkam.engine.clv.data import Compressed
from openkam.engine.clv.pareto_nbd import _hyp2f1_1, _Objective, log_likelihood

#: Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 4: the
#: Pareto/NBD on the same CDNOW calibration data, r = 0.55, alpha = 10.58, s = 0.61,
#: beta = 11.67, log-likelihood -9595.0 (also Fader & Hardie's note 008 spreadsheet).
PUBLISHED = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
PUBLISHED_LL = -9595.0


def test_reproduces_the_published_cdnow_estimates(cdnow_summary):
    result = ParetoNBDModel().fit(cdnow_summary)
    assert result.converged and result.warnings == []
    for name, value in PUBLISHED.items():
        # Published to two decimals: within rounding (0.005) plus 0.5 %.
        assert result.params[name] == pytest.approx(value, rel=0.005, abs=0.005), name
    assert result.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.5)


def test_log_likelihood_by_hand():
    # r = s = alpha = beta = 1 makes the hypergeometric term (1 + y)^-(r+s+x).
    # x = 0, t_x = 0, T = 1: L = 1/(2 * 2) + 1/2 * (1 - 1/4) = 5/8.
    # x = 1, t_x = 1, T = 2: L = Gamma(2) [1/(3^2 * 3) + 1/3 * (2^-3 - 3^-3)] = 1/27 + 19/648 = 43/648.
    ll = log_likelihood((1, 1, 1, 1), [0, 1], [0, 1], [1, 2])
    np.testing.assert_allclose(ll, [math.log(5 / 8), math.log(43 / 648)], rtol=1e-12)


@pytest.mark.parametrize(
    "params", [(0.55, 10.58, 0.61, 11.67), (0.55, 11.67, 0.61, 10.58), (2.0, 1.0, 0.3, 90.0)]
)
@pytest.mark.parametrize("x, t_x, T", [(2, 30.43, 38.86), (60, 20.0, 39.0), (400, 38.0, 39.0)])
def test_likelihood_against_direct_integration(params, x, t_x, T):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    r, alpha, s, beta = (mpmath.mpf(v) for v in params)
    # L = Gamma(r+x) alpha^r / Gamma(r) * [ (alpha+T)^-(r+x) (beta/(beta+T))^s
    #     + int_{t_x}^{T} (alpha+tau)^-(r+x) s beta^s (beta+tau)^-(s+1) dtau ]
    # (conditioning on the drop-out time; Fader & Hardie 2005, eqs. 12-22).
    integral = mpmath.quad(
        lambda tau: (alpha + tau) ** (-(r + x)) * s * beta**s * (beta + tau) ** (-(s + 1)),
        # Split the interval: the integrand falls by orders of magnitude for large x.
        mpmath.linspace(t_x, T, 20),
    )
    exact = (
        mpmath.loggamma(r + x)
        - mpmath.loggamma(r)
        + r * mpmath.log(alpha)
        + mpmath.log((alpha + T) ** (-(r + x)) * (beta / (beta + T)) ** s + integral)
    )
    assert log_likelihood(params, [x], [t_x], [T])[0] == pytest.approx(float(exact), abs=1e-8)


def test_hypergeometric_fallback_where_scipy_fails():
    mpmath = pytest.importorskip("mpmath")
    # SciPy's hyp2f1 returns NaN for 2F1(1, 300; 301.1; 0.9999); the integral takes over.
    value = _hyp2f1_1(np.array([300.0]), np.array([301.1]), np.array([0.9999]))[0]
    assert value == pytest.approx(float(mpmath.hyp2f1(1, 300, 301.1, 0.9999)), rel=1e-9)


def test_hypergeometric_continued_fraction_where_scipy_fails():
    """Long histories (large m) with z near 1, where SciPy gives NaN, are settled by Gauss's
    continued fraction together; each value checked against mpmath's arbitrary precision."""
    mpmath = pytest.importorskip("mpmath")
    m = np.array([300.0, 2000.0, 50.0, 1e5, 800.0])
    c = m + np.array([1.1, 3.0, 2.0, 0.5, 4.0])
    z = np.array([0.9999, 0.99999, 0.999, 0.999999, 0.99995])
    values = _hyp2f1_1(m, c, z)
    for mi, ci, zi, v in zip(m, c, z, values, strict=True):
        assert v == pytest.approx(float(mpmath.hyp2f1(1, mi, ci, zi)), rel=1e-10)


def test_gradient_matches_differences(published_summary):
    d = published_summary
    obj = _Objective(Compressed.from_arrays(d["x"], d["t_x"], d["T"]))
    p = np.array([0.4, 8.0, 0.9, 15.0])
    value, grad = obj.value_and_gradient(p)
    assert value == pytest.approx(-log_likelihood(p, d["x"], d["t_x"], d["T"]).sum(), rel=1e-12)
    numeric = approx_fprime(p, lambda q: obj.value_and_gradient(q)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_gradient_where_alpha_equals_beta(published_summary):
    # The likelihood's 2F1 form switches at alpha = beta; its differenced part must not.
    d = published_summary
    obj = _Objective(Compressed.from_arrays(d["x"], d["t_x"], d["T"]))
    p = np.array([0.5, 10.0, 0.6, 10.0])
    numeric = approx_fprime(p, lambda q: obj.value_and_gradient(q)[0], 1e-7)
    np.testing.assert_allclose(obj.value_and_gradient(p)[1], numeric, rtol=1e-4)


def _independent_standard_errors(params, x, t_x, T, h=1e-2):
    """Standard errors from the summed per-customer log-likelihood alone.

    Its Hessian in log-parameters by central second differences with Richardson
    extrapolation (steps h and h/2, error O(h^4)): no gradient code of the model involved.
    """
    theta = np.log(np.asarray(params, dtype=float))

    def f(t):
        return -log_likelihood(np.exp(t), x, t_x, T).sum()

    def hessian(step):
        E = np.eye(len(theta)) * step
        return np.array(
            [
                [
                    (
                        f(theta + E[i] + E[j])
                        - f(theta + E[i] - E[j])
                        - f(theta - E[i] + E[j])
                        + f(theta - E[i] - E[j])
                    )
                    / (4 * step**2)
                    for j in range(len(theta))
                ]
                for i in range(len(theta))
            ]
        )

    H = (4 * hessian(h / 2) - hessian(h)) / 3
    return np.exp(theta) * np.sqrt(np.diag(np.linalg.inv(H)))


def test_standard_errors_with_very_many_repeat_purchases():
    # given customers buying ~100 times a week for three years (up to ~10^5 repeat purchases,
    # like the accounts of a 100M-line ledger, more so); the power part of the hypergeometric
    # term is then ~10^6 while its 2F1 factor is of order one
    data = simulate_pareto_nbd(
        {"r": 2.0, "alpha": 0.01, "s": 0.4, "beta": 100.0}, 156.0, 300, seed=7, resolution=1 / 7
    )
    # when the model is fitted
    result = ParetoNBDModel().fit(data)
    assert result.converged and result.warnings == []
    # then its standard errors are those of an independent Hessian of the log-likelihood
    # (differencing the whole term gave se(s) = 0.080 and se(beta) = 34 instead of 0.144 and 62)
    x, t_x, T = (data.column(c).to_numpy() for c in ("frequency", "recency", "T"))
    expected = _independent_standard_errors(list(result.params.values()), x, t_x, T)
    np.testing.assert_allclose(list(result.std_errors.values()), expected, rtol=1e-3)


def test_predictions():
    model = ParetoNBDModel.from_params(**PUBLISHED)
    r, alpha, s, beta = PUBLISHED.values()
    t = 39.0
    # E[X(t)] of a new customer (Fader & Hardie 2005, eq. 27), by hand.
    new = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    assert model.expected_purchases_new_customer(t) == pytest.approx(new, rel=1e-12)
    # A customer just acquired (x = t_x = T = 0) is alive, so the conditional expectation
    # equals the unconditional one.
    assert model.probability_alive(0, 0, 0) == pytest.approx(1.0)
    assert model.expected_purchases(t, 0, 0, 0) == pytest.approx(new, rel=1e-12)
    # Heavy buyers: finite, and a long silence means gone.
    p = model.probability_alive([500, 500], [38.9, 1.0], [39.0, 39.0])
    assert p[0] > 0.9 and p[1] < 1e-50


def test_s_equal_to_one_is_the_limit():
    # (1 - q^(s-1))/(s-1) -> -log q as s -> 1: no division by zero.
    at_one = ParetoNBDModel.from_params(
        r=1, alpha=1, s=1.0, beta=1
    ).expected_purchases_new_customer(3.0)
    near = ParetoNBDModel.from_params(
        r=1, alpha=1, s=1.0 + 1e-7, beta=1
    ).expected_purchases_new_customer(3.0)
    assert at_one == pytest.approx(math.log(4.0)) and near == pytest.approx(at_one, rel=1e-6)


def test_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    T = (272 - rng.integers(0, 84, 20_000)) / 7
    truth = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    data = simulate_pareto_nbd(truth, T, seed=5, resolution=1 / 7)
    result = ParetoNBDModel().fit(data)
    assert result.converged
    for name, value in truth.items():
        assert abs(result.params[name] - value) < 4 * result.std_errors[name], name


def test_very_young_customers():
    # First purchase on the calibration end day (T = 0): L = 1, so log L = 0, and alive.
    assert log_likelihood(PUBLISHED, [0], [0], [0])[0] == pytest.approx(0.0, abs=1e-12)
    assert ParetoNBDModel.from_params(**PUBLISHED).probability_alive(0, 0, 0) == pytest.approx(1.0)
