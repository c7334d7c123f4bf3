"""Lifetime value on contribution: hand calculation, then the CDNOW models end to end."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from openkam.engine.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    customer_lifetime_value,
)


class _SteadyBuyer:
    """Half an occasion per month, for ever: makes the sum easy to do by hand."""

    name = "steady"
    result = None

    def expected_purchases(self, t, frequency, recency, T):
        return 0.5 * np.asarray(t, dtype=float) + 0 * np.asarray(frequency, dtype=float)

    def probability_alive(self, frequency, recency, T):
        return np.ones_like(np.asarray(frequency, dtype=float))


class _FlatSpend:
    name = "flat"

    def expected_value_per_occasion(self, frequency, monetary_value):
        return np.full(np.shape(frequency), 100.0)


def _summary(ids):
    n = len(ids)
    return {
        "customer_id": ids,
        "frequency": [1] * n,
        "recency": [1.0] * n,
        "T": [2.0] * n,
        "monetary_value": [100.0] * n,
    }


def test_by_hand():
    out = customer_lifetime_value(
        _SteadyBuyer(),
        _FlatSpend(),
        _summary(["a", "b", "c"]),
        margin={"a": 0.2, "b": -0.1},
        discount_rate=0.12,
        horizon=2,
        period="month",
        time_unit="month",
    )
    # Monthly rate from 12 % a year: 1.12^(1/12) - 1 = 0.0094888.
    d = 1.12 ** (1 / 12) - 1
    assert out.period_discount_rate == pytest.approx(d)
    assert out.period_discount_rate == pytest.approx(0.0094888, abs=1e-7)
    # Revenue CLV = 0.5 occasions x 100 per month, discounted: 50/(1+d) + 50/(1+d)^2 = 98.594.
    revenue = 50 / (1 + d) + 50 / (1 + d) ** 2
    assert revenue == pytest.approx(98.594, abs=0.001)
    rows = {r["customer_id"]: r for r in out.table.to_pylist()}
    assert rows["a"]["clv_revenue"] == pytest.approx(revenue)
    assert rows["a"]["clv_contribution"] == pytest.approx(0.2 * revenue)
    # A loss-making customer has a negative contribution CLV however much it buys.
    assert rows["b"]["clv_contribution"] == pytest.approx(-0.1 * revenue)
    assert rows["a"]["expected_occasions"] == pytest.approx(1.0)
    # No margin for c: revenue still shown, contribution null with the reason.
    assert rows["c"]["clv_contribution"] is None
    assert rows["c"]["reason"] == "no margin given for this customer"
    assert rows["c"]["clv_revenue"] == pytest.approx(revenue)
    assert out.to_dict()["horizon"] == 2 and out.to_dict()["discount_rate"] == 0.12


def test_weekly_model_monthly_periods_on_cdnow(cdnow_summary):
    bg = BetaGeoModel()
    bg.fit(cdnow_summary)
    gg = GammaGammaModel()
    gg.fit(cdnow_summary)
    ids = cdnow_summary.table.column("customer_id").to_pylist()
    margin = pa.table({"customer_id": ids[:-1], "margin": [0.3] * (len(ids) - 1)})
    out = customer_lifetime_value(
        bg, gg, cdnow_summary, margin=margin, discount_rate=0.10, horizon=24, period="month"
    )
    t = out.table
    assert out.time_unit == "week" and out.n_valued == len(ids) - 1
    # Nothing is NaN: a value or a null with a reason.
    for name in ("clv_revenue", "clv_contribution", "expected_occasions"):
        values = t.column(name).drop_null().to_numpy()
        assert np.all(np.isfinite(values)), name
    assert t.column("reason").to_pylist()[-1] == "no margin given for this customer"
    # The per-period differences add back up to the cumulative expectation over 24 months
    # (24 x 365.2425/12/7 weeks).
    s = cdnow_summary.table
    x, t_x, T = (s.column(c).to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    weeks = 24 * 365.2425 / 12 / 7
    np.testing.assert_allclose(
        t.column("expected_occasions").to_numpy(),
        bg.expected_purchases(weeks, x, t_x, T),
        rtol=1e-10,
    )
    valued = t.filter(t.column("reason").is_null())
    np.testing.assert_allclose(
        valued.column("clv_contribution").to_numpy(), 0.3 * valued.column("clv_revenue").to_numpy()
    )
    # Discounting only lowers value.
    assert np.all(
        t.column("discounted_occasions").to_numpy() <= t.column("expected_occasions").to_numpy()
    )


def test_pareto_nbd_and_unvaluable_customers(cdnow_summary):
    pn = ParetoNBDModel.from_params(time_unit="week", r=0.55, alpha=10.58, s=0.61, beta=11.67)
    # q < 1: no population mean spend, so customers without repeat purchases get a reason.
    gg = GammaGammaModel.from_params(p=6.25, q=0.9, gamma=15.44)
    out = customer_lifetime_value(pn, gg, cdnow_summary, margin=0.25, horizon=12)
    reasons = out.table.column("reason").to_pylist()
    n_zero = int((cdnow_summary.table.column("frequency").to_numpy() == 0).sum())
    assert (
        reasons.count(
            "no repeat purchases and the Gamma-Gamma population mean does not exist (q <= 1)"
        )
        == n_zero
    )
    assert out.n_valued == len(reasons) - n_zero


def test_unknown_time_unit_and_bad_horizon():
    with pytest.raises(ValueError, match="time unit .* is unknown"):
        customer_lifetime_value(_SteadyBuyer(), _FlatSpend(), _summary(["a"]))
    with pytest.raises(ValueError, match="horizon must be at least one period"):
        customer_lifetime_value(
            _SteadyBuyer(), _FlatSpend(), _summary(["a"]), horizon=0, time_unit="week"
        )
