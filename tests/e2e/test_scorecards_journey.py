"""The champion reads the scorecards, one KAM's scorecard and the programme dashboard in a
real browser, under the Content Security Policy: the charts draw and nothing is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from openkam.web.accounts.models import Account
from openkam.web.core.models import Computation
from openkam.web.people.models import Assignment, Person
from openkam.web.profitability.models import AccountPeriodFigures


def poll(page, expression: str, timeout_s: float = 15.0) -> None:
    """Wait until ``expression`` is true. Not ``wait_for_function``: its polling evaluates a
    string in the page, which the Content Security Policy forbids ('unsafe-eval')."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def data(transactional_db):
    """Given: Chris the champion; Kim held Acme until 1 July 2025, then Lee; Lee holds
    Borealis (losing money); stored month and year figures for 2025."""
    user = get_user_model().objects.create_user("chris", password="chris-secret-1")
    Person.objects.create(person_id="P0", name="Chris Champion", role="champion", user=user)
    kim = Person.objects.create(person_id="P1", name="Kim Keller", role="kam")
    lee = Person.objects.create(person_id="P2", name="Lee Lang", role="kam")
    acme = Account.objects.create(account_id="ACME", name="Acme", industry="food", region="EU")
    boreal = Account.objects.create(account_id="BOR", name="Borealis", industry="x", region="EU")
    Assignment.objects.create(
        account=acme, role="kam", person=kim, start=dt.date(2025, 1, 1), end=dt.date(2025, 7, 1)
    )
    Assignment.objects.create(account=acme, role="kam", person=lee, start=dt.date(2025, 7, 1))
    Assignment.objects.create(account=boreal, role="kam", person=lee, start=dt.date(2025, 1, 1))
    run = Computation.objects.create(kind="profitability", status="done", is_current=True)

    def row(account, period, grain, sales, cogs, cts):
        sales, cogs, cts = Decimal(sales), Decimal(cogs), Decimal(cts)
        AccountPeriodFigures.objects.create(
            computation=run, account_key=account, grain=grain, period=period,
            gross_sales=sales, discounts=0, invoiced_sales=sales, rebates=0, net_sales=sales,
            cogs=cogs, gross_margin=sales - cogs, cost_to_serve=cts,
            net_contribution=sales - cogs - cts,
        )  # fmt: skip

    for m in range(1, 13):
        row("ACME", f"2025-{m:02d}", "month", 1000 + 50 * m, 600, 100)
        row("BOR", f"2025-{m:02d}", "month", 500, 100, 500 - 10 * m)
    row("ACME", "2025", "year", 15900, 7200, 1200)
    row("BOR", "2025", "year", 6000, 1200, 5220)


def test_champion_reads_scorecards_and_dashboard(data, page, sign_in, live_server):
    refused = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    sign_in("chris", "chris-secret-1")
    page.goto(f"{live_server.url}/scorecards/?period=2025")
    assert page.locator("h1").inner_text() == "Scorecards 2025"
    poll(page, "document.querySelector('canvas[data-kam-bars]').width > 0")
    page.click("text=Kim Keller")
    page.wait_for_load_state()
    assert "Kim Keller · scorecard 2025" in page.locator("h1").inner_text()
    # Kim held Acme for 6 months: January–June, 6 × 1,000 + 50 × (1 + … + 6) − 6 × 700.
    assert "6,000" not in page.locator("tfoot").inner_text()
    assert "2,850" in page.locator("tfoot").inner_text()
    poll(page, "document.querySelector('canvas[data-trend-chart]').width > 0")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "scorecard.png"), full_page=True)
    page.goto(f"{live_server.url}/scorecards/dashboard/?period=2025")
    poll(page, "document.querySelector('canvas[data-whale-chart]').width > 0")
    losses = page.locator("section.card", has=page.locator("h2", has_text="Loss-making"))
    assert "Borealis" in losses.inner_text() and "-420" in losses.inner_text()
    page.screenshot(path=str(SHOTS / "programme-dashboard.png"), full_page=True)
    # The period selector submits on change (a listener from the static script).
    page.select_option("#period-select", "2025-Q3")
    page.wait_for_url("**period=2025-Q3**")
    assert "2025-Q3" in page.locator("h1").inner_text()
    assert not [r for r in refused if "Content Security Policy" in r or "Refused" in r]
