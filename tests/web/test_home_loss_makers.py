"""The home page flags key accounts losing money, with their trend and lifetime value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openkam.web.core.models import Computation
from openkam.web.lifetime_value.models import AccountValue
from openkam.web.profitability.models import AccountPeriodFigures

THIS = dt.date.today().year
MONEY = ("gross_sales", "discounts", "invoiced_sales", "rebates", "net_sales", "cogs")
MONEY += ("gross_margin", "cost_to_serve")


def _row(run, key, grain, period, contribution):
    AccountPeriodFigures.objects.create(
        computation=run,
        account_key=key,
        grain=grain,
        period=period,
        net_contribution=Decimal(contribution),
        **{name: Decimal(0) for name in MONEY},
    )


@pytest.fixture
def losses(programme):
    """Given: key account A1 lost 1,000 two years ago and 3,000 last year; in January this
    year it lost 200 against 500 in January last year; its CLV is 12,345. A2 (not key) lost
    money too."""
    run = Computation.objects.create(kind="profitability", status="done", is_current=True)
    _row(run, "A1", "year", str(THIS - 2), "-1000")
    _row(run, "A1", "year", str(THIS - 1), "-3000")
    _row(run, "A1", "year", str(THIS), "-200")
    _row(run, "A1", "month", f"{THIS - 1}-01", "-500")
    _row(run, "A1", "month", f"{THIS}-01", "-200")
    _row(run, "A2", "year", str(THIS - 1), "-9000")
    clv = Computation.objects.create(kind="clv", status="done", is_current=True)
    AccountValue.objects.create(computation=clv, account_key="A1", clv_contribution=12345)
    run.summary = {"years": [str(THIS - 2), str(THIS - 1), str(THIS)]}
    run.save()
    return run


def test_home_lists_loss_making_key_accounts_with_trend_and_clv(losses, login, programme):
    html = login(programme["users"]["Chris"]).get("/").content.decode()
    section = html[html.index("Key accounts losing money") :]
    section = section[: section.index("</section>")]
    assert "Acme Foods" in section and "Borealis" not in section  # A2 is not a key account
    assert "-3,000 EUR" in section  # last year
    assert "-200 EUR" in section and "1 month" in section  # this year to date (January)
    assert "-500 EUR" in section  # the same month last year
    # -200 this January against -500 last January: a smaller loss, so better this year.
    assert "▲ better this year" in section
    assert "12,345 EUR" in section
    assert "<polyline" in section  # the yearly trend drawn from two complete years


def test_no_section_when_no_key_account_loses_money(programme, login):
    html = login(programme["users"]["Chris"]).get("/").content.decode()
    assert "Key accounts losing money" not in html
    # The layout's comments stay comments (a multi-line {# #} once printed as text), and
    # the tab icon is a static file.
    assert "{#" not in html and "openkam/favicon.svg" in html


def test_home_account_lists_show_amounts_with_their_currency(losses, login, programme):
    # Given the figures above: A1's last complete year lost 3,000, its CLV is 12,345.
    html = login(programme["users"]["Chris"]).get("/").content.decode()
    # Then the key accounts list writes them with the reporting currency, like every page.
    section = html[html.index("<h2>Key accounts</h2>") :]
    section = section[: section.index("</section>")]
    assert "-3,000 EUR" in section and "12,345 EUR" in section


def test_home_figures_follow_a_new_run_and_a_new_key_account(losses, login, programme):
    """The home page keeps each finished run's figures per process (runs.derived): a new
    current run, or another key account, shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from openkam.web.accounts.models import Account

    Computation.objects.filter(pk=losses.pk).update(finished=timezone.now())
    Computation.objects.filter(kind="clv").update(finished=timezone.now())
    client = login(programme["users"]["Chris"])
    assert "-3,000 EUR" in client.get("/").content.decode()
    with CaptureQueriesContext(connection) as kept:
        assert "-3,000 EUR" in client.get("/").content.decode()
    assert not any("insights_accountperiodfigures" in q["sql"] for q in kept.captured_queries)
    # Given a new profitability run in which A1 lost 7,000 last year.
    Computation.objects.filter(kind="profitability").update(is_current=False)
    run = Computation.objects.create(
        kind="profitability",
        status="done",
        is_current=True,
        finished=timezone.now(),
        summary={"years": [str(THIS - 1)]},
    )
    _row(run, "A1", "year", str(THIS - 1), "-7000")
    _row(run, "A2", "year", str(THIS - 1), "-9000")
    html = client.get("/").content.decode()
    assert "-7,000 EUR" in html and "-3,000 EUR" not in html
    # When A2 becomes a key account, it is listed among the loss makers with its figures.
    Account.objects.filter(account_id="A2").update(key_status="key")
    section = client.get("/").content.decode()
    section = section[section.index("Key accounts losing money") :]
    section = section[: section.index("</section>")]
    assert "Borealis" in section and "-9,000 EUR" in section
