"""Customer lifetime value on contribution: discounted expected contribution over a horizon.

For customer i and periods k = 1..H of length L (in the model's time unit):

.. math::

    CLV_i = \\sum_{k=1}^{H} \\frac{\\big(E[Y_i(kL)] - E[Y_i((k-1)L)]\\big)\\,
            E[Z_i]\\,m_i}{(1+d)^k}

where E[Y_i(t)] is the expected number of purchase occasions in the next t units
(BG/NBD or Pareto/NBD, conditional on the customer's history, so the chance that the
customer has already dropped out and the chance of dropping out later are both in it),
E[Z_i] the expected value per occasion (Gamma-Gamma), m_i the customer's ratio of net
contribution (after cost-to-serve) to net sales, and d the discount rate per period,
(1 + annual rate)^(L/year) - 1. With m_i = 1 this is the revenue CLV. Fader, Hardie & Lee
(2005), "RFM and CLV", and Fader & Hardie (2013), "The Gamma-Gamma model of monetary value",
section 4, give the same construction on revenue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openkam.engine.clv.bgnbd import BetaGeoModel
from openkam.engine.clv.data import summary_arrays, to_arrow
from openkam.engine.clv.gamma_gamma import GammaGammaModel
from openkam.engine.clv.pareto_nbd import ParetoNBDModel
from openkam.engine.clv.units import period_discount_rate, unit_days

__all__ = ["LifetimeValue", "customer_lifetime_value"]


@dataclass
class LifetimeValue:
    """Per-customer lifetime values and the assumptions they were computed with.

    ``table`` has one row per customer: ``customer_id``, ``expected_occasions`` (over the
    horizon, undiscounted), ``discounted_occasions``, ``probability_alive``,
    ``expected_value_per_occasion``, ``margin``, ``clv_revenue``, ``clv_contribution``
    and ``reason`` (null when valued; otherwise why the customer could not be valued, and
    then the values are null, never NaN).
    """

    table: pa.Table
    purchase_model: str
    spend_model: str
    time_unit: str
    period: str
    horizon: int
    discount_rate: float
    period_discount_rate: float

    @property
    def n_valued(self) -> int:
        """Customers with a lifetime value (no ``reason``)."""
        return self.table.column("reason").null_count

    def to_dict(self) -> dict:
        """The assumptions and totals, JSON-ready (the table is left out)."""
        valued = self.table.filter(self.table.column("reason").is_null())
        return {
            "purchase_model": self.purchase_model,
            "spend_model": self.spend_model,
            "time_unit": self.time_unit,
            "period": self.period,
            "horizon": self.horizon,
            "discount_rate": self.discount_rate,
            "period_discount_rate": self.period_discount_rate,
            "n_customers": self.table.num_rows,
            "n_valued": valued.num_rows,
            "clv_revenue_total": float(np.sum(valued.column("clv_revenue").to_numpy())),
            "clv_contribution_total": float(np.sum(valued.column("clv_contribution").to_numpy())),
        }


def _margins(margin, ids: pa.Array) -> np.ndarray:
    n = len(ids)
    if np.isscalar(margin):
        return np.full(n, float(margin))
    if isinstance(margin, Mapping):
        return np.array([margin.get(i, np.nan) for i in ids.to_pylist()], dtype=float)
    if isinstance(margin, np.ndarray | list | tuple | pa.Array):
        m = np.asarray(margin, dtype=float)
        if m.shape != (n,):
            raise ValueError(f"margin has {m.size} values for {n} customers")
        return m
    # A table with customer_id and margin columns.
    table = to_arrow(margin)
    if "customer_id" not in table.column_names or "margin" not in table.column_names:
        raise ValueError("a margin table needs the columns customer_id and margin")
    lookup = dict(
        zip(
            table.column("customer_id").to_pylist(),
            table.column("margin").to_pylist(),
            strict=True,
        )
    )
    return np.array(
        [np.nan if lookup.get(i) is None else lookup[i] for i in ids.to_pylist()], dtype=float
    )


def _distinct_histories(x, t_x, T):
    """Distinct (x, t_x, T) rows and, for each customer, the index of its row."""
    stacked = np.stack([x, t_x, T], axis=1)
    distinct, row = np.unique(stacked, axis=0, return_inverse=True)
    return (distinct[:, 0], distinct[:, 1], distinct[:, 2]), row.reshape(-1)


def customer_lifetime_value(
    purchase_model: BetaGeoModel | ParetoNBDModel,
    spend_model: GammaGammaModel,
    summary,
    *,
    margin=1.0,
    discount_rate: float = 0.10,
    horizon: int = 36,
    period: str = "month",
    time_unit: str | None = None,
) -> LifetimeValue:
    """Per-customer CLV on contribution and on revenue (see the module docstring).

    Parameters
    ----------
    purchase_model
        A fitted BG/NBD or Pareto/NBD model.
    spend_model
        A fitted Gamma-Gamma model.
    summary
        ``customer_id, frequency, recency, T, monetary_value`` in the purchase model's unit.
    margin
        Net contribution / net sales per customer, from the profitability engine: one number
        for all, an array in summary order, a mapping ``customer_id -> ratio`` or a table
        with ``customer_id, margin``. May be negative (the customer destroys value).
    discount_rate
        Annual discount rate; converted to the period.
    horizon
        Number of periods valued.
    period
        Length of a period: ``week``, ``month``, ``quarter`` or ``year``.
    time_unit
        Unit of recency and T; defaults to the one recorded when the model was fitted.

    Returns
    -------
    LifetimeValue
        Customers the models cannot value carry a ``reason`` instead of a value.
    """
    unit = time_unit or (purchase_model.result.time_unit if purchase_model.result else None)
    if unit is None:
        raise ValueError(
            "lifetime value: the time unit of recency and T is unknown; pass time_unit"
        )
    if horizon < 1:
        raise ValueError(f"lifetime value: horizon must be at least one period, got {horizon}")
    step = unit_days(period) / unit_days(unit)
    d = period_discount_rate(discount_rate, period)
    s = summary_arrays(summary, model="lifetime value", require_monetary=True, min_customers=0)
    m = _margins(margin, s.customer_id)

    x, t_x, T = s.frequency, s.recency, s.T
    # Customers with the same history have the same expectations: compute them once per
    # distinct (x, t_x, T), which from dated transactions are far fewer than customers.
    (ux, ut, uT), row = _distinct_histories(x, t_x, T)
    ts = step * np.arange(horizon + 1)
    cumulative = purchase_model.expected_purchases(
        ts[None, :], ux[:, None], ut[:, None], uT[:, None]
    )
    per_period = np.diff(cumulative, axis=1)
    discount = (1.0 + d) ** -np.arange(1, horizon + 1)
    occasions = per_period.sum(axis=1)[row]
    discounted = (per_period @ discount)[row]
    alive = purchase_model.probability_alive(ux, ut, uT)[row]
    value = spend_model.expected_value_per_occasion(x, s.monetary_value)

    reason = np.full(len(x), None, dtype=object)
    bad_spend = (x > 0) & (s.monetary_value <= 0)
    reason[bad_spend] = "repeat purchases with zero or negative mean value: no spend estimate"
    no_mean = (x == 0) & ~np.isfinite(value)
    reason[no_mean] = (
        "no repeat purchases and the Gamma-Gamma population mean does not exist (q <= 1)"
    )
    reason[~np.isfinite(m) & (reason == None)] = "no margin given for this customer"  # noqa: E711
    numeric_fail = ~np.isfinite(discounted) | ~np.isfinite(occasions)
    reason[numeric_fail & (reason == None)] = "expected purchases could not be computed"  # noqa: E711
    ok = reason == None  # noqa: E711

    def column(values: np.ndarray, valid: np.ndarray) -> pa.Array:
        return pa.array(np.where(valid, values, 0.0), mask=~valid)

    clv_revenue = discounted * value
    value_ok = ok | ((reason == "no margin given for this customer") & np.isfinite(value))
    table = pa.table(
        {
            "customer_id": s.customer_id,
            "expected_occasions": column(occasions, np.isfinite(occasions)),
            "discounted_occasions": column(discounted, np.isfinite(discounted)),
            "probability_alive": column(alive, np.isfinite(alive)),
            "expected_value_per_occasion": column(value, value_ok & np.isfinite(value)),
            "margin": column(m, np.isfinite(m)),
            "clv_revenue": column(clv_revenue, value_ok & np.isfinite(clv_revenue)),
            "clv_contribution": column(clv_revenue * m, ok),
            "reason": pa.array(reason.tolist(), type=pa.string()),
        }
    )
    return LifetimeValue(
        table=table,
        purchase_model=purchase_model.name,
        spend_model=spend_model.name,
        time_unit=unit,
        period=period,
        horizon=int(horizon),
        discount_rate=float(discount_rate),
        period_discount_rate=float(d),
    )
