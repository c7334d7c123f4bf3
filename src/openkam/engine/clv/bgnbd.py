"""BG/NBD: the beta-geometric / negative binomial model of repeat buying.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). A customer is summarised by the
number of repeat purchases x, the time of the last one t_x and the age T, all measured from
the first purchase.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from openkam.engine.clv.base import Model
from openkam.engine.clv.data import Compressed, summary_arrays
from openkam.engine.clv.mle import maximise_log_likelihood
from openkam.engine.clv.results import FitResult

__all__ = ["BetaGeoModel", "log_likelihood"]

PARAMS = ("r", "alpha", "a", "b")


def log_likelihood(params, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    .. math::

        L = \\frac{B(a, b+x)}{B(a, b)} \\frac{\\Gamma(r+x)\\,\\alpha^r}{\\Gamma(r)}
            \\left[(\\alpha+T)^{-(r+x)}
            + \\delta_{x>0} \\frac{a}{b+x-1} (\\alpha+t_x)^{-(r+x)}\\right]

    evaluated as a log-sum-exp of the two terms so that large x or T never overflow.

    Parameters
    ----------
    params
        ``(r, alpha, a, b)`` or a dict with those keys.
    frequency, recency, T
        Repeat purchases x, time of the last one t_x and age T (arrays, same unit as alpha).
    """
    r, alpha, a, b = _unpack(params)
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    last = np.where(
        x > 0,
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x)
        - betaln(a, b)
        + np.logaddexp(-(r + x) * np.log(alpha + T), last)
    )


def _unpack(params) -> tuple[float, float, float, float]:
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in PARAMS)  # type: ignore[return-value]
    return tuple(float(v) for v in params)  # type: ignore[return-value]


class _Objective:
    """Negative log-likelihood and its analytic gradient on compressed data.

    The two terms of the likelihood bracket depend on (x, T) and on (x, t_x) only, so they
    and their derivatives are computed once per distinct pair; per distinct triple there is
    only the log-sum-exp, and the gradient's per-triple weights are summed back onto pairs.
    """

    def __init__(self, data: Compressed) -> None:
        self.w = data.weight
        self.n = float(data.weight.sum())
        self.ux = data.x_values
        self.wx = np.bincount(data.x_index, weights=data.weight, minlength=len(data.x_values))
        self.xT, self.yT, self.iT = data.pairs("T")
        self.xt, self.yt, self.it = data.pairs("t_x")
        self.pos = self.xt > 0
        # b + x - 1 appears only where x > 0; clamp x so the unused entries stay finite.
        self.xt1 = np.maximum(self.xt, 1) - 1

    def value_and_gradient(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = p
        ux, w = self.ux, self.w
        log_aT = np.log(alpha + self.yT)
        log_at = np.log(alpha + self.yt)
        first = -(r + self.xT) * log_aT
        with np.errstate(divide="ignore"):
            last = np.where(
                self.pos, np.log(a) - np.log(b + self.xt1) - (r + self.xt) * log_at, -np.inf
            )
        first_row, last_row = first[self.iT], last[self.it]
        lse = np.logaddexp(first_row, last_row)
        value = (
            self.wx @ (gammaln(r + ux) + betaln(a, b + ux))
            + self.n * (-gammaln(r) + r * np.log(alpha) - betaln(a, b))
            + w @ lse
        )
        # Weight of the "dropped out after the last purchase" term in each bracket, summed
        # over the customers sharing a pair.
        w_last = w * np.exp(last_row - lse)
        W_last = np.bincount(self.it, weights=w_last, minlength=len(self.xt))
        W_first = np.bincount(self.iT, weights=w - w_last, minlength=len(self.xT))
        dr = (
            self.wx @ digamma(r + ux)
            + self.n * (np.log(alpha) - digamma(r))
            - W_first @ log_aT
            - W_last @ log_at
        )
        dalpha = (
            self.n * r / alpha
            - W_first @ ((r + self.xT) / (alpha + self.yT))
            - W_last @ ((r + self.xt) / (alpha + self.yt))
        )
        dab = digamma(a + b + ux)
        da = self.n * digamma(a + b) - self.wx @ dab + W_last.sum() / a
        db = (
            self.wx @ (digamma(b + ux) - dab)
            + self.n * (digamma(a + b) - digamma(b))
            - W_last @ np.where(self.pos, 1.0 / (b + self.xt1), 0.0)
        )
        return -float(value), -np.array([dr, dalpha, da, db])


class BetaGeoModel(Model):
    """The BG/NBD model (Fader, Hardie & Lee 2005): fit, then predict per customer.

    Examples
    --------
    >>> model = BetaGeoModel()
    >>> result = model.fit(summary)               # doctest: +SKIP
    >>> model.expected_purchases(52, x, t_x, T)   # doctest: +SKIP
    """

    name = "bgnbd"
    param_names = PARAMS

    def fit(self, data, *, time_unit: str | None = None, weights=None) -> FitResult:
        """Fit by maximum likelihood on a per-customer summary.

        Parameters
        ----------
        data
            Columns ``customer_id, frequency, recency, T`` (a
            :class:`~openkam.engine.clv.summary.TransactionSummary`, Arrow table, narwhals,
            pandas, or a dict of arrays). Validated first; see
            :func:`~openkam.engine.clv.data.summary_arrays`.
        time_unit
            Unit of recency and T, recorded in the result (taken from a
            ``TransactionSummary`` when not given).
        weights
            Optional number of customers each row stands for.
        """
        s = summary_arrays(data, model="BG/NBD")
        warnings: list[str] = []
        if not (s.frequency > 0).any():
            raise ValueError(
                "BG/NBD: no customer made a repeat purchase, so drop-out cannot be estimated"
            )
        comp = Compressed.from_arrays(s.frequency, s.recency, s.T, weights)
        obj = _Objective(comp)
        n = comp.weight.sum()
        total_time = float(comp.weight @ comp.T) or 1.0
        rate = max(float(comp.weight @ comp.x) / total_time, 1e-6)
        starts = [
            (1.0, 1.0 / rate, 1.0, 1.0),
            (0.5, 0.5 / rate, 0.5, 2.0),
            (2.0, 2.0 / rate, 2.0, 5.0),
        ]
        self.result = maximise_log_likelihood(
            model=self.name,
            names=PARAMS,
            starts=starts,
            neg_log_likelihood=lambda p: obj.value_and_gradient(p)[0],
            value_and_gradient=obj.value_and_gradient,
            n_customers=len(s),
            weight_total=n,
            time_unit=time_unit or getattr(data, "time_unit", None),
            warnings=warnings,
        )
        return self.result

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters."""
        return log_likelihood(self._p(), frequency, recency, T)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 11).

        .. math:: P = 1 / \\left(1 + \\delta_{x>0} \\frac{a}{b+x-1}
                  \\left(\\frac{\\alpha+T}{\\alpha+t_x}\\right)^{r+x}\\right)

        computed as a logistic function of the log-odds so that it never overflows.
        """
        r, alpha, a, b = self._p()
        x = np.asarray(frequency, dtype=float)
        t_x = np.asarray(recency, dtype=float)
        T = np.asarray(T, dtype=float)
        log_odds_dead = (
            np.log(a)
            - np.log(b + np.maximum(x, 1) - 1)
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        return np.where(x > 0, expit(-log_odds_dead), 1.0)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` units.

        Fader, Hardie & Lee (2005), eq. 10:

        .. math::

            E = \\frac{a+b+x-1}{a-1}\\left[1 - \\left(\\frac{\\alpha+T}{\\alpha+T+t}\\right)^{r+x}
                {}_2F_1\\!\\left(r+x, b+x; a+b+x-1; \\tfrac{t}{\\alpha+T+t}\\right)\\right]
                P(\\text{alive})

        The hypergeometric term is taken through Euler's transformation,
        (1-z)^{r+x} 2F1(r+x, b+x; c; z) = (1-z)^{a-1} 2F1(c-r-x, c-b-x; c; z) with
        c = a+b+x-1, which keeps both factors bounded for large x.
        """
        r, alpha, a, b = self._p()
        x = np.asarray(frequency, dtype=float)
        T = np.asarray(T, dtype=float)
        t = np.asarray(t, dtype=float)
        z = t / (alpha + T + t)
        c = a + b + x - 1
        bracket = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z)
        return c / (a - 1) * bracket * self.probability_alive(frequency, recency, T)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in ``t`` units after the first.

        Fader, Hardie & Lee (2005), eq. 9:

        .. math:: E[X(t)] = \\frac{a+b-1}{a-1}\\left[1 - \\left(\\frac{\\alpha}{\\alpha+t}\\right)^r
                  {}_2F_1\\!\\left(r, b; a+b-1; \\tfrac{t}{\\alpha+t}\\right)\\right]

        which is eq. 10 at x = t_x = T = 0.
        """
        t = np.asarray(t, dtype=float)
        zero = np.zeros_like(t)
        return self.expected_purchases(t, zero, zero, zero)
