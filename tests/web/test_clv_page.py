"""The Lifetime value page read by a sales director: round histogram bins, parameters behind
a fold, a search and a key-account filter on the table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openkam.web.core.models import Computation
from openkam.web.lifetime_value.models import AccountValue
from openkam.web.lifetime_value.views import _histogram, nice_step, short_amount


def test_bin_width_is_a_round_number():
    # Hand calculation: 590,000 / 24 = 24,583 → the next of 1, 2, 2.5, 5 × 10^4 is 25,000.
    assert nice_step(590_000, 24) == 25_000
    # 1,000 / 24 = 41.7 → 50; 100 / 24 = 4.17 → 5; 12 / 24 = 0.5 → 0.5.
    assert nice_step(1_000, 24) == 50
    assert nice_step(100, 24) == 5
    assert nice_step(12, 24) == 0.5


def test_histogram_edges_are_multiples_of_the_step():
    values = [-260_000.0, -1_234.5, 0.0, 3_456.7, 12_345.6, 330_000.0] * 20
    h = _histogram(values)
    step = h["step"]
    assert step in (1e4, 2e4, 2.5e4, 5e4)
    assert sum(h["counts"]) == len(values)
    assert all(label[-1] in "0kM" or "more" in label or "below" in label for label in h["labels"])
    assert not any("." in label and len(label.split(".")[1]) > 2 for label in h["labels"])


def test_short_amounts():
    assert [short_amount(v) for v in (0, 500, 25_000, -250_000, 1_500_000)] == [
        "0",
        "500",
        "25k",
        "−250k",
        "1.5M",
    ]


@pytest.fixture
def values(programme):
    """Given: a CLV run valuing A1 (key) at 5,000, A2 at 7,000, A3 at -100."""
    run = Computation.objects.create(kind="clv", status="done", is_current=True, params={})
    for key, value in (("A1", 5000), ("A2", 7000), ("A3", -100)):
        AccountValue.objects.create(
            computation=run,
            account_key=key,
            clv_contribution=Decimal(value),
            clv_revenue=Decimal(value * 3),
            probability_alive=0.9,
        )
    return run


def test_table_search_and_key_filter(values, login, programme):
    client = login(programme["users"]["Vera"])
    html = client.get("/insights/clv/").content.decode()
    assert "3 accounts" in html and "Model details" in html and "<details" in html
    html = client.get("/insights/clv/?q=borealis").content.decode()
    table = html[html.index('id="clv-table"') :]
    assert "Borealis Chemicals" in table and "Acme Foods" not in table and "1 account" in table
    html = client.get("/insights/clv/?key=1").content.decode()
    table = html[html.index('id="clv-table"') :]
    assert "Acme Foods" in table and "Borealis" not in table
    # The totals stay the portfolio's whatever the table shows: 5,000 + 7,000 - 100.
    assert "11,900 EUR" in html
    # The sort links keep the filter.
    assert "?key=1&amp;sort=-clv_revenue" in html or "?key=1&sort=-clv_revenue" in html
