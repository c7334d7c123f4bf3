"""Shifted-beta-geometric (sBG): retention of contractual customers.

Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
*Journal of Interactive Marketing* 21(1), 76-90.
Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.

At the end of each contract period a customer renews unless they churn, which they do
with probability theta ~ Beta(alpha, beta) across customers. A customer who is in their
first period at t = 0 churns at the end of period t with probability P(T = t) and is still
a customer after t periods with probability S(t).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from openkam.engine.clv.base import Model
from openkam.engine.clv.mle import maximise_log_likelihood
from openkam.engine.clv.results import FitResult

__all__ = ["ShiftedBetaGeometricModel", "histories_from_survivors"]

PARAMS = ("alpha", "beta")


def histories_from_survivors(survivors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A survivor series n_0, n_1, ..., n_T as grouped contract histories.

    Returns ``(periods, churned, count)``: n_{t-1} - n_t customers churned after t periods
    (t = 1..T) and n_T are still active after T periods (right-censored).

    Raises
    ------
    ValueError
        If the series has fewer than two values, is not made of non-negative whole numbers,
        increases, or starts at zero.
    """
    n = np.asarray(survivors, dtype=float)
    if n.ndim != 1 or len(n) < 2:
        raise ValueError("sBG: the survivor series needs at least two values (n_0, n_1)")
    if not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError(
            f"sBG: survivors must be non-negative whole numbers, got {list(survivors)}"
        )
    if n[0] <= 0:
        raise ValueError("sBG: the cohort is empty (n_0 = 0)")
    rises = np.flatnonzero(np.diff(n) > 0)
    if rises.size:
        t = int(rises[0]) + 1
        raise ValueError(
            f"sBG: survivors cannot increase: period {t} has {int(n[t])} after {int(n[t - 1])}"
        )
    T = len(n) - 1
    periods = np.concatenate([np.arange(1, T + 1), [T]]).astype(float)
    churned = np.concatenate([np.ones(T, dtype=bool), [False]])
    count = np.concatenate([n[:-1] - n[1:], [n[-1]]])
    return periods, churned, count


def log_likelihood(params, periods, churned) -> np.ndarray:
    """Per-history sBG log-likelihood (Fader & Hardie 2007, eqs. 3, 5, 7).

    .. math::

        P(T = t) = \\frac{B(\\alpha+1, \\beta+t-1)}{B(\\alpha, \\beta)},\\qquad
        S(t) = \\frac{B(\\alpha, \\beta+t)}{B(\\alpha, \\beta)}

    ``log P(T = t)`` for a customer who churned after ``t`` periods, ``log S(t)`` for one
    still active after ``t`` periods.
    """
    alpha, beta = _unpack(params)
    t = np.asarray(periods, dtype=float)
    churned = np.asarray(churned, dtype=bool)
    lost = betaln(alpha + 1, beta + np.maximum(t, 1) - 1)
    kept = betaln(alpha, beta + t)
    return np.where(churned, lost, kept) - betaln(alpha, beta)


def _unpack(params) -> tuple[float, float]:
    if isinstance(params, dict):
        return float(params["alpha"]), float(params["beta"])
    a, b = params
    return float(a), float(b)


class ShiftedBetaGeometricModel(Model):
    """The sBG contractual retention model: fit, project survivors, value the base."""

    name = "sbg"
    param_names = PARAMS

    def fit_survivors(self, survivors, *, time_unit: str | None = None) -> FitResult:
        """Fit on a cohort's survivor series n_0, n_1, ..., n_T (e.g. 1000, 631, 468, ...)."""
        periods, churned, count = histories_from_survivors(survivors)
        return self._fit(periods, churned, count, time_unit)

    def fit_histories(self, periods, churned, *, time_unit: str | None = None) -> FitResult:
        """Fit on per-account contract histories.

        Parameters
        ----------
        periods
            Contract periods each account has completed (>= 1 if it churned, >= 0 if active).
        churned
            True if the account churned at the end of its last period, False if still active
            (a right-censored history). Accounts may come from different cohorts.
        """
        t = np.asarray(periods, dtype=float)
        c = np.asarray(churned, dtype=bool)
        if t.shape != c.shape or t.ndim != 1:
            raise ValueError("sBG: periods and churned must be one-dimensional and of equal length")
        problems = []
        if np.any(~np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
            problems.append("periods must be non-negative whole numbers")
        if np.any(c & (t < 1)):
            problems.append(f"{int(np.sum(c & (t < 1)))} churned account(s) have 0 periods")
        if len(t) < 2:
            problems.append(f"too few accounts to fit: {len(t)}")
        if problems:
            raise ValueError("sBG: invalid histories: " + "; ".join(problems))
        return self._fit(t, c, np.ones_like(t), time_unit)

    def _fit(self, periods, churned, count, time_unit) -> FitResult:
        if not np.any(churned & (count > 0)):
            raise ValueError("sBG: nobody churned, so the churn probability cannot be estimated")
        if not np.any(periods[~churned & (count > 0)] > 0) and not np.any(
            churned & (count > 0) & (periods > 1)
        ):
            raise ValueError(
                "sBG: everybody churned after the first period; heterogeneity is not identified"
            )

        def neg_ll(par):
            return -float(count @ log_likelihood(par, periods, churned))

        def grad(par):
            a, b = par
            t1 = np.maximum(periods, 1)
            # d/da and d/db of log B(.,.) are differences of digammas.
            da_lost = digamma(a + 1) - digamma(a + b + t1)
            db_lost = digamma(b + t1 - 1) - digamma(a + b + t1)
            da_kept = digamma(a) - digamma(a + b + periods)
            db_kept = digamma(b + periods) - digamma(a + b + periods)
            da0 = digamma(a) - digamma(a + b)
            db0 = digamma(b) - digamma(a + b)
            da = count @ (np.where(churned, da_lost, da_kept) - da0)
            db = count @ (np.where(churned, db_lost, db_kept) - db0)
            return -np.array([da, db])

        self.result = maximise_log_likelihood(
            model=self.name,
            names=PARAMS,
            starts=[(1.0, 1.0), (0.5, 3.0), (3.0, 10.0)],
            neg_log_likelihood=neg_ll,
            gradient=grad,
            n_customers=int(count.sum()),
            time_unit=time_unit,
        )
        return self.result

    def survival(self, t) -> np.ndarray:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): share of a cohort still active after t periods."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def churn_probability(self, t) -> np.ndarray:
        """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta), t >= 1."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a + 1, b + t - 1) - betaln(a, b))

    def retention_rate(self, t) -> np.ndarray:
        """r_t = S(t)/S(t-1) = (beta + t - 1)/(alpha + beta + t - 1) (Fader & Hardie 2007, eq. 8).

        Rises with t: the customers who stay are increasingly the loyal ones.
        """
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def projected_survivors(self, n0: float, horizon: int) -> np.ndarray:
        """Expected survivors n0 * S(t) of a cohort of ``n0`` for t = 0..horizon."""
        return n0 * self.survival(np.arange(horizon + 1))

    def discounted_expected_residual_lifetime(self, discount_rate: float, renewals=0) -> np.ndarray:
        """DERL: discounted expected number of future periods of a customer about to renew.

        Fader & Hardie (2010), eq. 6: for a customer who has made n - 1 renewals and is at
        the point of the n-th,

        .. math::

            DERL(d \\mid \\alpha, \\beta, n-1) = \\sum_{t=n}^{\\infty}
              \\frac{S(t)}{S(n-1)} \\frac{1}{(1+d)^{t-n}}
            = \\frac{\\beta+n-1}{\\alpha+\\beta+n-1}\\,
              {}_2F_1\\!\\left(1, \\beta+n; \\alpha+\\beta+n; \\tfrac{1}{1+d}\\right)

        Multiply by the (net contribution) cash flow per period to value the customer.
        ``discount_rate`` is per contract period; ``renewals`` (n - 1) may be an array.
        """
        if discount_rate <= 0:
            raise ValueError(
                "sBG: DERL needs a positive discount rate (the sum diverges otherwise)"
            )
        a, b = self._p()
        n = np.asarray(renewals, dtype=float) + 1
        return (
            (b + n - 1) / (a + b + n - 1) * hyp2f1(1.0, b + n, a + b + n, 1 / (1 + discount_rate))
        )
