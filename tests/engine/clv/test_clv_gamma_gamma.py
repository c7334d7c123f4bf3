"""Gamma-Gamma spend model: published CDNOW estimates, exclusions, predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openkam.engine.clv import GammaGammaModel
from openkam.engine.clv.gamma_gamma import log_likelihood

#: Fader, Hardie & Lee (2005), "RFM and CLV", and Fader & Hardie (2013), "The Gamma-Gamma
#: model of monetary value": the 946 CDNOW calibration repeat buyers.
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_reproduces_the_published_cdnow_estimates(cdnow_summary):
    result = GammaGammaModel().fit(cdnow_summary)
    assert result.converged
    assert result.n_customers == 946
    assert result.warnings == [
        "gg: 1411 customer(s) without repeat purchases excluded from the fit"
    ]
    for name, value in PUBLISHED.items():
        # Published to two decimals.
        assert result.params[name] == pytest.approx(value, abs=0.006), name


def test_log_likelihood_by_hand():
    # p = q = gamma = 1, x = 1, m = 1: Gamma(2)/(Gamma(1)Gamma(1)) * 1 * 1^0 * 1 / 2^2 = 1/4.
    # x = 2, m = 3: Gamma(3)/(Gamma(2)Gamma(1)) * 1 * 3^1 * 2^2 / 7^3 = 24/343.
    ll = log_likelihood((1, 1, 1), [1, 2], [1, 3])
    np.testing.assert_allclose(ll, [math.log(1 / 4), math.log(24 / 343)], rtol=1e-12)


def test_expected_value_per_occasion_by_hand():
    model = GammaGammaModel.from_params(**PUBLISHED)
    p, q, g = PUBLISHED.values()
    # Customer 1 of CDNOW: x = 2, m = 22.35. E = p (gamma + m x) / (p x + q - 1).
    expected = p * (g + 22.35 * 2) / (p * 2 + q - 1)
    assert model.expected_value_per_occasion(2, 22.35) == pytest.approx(expected, rel=1e-12)
    # Without repeat purchases: the population mean p gamma / (q - 1) = 35.17.
    assert model.expected_value_per_occasion(0, 0.0) == pytest.approx(p * g / (q - 1))
    # 6.25 * 15.44 / 2.74 = 35.219 at the published (rounded) values.
    assert model.population_mean_value() == pytest.approx(35.219, abs=0.001)
    # No population mean when q <= 1: NaN here, an explicit reason in the CLV table.
    assert np.isnan(
        GammaGammaModel.from_params(p=1, q=0.9, gamma=1).expected_value_per_occasion(0, 0)
    )


def test_bad_spend_is_an_error_naming_customers():
    ids = [f"c{i}" for i in range(12)]
    data = {
        "customer_id": ids,
        "frequency": [2] * 12,
        "recency": [1.0] * 12,
        "T": [5.0] * 12,
        "monetary_value": [10.0] * 10 + [-3.0, 0.0],
    }
    with pytest.raises(ValueError, match="1 customer\\(s\\) have a negative monetary_value: c10"):
        GammaGammaModel().fit(data)
    data["monetary_value"][10] = 3.0
    with pytest.raises(
        ValueError, match="1 repeat customer\\(s\\) have a zero or negative monetary_value .*: c11"
    ):
        GammaGammaModel().fit(data)


def test_too_few_repeat_buyers():
    data = {
        "customer_id": list(range(20)),
        "frequency": [1] * 3 + [0] * 17,
        "recency": [1.0] * 3 + [0.0] * 17,
        "T": [5.0] * 20,
        "monetary_value": [10.0] * 3 + [0.0] * 17,
    }
    with pytest.raises(ValueError, match="too few customers with repeat purchases to fit: 3"):
        GammaGammaModel().fit(data)
