"""Maximum-likelihood fitting shared by the models.

Parameters are all positive, so the optimiser works on their logarithms (no constraints,
and a step means the same relative change at any scale). The objective is the mean
negative log-likelihood so that tolerances do not depend on the number of customers.
Standard errors come from the observed information (Hessian of the log-likelihood) at the
optimum, by the delta method on the log scale: se(p) = p * se(log p).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from openkam.engine.clv.results import FitResult

#: Log-parameters are kept within exp(+-25); an estimate at the bound means "no optimum".
LOG_BOUND = 25.0
#: Largest |gradient| of the mean log-likelihood (per unit log-parameter) accepted as converged.
GRADIENT_TOLERANCE = 1e-4

NegLogLik = Callable[[np.ndarray], float]
Gradient = Callable[[np.ndarray], np.ndarray]
ValueAndGradient = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _central_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float) -> np.ndarray:
    g = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def _hessian_from_gradient(
    grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray
) -> np.ndarray:
    k = len(theta)
    h = 1e-5
    H = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        H[:, j] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return (H + H.T) / 2


def _hessian_from_values(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    k = len(theta)
    h = 1e-4
    f0 = f(theta)
    H = np.empty((k, k))
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h
        H[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / h**2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h
            H[i, j] = H[j, i] = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * h**2)
    return H


def _standard_errors(
    H: np.ndarray, theta: np.ndarray, names: Sequence[str]
) -> tuple[dict[str, float | None], str | None]:
    """Standard errors (natural scale) from the Hessian of the negative log-likelihood.

    Returns the errors and ``None``, or all-``None`` errors and the reason in words. Every
    way this can fail is checked explicitly: ``np.linalg.cholesky`` does not reliably
    raise on NaN entries, so a non-finite Hessian would otherwise turn into NaN errors.
    """
    none: dict[str, float | None] = dict.fromkeys(names)
    bad = ~np.isfinite(H)
    if bad.any():
        # A failed step along parameter j spoils H's whole row and column j: name the
        # parameters whose own curvature is missing, else every one that is involved.
        culprits = np.diag(bad) if np.diag(bad).any() else bad.any(axis=0)
        which = ", ".join(n for n, b in zip(names, culprits, strict=True) if b)
        return none, (
            f"the Hessian of the log-likelihood has non-finite entries for {which} (the "
            "likelihood or its gradient overflows next to the estimate)"
        )
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        # A flat or saddle-shaped likelihood: the estimate is not a proper maximum, typically
        # because a parameter drifts to zero or infinity (the data do not identify it).
        return none, (
            "the fit did not converge to a proper maximum: the Hessian is not positive "
            "definite at the estimate (a parameter is not identified by the data)"
        )
    # diag(H^-1) from the Cholesky factor: the squared column norms of L^-1, which are never
    # negative (inv(H) itself can give tiny negative variances when H is near singular).
    L_inv = np.linalg.solve(L, np.eye(len(names)))
    with np.errstate(over="ignore", invalid="ignore"):
        variance = np.sum(L_inv**2, axis=0)
        se = np.exp(theta) * np.sqrt(variance)
    bad_se = ~np.isfinite(se) | ~(variance > 0)
    if bad_se.any():
        which = ", ".join(n for n, b in zip(names, bad_se, strict=True) if b)
        return none, (
            f"the inverse Hessian gives no finite positive variance for {which} (the Hessian "
            "is numerically singular: a parameter is not identified by the data)"
        )
    return {n: float(v) for n, v in zip(names, se, strict=True)}, None


def maximise_log_likelihood(
    *,
    model: str,
    names: Sequence[str],
    starts: Sequence[Sequence[float]],
    neg_log_likelihood: NegLogLik,
    n_customers: int,
    gradient: Gradient | None = None,
    value_and_gradient: ValueAndGradient | None = None,
    weight_total: float | None = None,
    time_unit: str | None = None,
    warnings: list[str] | None = None,
) -> FitResult:
    """Maximise a log-likelihood over positive parameters and package the result.

    Parameters
    ----------
    model, names
        Model name and parameter names, in the order of the parameter vector.
    starts
        Starting points (natural scale); the best converged optimum is kept.
    neg_log_likelihood
        Total negative log-likelihood at a parameter vector (natural scale).
    gradient
        Its gradient with respect to the natural parameters; central differences if omitted.
    value_and_gradient
        Both at once, when computing them together saves work (replaces ``gradient``).
    weight_total
        Sum of customer weights (defaults to ``n_customers``); scales the objective.
    """
    warnings = list(warnings or [])
    scale = float(weight_total or n_customers)

    def f_theta(theta: np.ndarray) -> float:
        value = neg_log_likelihood(np.exp(theta)) / scale
        return value if np.isfinite(value) else 1e100

    if value_and_gradient is not None:

        def g_theta(theta: np.ndarray) -> np.ndarray:
            p = np.exp(theta)
            return value_and_gradient(p)[1] * p / scale

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            p = np.exp(theta)
            value, grad = value_and_gradient(p)
            if not np.isfinite(value) or not np.all(np.isfinite(grad)):
                return 1e100, np.zeros_like(theta)
            return value / scale, grad * p / scale
    else:
        if gradient is not None:

            def g_theta(theta: np.ndarray) -> np.ndarray:
                p = np.exp(theta)
                return gradient(p) * p / scale
        else:

            def g_theta(theta: np.ndarray) -> np.ndarray:
                return _central_gradient(f_theta, theta, 1e-6)

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value = f_theta(theta)
            if value >= 1e100:
                return value, np.zeros_like(theta)
            return value, g_theta(theta)

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        theta0 = np.log(np.asarray(start, dtype=float))
        res = optimize.minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 20},
        )
        grad_norm = float(np.max(np.abs(g_theta(res.x)))) if np.isfinite(res.fun) else np.inf
        at_bound = bool(np.any(np.abs(res.x) > LOG_BOUND - 1))
        ok = bool(res.success or grad_norm < GRADIENT_TOLERANCE) and grad_norm < GRADIENT_TOLERANCE
        ok = ok and not at_bound and res.fun < 1e100
        candidate = (ok, -res.fun, res, grad_norm, at_bound)
        if best is None or (candidate[0], candidate[1]) > (best[0], best[1]):
            best = candidate
        if ok:
            break
    ok, _, res, grad_norm, at_bound = best
    theta = res.x
    params = dict(zip(names, np.exp(theta).tolist(), strict=True))
    log_likelihood = -float(res.fun) * scale
    if not ok:
        reason = (
            "a parameter ran to its bound (the data do not identify it)"
            if at_bound
            else f"optimiser stopped: {res.message} (largest gradient {grad_norm:.2g})"
        )
        warnings.append(f"{model}: the fit did not converge: {reason}")

    def total_neg(theta_: np.ndarray) -> float:
        # The raw value: the optimiser's stand-in for a non-finite one (1e100) would give
        # a huge but finite, meaningless curvature instead of an honest failure.
        return float(neg_log_likelihood(np.exp(theta_)))

    if gradient is not None or value_and_gradient is not None:
        H = _hessian_from_gradient(lambda t: g_theta(t) * scale, theta)
    else:
        H = _hessian_from_values(total_neg, theta)
    std_errors, problem = _standard_errors(H, theta, names)
    if problem:
        # Not a maximum we can vouch for: report it as such rather than store NaN.
        ok = False
        warnings.append(f"{model}: {problem}; standard errors are not available")
    return FitResult(
        model=model,
        params=params,
        std_errors=std_errors,
        log_likelihood=log_likelihood,
        n_customers=int(n_customers),
        converged=ok,
        warnings=warnings,
        time_unit=time_unit,
    )
