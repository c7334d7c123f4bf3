"""The shared maximum-likelihood fitter: standard errors, and how they fail."""

from __future__ import annotations

import numpy as np
import pytest

from openkam.engine.clv.mle import maximise_log_likelihood

NAMES = ("a", "b")
#: The optimum of the toy likelihoods below, and the curvature of log L in log-parameters.
OPTIMUM = np.array([1.5, 2.0])
CURVATURE = np.array([400.0, 100.0])


def _quadratic(p: np.ndarray) -> tuple[float, np.ndarray]:
    """-log L = sum(c/2 (log p - log p*)^2): se(log p) = 1/sqrt(c), so se(p) = p*/sqrt(c)."""
    d = np.log(p) - np.log(OPTIMUM)
    return float(0.5 * CURVATURE @ d**2), CURVATURE * d / p


def _overflowing_beyond(margin: float):
    """The same, but the likelihood overflows a relative ``margin`` past the optimum of b.

    Fine at the estimate and wherever the optimiser looks, non-finite a Hessian step
    (1e-5 in log-parameters with a gradient, 1e-4 without) away from it.
    """

    def value_and_gradient(p: np.ndarray) -> tuple[float, np.ndarray]:
        if p[1] > OPTIMUM[1] * np.exp(margin):
            return float("inf"), np.full(2, np.nan)
        return _quadratic(p)

    return value_and_gradient


def test_standard_errors_of_a_known_curvature():
    # given a log-likelihood whose curvature in log-parameters is known exactly
    fit = maximise_log_likelihood(
        model="toy",
        names=NAMES,
        starts=[(1.0, 1.0)],
        neg_log_likelihood=lambda p: _quadratic(p)[0],
        value_and_gradient=_quadratic,
        n_customers=100,
    )
    # then se(p) = p * se(log p) = p / sqrt(curvature)
    assert fit.converged and not fit.warnings
    se = np.array([fit.std_errors[n] for n in NAMES])
    np.testing.assert_allclose(se, OPTIMUM / np.sqrt(CURVATURE), rtol=1e-6)


@pytest.mark.parametrize("with_gradient", [True, False])
def test_non_finite_hessian_gives_no_standard_errors_and_says_why(with_gradient):
    # given a likelihood that is finite at its maximum but overflows a step beyond it
    overflowing = _overflowing_beyond(5e-6 if with_gradient else 5e-5)
    gradient = {"value_and_gradient": overflowing} if with_gradient else {}
    # when it is fitted
    fit = maximise_log_likelihood(
        model="toy",
        names=NAMES,
        starts=[(1.0, 1.0)],
        neg_log_likelihood=lambda p: overflowing(p)[0],
        n_customers=100,
        **gradient,
    )
    # then the estimate is found, but no standard error is made up (never NaN) ...
    np.testing.assert_allclose(list(fit.params.values()), OPTIMUM, rtol=1e-6)
    assert fit.std_errors == {"a": None, "b": None}
    assert not fit.converged
    # ... and the warning names the parameter and the reason
    (warning,) = fit.warnings
    assert warning.startswith("toy: the Hessian of the log-likelihood has non-finite entries")
    assert "for b " in warning and "standard errors are not available" in warning
