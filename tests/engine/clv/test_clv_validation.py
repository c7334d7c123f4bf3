"""Bad summaries are refused up front with a message naming the problem and the customers."""

from __future__ import annotations

import numpy as np
import pytest

from openkam.engine.clv import BetaGeoModel, ParetoNBDModel, summary_arrays


def _good(n: int = 12) -> dict:
    return {
        "customer_id": [f"c{i}" for i in range(n)],
        "frequency": [i % 4 for i in range(n)],
        "recency": [float(i % 4) for i in range(n)],
        "T": [10.0] * n,
    }


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("T"), "missing column\\(s\\) T"),
        (lambda d: d["customer_id"].__setitem__(1, "c0"), "not unique: 1 id\\(s\\) .* e.g. c0"),
        (lambda d: d["recency"].__setitem__(3, 11.0), "1 customer\\(s\\) have recency > T: c3"),
        (lambda d: d["recency"].__setitem__(4, 2.0), "frequency 0 but a positive recency .*: c4"),
        (lambda d: d["frequency"].__setitem__(5, -1), "negative frequency: c5"),
        (lambda d: d["frequency"].__setitem__(5, 1.5), "non-integer frequency: c5"),
        (lambda d: d["T"].__setitem__(6, float("nan")), "missing or infinite T: c6"),
    ],
)
def test_each_problem_is_named(change, message):
    data = _good()
    data["frequency"] = [float(v) for v in data["frequency"]]
    change(data)
    with pytest.raises(ValueError, match=message):
        BetaGeoModel().fit(data)


def test_all_problems_in_one_message():
    data = _good()
    data["recency"][3] = 11.0
    data["recency"][4] = 2.0
    with pytest.raises(ValueError) as err:
        summary_arrays(data, model="BG/NBD")
    assert "recency > T" in str(err.value) and "positive recency" in str(err.value)


def test_too_few_customers_and_no_repeat_buyers():
    with pytest.raises(ValueError, match="too few customers to fit: 3"):
        BetaGeoModel().fit(_good(3))
    data = _good()
    data["frequency"] = [0] * 12
    data["recency"] = [0.0] * 12
    for model in (BetaGeoModel(), ParetoNBDModel()):
        with pytest.raises(ValueError, match="no customer made a repeat purchase"):
            model.fit(data)


def test_single_purchase_customers_are_fine_for_bgnbd():
    data = _good(40)
    result = BetaGeoModel().fit(data)
    assert np.isfinite(result.log_likelihood)


def test_non_convergence_is_a_warning_not_a_nan():
    # Everybody repeats at exactly the same pace and nobody ever lapses: the drop-out
    # parameters run off to infinity (no heterogeneity, no drop-out to estimate).
    n = 30
    data = {
        "customer_id": list(range(n)),
        "frequency": [10] * n,
        "recency": [10.0] * n,
        "T": [10.0] * n,
    }
    result = BetaGeoModel().fit(data)
    assert not result.converged
    assert any("did not converge" in w for w in result.warnings)
    assert all(np.isfinite(v) for v in result.params.values())
    assert result.to_dict()["params"] == {k: v for k, v in result.params.items()}
