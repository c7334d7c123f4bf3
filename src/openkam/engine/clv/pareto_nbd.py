"""Pareto/NBD: Poisson purchasing with an exponential lifetime.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
they and what will they do next? *Management Science* 33(1), 1-24.
Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
expressions. http://brucehardie.com/notes/009/

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); the lifetime is
exponential with rate mu ~ Gamma(s, beta).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats
from scipy.special import digamma, gammaln, hyp2f1

from openkam.engine.clv.base import Model
from openkam.engine.clv.data import Compressed, summary_arrays
from openkam.engine.clv.mle import maximise_log_likelihood
from openkam.engine.clv.results import FitResult

__all__ = ["ParetoNBDModel", "log_likelihood"]

PARAMS = ("r", "alpha", "s", "beta")


def _hyp2f1_1(m: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """2F1(1, m; c; z) for 0 < m < c and 0 <= z < 1, which lies in [1, 1/(1-z)].

    (The gradient's differences also take z a hair below 0, where the same holds with the
    interval reversed.)

    SciPy's ``hyp2f1`` is accurate here except for large m with z close to 1, where it
    returns NaN. Those entries are evaluated together by Gauss's continued fraction
    (:func:`_hyp2f1_1_cf`), at a depth doubled until two depths agree to 1e-13; an entry it
    cannot settle is integrated: 2F1(1, m; c; z) = E[1/(1 - zU)] with U ~ Beta(m, c - m)
    (Euler's integral). Integrating every NaN entry one by one made a Pareto/NBD fit on a
    few thousand accounts with long histories take hours.
    """
    out = hyp2f1(1.0, m, c, z)
    bad = np.flatnonzero(~np.isfinite(out))
    if not len(bad):
        return out
    mb, cb, zb = (np.broadcast_to(v, out.shape).flat[bad] for v in (m, c, z))
    value, settled = _hyp2f1_1_cf(mb, cb, zb)
    out.flat[bad[settled]] = value[settled]
    for i in bad[~settled]:
        mi, ci, zi = float(mb[bad == i][0]), float(cb[bad == i][0]), float(zb[bad == i][0])
        out.flat[i] = _hyp2f1_1_quad(mi, ci, zi)
    return out


def _hyp2f1_1_cf(m, c, z, depth: int = 256, max_depth: int = 1 << 16):
    """2F1(1, m; c; z) by Gauss's continued fraction for F(a+1, b; c'+1; z) / F(a, b; c'; z)
    with a = 0, b = m, c' = c - 1 (Abramowitz & Stegun 15.1; Wall 1948, ch. 18):
    1 / (1 - k1 z / (1 - k2 z / (1 - ...))), k(2j+1) = (m+j)(c-1+j) / ((c-1+2j)(c+2j)),
    k(2j) = j(c-1-m+j) / ((c-2+2j)(c-1+2j)). Evaluated bottom-up, vectorised; returns the
    values and which of them two successive depths agree on."""
    value = _cf_at_depth(m, c, z, depth)
    settled = np.zeros(len(value), dtype=bool)
    todo = np.arange(len(value))
    while len(todo) and depth < max_depth:
        depth *= 2
        deeper = _cf_at_depth(m[todo], c[todo], z[todo], depth)
        agree = np.abs(deeper - value[todo]) <= 1e-13 * np.abs(deeper)
        value[todo] = deeper
        settled[todo[agree]] = True
        todo = todo[~agree]
    return value, settled


def _cf_at_depth(m, c, z, depth: int) -> np.ndarray:
    f = np.ones_like(z, dtype=float)
    for n in range(depth, 0, -1):
        j, even = divmod(n - 1, 2)
        if even:  # n = 2(j + 1)
            j += 1
            k = j * (c - 1 - m + j) / ((c - 2 + 2 * j) * (c - 1 + 2 * j))
        else:  # n = 2j + 1
            k = (m + j) * (c - 1 + j) / ((c - 1 + 2 * j) * (c + 2 * j))
        f = 1 - k * z / f
    return 1 / f


def _hyp2f1_1_quad(m: float, c: float, z: float) -> float:
    """Euler's integral of 2F1(1, m; c; z), for the rare entry the fraction cannot settle."""
    beta = stats.beta(m, c - m)
    mode = (m - 1) / (c - 2) if m > 1 and c - m > 1 else None
    return integrate.quad(
        lambda u: np.exp(beta.logpdf(u)) / (1 - z * u),
        0.0,
        1.0,
        points=None if mode is None else [mode],
        limit=200,
        epsabs=0.0,
        epsrel=1e-12,
    )[0]


def log_integral_term(params, x, y) -> np.ndarray:
    """log of (r+s+x) * integral from y to infinity of (alpha+tau)^-(r+x) (beta+tau)^-(s+1).

    This is the hypergeometric term of the likelihood (Fader & Hardie 2005, eq. 22),
    2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+y)) / (alpha+y)^(r+s+x) when
    alpha >= beta (roles of alpha and beta swapped otherwise). Euler's transformation
    2F1(A, B; A+1; z) = (1-z)^(1-B) 2F1(1, A+1-B; A+1; z) turns it into a bounded
    2F1(1, m; c; z) times powers, so nothing overflows for large x:

    - alpha >= beta: -(r+x) log(alpha+y) - s log(beta+y) + log 2F1(1, r+x; r+s+x+1; z)
    - alpha <  beta: -(s+1) log(beta+y) - (r+x-1) log(alpha+y) + log 2F1(1, s+1; r+s+x+1; z)
    """
    power, log_f = _integral_term_parts(params, x, y)
    return power + log_f


def _integral_term_parts(params, x, y, alpha_ge_beta: bool | None = None):
    """:func:`log_integral_term` as its power part and its log 2F1 part.

    The power part is of the order of x log(alpha + y), the 2F1 part of order one; keeping
    them apart lets the gradient difference only the small one (see ``_Objective``).
    ``alpha_ge_beta`` fixes the form; both stay valid for a small step across alpha = beta
    (z is then slightly negative).
    """
    r, alpha, s, beta = _unpack(params)
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if alpha_ge_beta is None:
        alpha_ge_beta = alpha >= beta
    if alpha_ge_beta:
        power = -(r + x) * np.log(alpha + y) - s * np.log(beta + y)
    else:
        power = -(s + 1) * np.log(beta + y) - (r + x - 1) * np.log(alpha + y)
    return power, _log_hypergeometric_part(params, x, y, alpha_ge_beta)


def _log_hypergeometric_part(params, x, y, alpha_ge_beta: bool) -> np.ndarray:
    """The log 2F1(1, m; r+s+x+1; z) factor of :func:`_integral_term_parts`."""
    r, alpha, s, beta = _unpack(params)
    c = r + s + x + 1
    if alpha_ge_beta:
        return np.log(_hyp2f1_1(r + x, c, (alpha - beta) / (alpha + y)))
    return np.log(_hyp2f1_1(np.full_like(x, s + 1), c, (beta - alpha) / (beta + y)))


def _power_part_derivatives(params, x, y, alpha_ge_beta: bool) -> np.ndarray:
    """Exact derivatives of the power part of :func:`_integral_term_parts` (4 x n)."""
    r, alpha, s, beta = _unpack(params)
    log_a, log_b = np.log(alpha + y), np.log(beta + y)
    if alpha_ge_beta:
        return np.array([-log_a, -(r + x) / (alpha + y), -log_b, -s / (beta + y)])
    return np.array([-log_a, -(r + x - 1) / (alpha + y), -log_b, -(s + 1) / (beta + y)])


def _log1mexp(d: np.ndarray) -> np.ndarray:
    """log(1 - exp(d)) for d <= 0, accurate at both ends (Maechler 2012)."""
    d = np.minimum(d, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(d > -np.log(2), np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


def _log_terms(params, x, log_term_tx, log_term_T, T):
    """log of the two parts of the bracket of the likelihood and of the whole bracket."""
    r, alpha, s, beta = _unpack(params)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_a0 = log_term_tx + _log1mexp(log_term_T - log_term_tx)
    died = np.log(s) - np.log(r + s + x) + log_a0
    return alive, np.logaddexp(alive, died)


def log_likelihood(params, frequency, recency, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005, eq. 22).

    .. math::

        L = \\frac{\\Gamma(r+x)\\alpha^r\\beta^s}{\\Gamma(r)}
            \\left[\\frac{1}{(\\alpha+T)^{r+x}(\\beta+T)^s}
            + \\frac{s}{r+s+x} A_0\\right],\\qquad
        A_0 = G(t_x) - G(T)

    with G(y) the term of :func:`log_integral_term`; evaluated in log space with
    log(G(t_x) - G(T)) = log G(t_x) + log1mexp(log G(T) - log G(t_x)).
    """
    r, alpha, s, beta = _unpack(params)
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    _, bracket = _log_terms(
        params, x, log_integral_term(params, x, t_x), log_integral_term(params, x, T), T
    )
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + bracket


def _unpack(params) -> tuple[float, float, float, float]:
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in PARAMS)  # type: ignore[return-value]
    return tuple(float(v) for v in params)  # type: ignore[return-value]


class _Objective:
    """Negative log-likelihood and gradient on compressed data.

    Every term but the final log-sum-exp depends on (x, T) or on (x, t_x) only, so the
    terms and their derivatives are computed once per distinct pair (the log 2F1 factor's
    by central differences, the one place without a closed form); per distinct
    triple there is only the log-sum-exp, and the gradient's per-triple weights are summed
    back onto pairs.
    """

    def __init__(self, data: Compressed) -> None:
        self.w = data.weight
        self.n = float(data.weight.sum())
        self.ux = data.x_values
        self.wx = np.bincount(data.x_index, weights=data.weight, minlength=len(data.x_values))
        self.xT, self.yT, self.iT = data.pairs("T")
        self.xt, self.yt, self.it = data.pairs("t_x")

    @staticmethod
    def _term_and_derivatives(p: np.ndarray, x, y) -> tuple[np.ndarray, np.ndarray]:
        # Only the log 2F1 part is differenced; the power part, of order x log(alpha + y),
        # has exact derivatives. Differencing the whole term cost log10(x) digits: with
        # 10^5 repeat purchases the Hessian's standard errors were off by a fifth, with
        # 10^6 it was not even positive definite.
        ge = bool(p[1] >= p[3])
        power, log_f = _integral_term_parts(p, x, y, ge)
        dg = _power_part_derivatives(p, x, y, ge)
        for i in range(4):
            h = 1e-6 * p[i]
            up, down = p.copy(), p.copy()
            up[i] += h
            down[i] -= h
            dg[i] += (
                _log_hypergeometric_part(up, x, y, ge) - _log_hypergeometric_part(down, x, y, ge)
            ) / (2 * h)
        return power + log_f, dg

    def value_and_gradient(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, s, beta = p
        ux, w = self.ux, self.w
        G_t, dG_t = self._term_and_derivatives(p, self.xt, self.yt)
        G_T, dG_T = self._term_and_derivatives(p, self.xT, self.yT)
        log_aT = np.log(alpha + self.yT)
        log_bT = np.log(beta + self.yT)
        alive = -(r + self.xT) * log_aT - s * log_bT
        rsx = r + s + self.xt
        died_const = np.log(s) - np.log(rsx)
        g_t = G_t[self.it]
        delta = np.minimum(G_T[self.iT] - g_t, 0.0)
        # log(1 - e^delta); absolute accuracy is what matters here, which this form keeps
        # for any delta <= 0 (it is -inf where t_x = T and the "died" term vanishes).
        with np.errstate(divide="ignore"):
            lm = np.log(-np.expm1(delta))
        died = (died_const + G_t)[self.it] + lm
        alive_row = alive[self.iT]
        bracket = np.logaddexp(alive_row, died)
        value = (
            self.wx @ gammaln(r + ux)
            + self.n * (-gammaln(r) + r * np.log(alpha) + s * np.log(beta))
            + w @ bracket
        )
        w_died = w * np.exp(died - bracket)
        # d log(G(t_x) - G(T)) = (1 + rho) dG(t_x) - rho dG(T), rho = G(T)/(G(t_x) - G(T)).
        with np.errstate(over="ignore", invalid="ignore"):
            rho_w = np.where(w_died > 0, w_died * np.exp(delta - lm), 0.0)
        W_died = np.bincount(self.it, weights=w_died, minlength=len(self.xt))
        C_t = W_died + np.bincount(self.it, weights=rho_w, minlength=len(self.xt))
        C_T = -np.bincount(self.iT, weights=rho_w, minlength=len(self.xT))
        W_alive = np.bincount(self.iT, weights=w - w_died, minlength=len(self.xT))
        dG = dG_t @ C_t + dG_T @ C_T
        dr = (
            self.wx @ digamma(r + ux)
            + self.n * (np.log(alpha) - digamma(r))
            - W_alive @ log_aT
            - W_died @ (1.0 / rsx)
        )
        dalpha = self.n * r / alpha - W_alive @ ((r + self.xT) / (alpha + self.yT))
        ds = self.n * np.log(beta) - W_alive @ log_bT + W_died @ (1.0 / s - 1.0 / rsx)
        dbeta = self.n * s / beta - W_alive @ (s / (beta + self.yT))
        return -float(value), -(np.array([dr, dalpha, ds, dbeta]) + dG)


class ParetoNBDModel(Model):
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

    Fitted by maximum likelihood with the likelihood of Fader & Hardie (2005); the
    gradient is analytic except for the hypergeometric term, differenced per distinct
    (x, t_x) and (x, T) pair.
    """

    name = "pnbd"
    param_names = PARAMS

    def fit(self, data, *, time_unit: str | None = None, weights=None) -> FitResult:
        """Fit on a per-customer summary (``customer_id, frequency, recency, T``).

        See :meth:`~openkam.engine.clv.bgnbd.BetaGeoModel.fit` for the accepted inputs.
        """
        s = summary_arrays(data, model="Pareto/NBD")
        if not (s.frequency > 0).any():
            raise ValueError(
                "Pareto/NBD: no customer made a repeat purchase, so drop-out cannot be estimated"
            )
        comp = Compressed.from_arrays(s.frequency, s.recency, s.T, weights)
        obj = _Objective(comp)
        total_time = float(comp.weight @ comp.T) or 1.0
        rate = max(float(comp.weight @ comp.x) / total_time, 1e-6)
        mean_T = total_time / comp.weight.sum() or 1.0
        starts = [
            (1.0, 1.0 / rate, 1.0, mean_T),
            (0.5, 0.5 / rate, 0.5, mean_T),
            (2.0, 2.0 / rate, 2.0, 4 * mean_T),
        ]
        self.result = maximise_log_likelihood(
            model=self.name,
            names=PARAMS,
            starts=starts,
            neg_log_likelihood=lambda p: obj.value_and_gradient(p)[0],
            value_and_gradient=obj.value_and_gradient,
            n_customers=len(s),
            weight_total=comp.weight.sum(),
            time_unit=time_unit or getattr(data, "time_unit", None),
        )
        return self.result

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters."""
        return log_likelihood(self._p(), frequency, recency, T)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) (Fader & Hardie 2005, eq. 18).

        .. math:: P = \\left[(\\alpha+T)^{-(r+x)}(\\beta+T)^{-s}\\right] / [\\ldots]

        the first term of the likelihood bracket over the whole bracket, in log space.
        """
        p = self._p()
        x = np.asarray(frequency, dtype=float)
        t_x = np.asarray(recency, dtype=float)
        T = np.asarray(T, dtype=float)
        alive, bracket = _log_terms(
            p, x, log_integral_term(p, x, t_x), log_integral_term(p, x, T), T
        )
        return np.exp(alive - bracket)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units.

        Schmittlein et al. (1987), eq. 22; Fader & Hardie (2005), eq. 28:

        .. math:: E = \\frac{(r+x)(\\beta+T)}{(\\alpha+T)(s-1)}
                  \\left[1 - \\left(\\frac{\\beta+T}{\\beta+T+t}\\right)^{s-1}\\right] P(\\text{alive})

        with [1 - q^(s-1)]/(s-1) computed as -expm1((s-1) log q)/(s-1), which tends to
        -log q as s -> 1.
        """
        r, alpha, s, beta = self._p()
        x = np.asarray(frequency, dtype=float)
        T = np.asarray(T, dtype=float)
        t = np.asarray(t, dtype=float)
        return (
            (r + x)
            / (alpha + T)
            * (beta + T)
            * _one_minus_power_over(np.log((beta + T) / (beta + T + t)), s - 1)
            * self.probability_alive(frequency, recency, T)
        )

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] for a customer just acquired (Fader & Hardie 2005, eq. 27).

        .. math:: E[X(t)] = \\frac{r\\beta}{\\alpha(s-1)}
                  \\left[1 - \\left(\\frac{\\beta}{\\beta+t}\\right)^{s-1}\\right]
        """
        r, alpha, s, beta = self._p()
        t = np.asarray(t, dtype=float)
        return r * beta / alpha * _one_minus_power_over(np.log(beta / (beta + t)), s - 1)


def _one_minus_power_over(log_q: np.ndarray, k: float) -> np.ndarray:
    """(1 - q^k) / k, continuous at k = 0."""
    if abs(k) < 1e-12:
        return -log_q
    return -np.expm1(k * log_q) / k
