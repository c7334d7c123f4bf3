"""Gamma-Gamma: the spend per purchase occasion.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://brucehardie.com/notes/025/

Each occasion's value is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers. The
model describes the mean value m_x of a customer's x repeat occasions, so it is fitted on
customers with at least one repeat occasion and a positive mean value; it assumes spend is
independent of the purchase process.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from openkam.engine.clv.base import Model
from openkam.engine.clv.data import summary_arrays
from openkam.engine.clv.mle import maximise_log_likelihood
from openkam.engine.clv.results import FitResult

__all__ = ["GammaGammaModel", "log_likelihood"]

PARAMS = ("p", "q", "gamma")


def log_likelihood(params, frequency, monetary_value) -> np.ndarray:
    """Per-customer log-likelihood of the mean repeat value m_x (Fader & Hardie 2013, eq. 3).

    .. math::

        f(m_x \\mid p, q, \\gamma; x) = \\frac{\\Gamma(px+q)}{\\Gamma(px)\\Gamma(q)}
        \\frac{\\gamma^q\\, m_x^{px-1}\\, x^{px}}{(\\gamma + m_x x)^{px+q}}
    """
    p, q, g = _unpack(params)
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


def _unpack(params) -> tuple[float, float, float]:
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in PARAMS)  # type: ignore[return-value]
    return tuple(float(v) for v in params)  # type: ignore[return-value]


class GammaGammaModel(Model):
    """The Gamma-Gamma spend model: fit on repeat buyers, predict value per occasion."""

    name = "gg"
    param_names = PARAMS

    def fit(self, data, *, time_unit: str | None = None) -> FitResult:
        """Fit on ``customer_id, frequency, monetary_value`` of a summary.

        Customers without repeat occasions carry no information on spend per repeat
        occasion: they are excluded and counted in ``warnings``. A negative or zero mean
        value among repeat buyers is an error (the model is for positive amounts); net
        returns should be handled before, e.g. by netting them into their sales day.
        """
        s = summary_arrays(data, model="Gamma-Gamma", require_monetary=True, min_customers=0)
        warnings: list[str] = []
        repeat = s.frequency > 0
        n_single = int((~repeat).sum())
        if n_single:
            warnings.append(
                f"gg: {n_single} customer(s) without repeat purchases excluded from the fit"
            )
        r = s.subset(repeat)
        bad = r.monetary_value <= 0
        if bad.any():
            ids = ", ".join(str(i) for i in r.customer_id.filter(bad).slice(0, 5).to_pylist())
            raise ValueError(
                f"Gamma-Gamma: {int(bad.sum())} repeat customer(s) have a zero or negative "
                f"monetary_value (the model needs positive spend): {ids}"
                + (", ..." if bad.sum() > 5 else "")
            )
        if len(r) < 10:
            raise ValueError(
                f"Gamma-Gamma: too few customers with repeat purchases to fit: {len(r)} "
                "(at least 10 needed)"
            )
        x, m = r.frequency, r.monetary_value
        log_x, log_m = np.log(x), np.log(m)

        def neg_ll(par: np.ndarray) -> float:
            return -float(log_likelihood(par, x, m).sum())

        def grad(par: np.ndarray) -> np.ndarray:
            p, q, g = par
            px = p * x
            log_g_xm = np.log(g + x * m)
            dpq = digamma(px + q)
            dp = np.sum(x * (dpq - digamma(px) + log_m + log_x - log_g_xm))
            dq = np.sum(dpq - digamma(q) + np.log(g) - log_g_xm)
            dg = np.sum(q / g - (px + q) / (g + x * m))
            return -np.array([dp, dq, dg])

        mean = float(m.mean())
        var = float(m.var()) or mean**2
        # Method-of-moments flavoured start: p from the coefficient of variation, gamma
        # from the mean (E[Z] = p gamma / (q - 1)).
        p0 = max(mean**2 / var, 0.5)
        q0 = 3.0
        starts = [(p0, q0, mean * (q0 - 1) / p0), (1.0, 1.0, mean), (5.0, 5.0, mean)]
        self.result = maximise_log_likelihood(
            model=self.name,
            names=PARAMS,
            starts=starts,
            neg_log_likelihood=neg_ll,
            gradient=grad,
            n_customers=len(r),
            time_unit=time_unit or getattr(data, "time_unit", None),
            warnings=warnings,
        )
        return self.result

    def log_likelihood(self, frequency, monetary_value) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters."""
        return log_likelihood(self._p(), frequency, monetary_value)

    def expected_value_per_occasion(self, frequency, monetary_value) -> np.ndarray:
        """E[Z | x, m_x]: expected value of a future occasion (Fader & Hardie 2013, eq. 5).

        .. math::

            E(Z \\mid p, q, \\gamma; m_x, x) = \\frac{p(\\gamma + m_x x)}{px + q - 1}
            = \\frac{q-1}{px+q-1}\\,\\frac{p\\gamma}{q-1} + \\frac{px}{px+q-1}\\, m_x

        a weighted mean of the population mean and the customer's own mean. For x = 0 it is
        the population mean p*gamma/(q-1), which exists only when q > 1 (NaN otherwise;
        :func:`~openkam.engine.clv.lifetime_value.customer_lifetime_value` reports why).
        """
        p, q, g = self._p()
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        denom = p * x + q - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, p * (g + m * x) / denom, np.nan)

    def population_mean_value(self) -> float:
        """Mean value per occasion across customers, p*gamma/(q-1); NaN when q <= 1."""
        p, q, g = self._p()
        return p * g / (q - 1) if q > 1 else float("nan")
