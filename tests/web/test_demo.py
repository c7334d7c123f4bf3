"""`openkam demo` as a new user runs it (on a small supplier, without serving)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.test import RequestFactory
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Account
from openkam.web.core.models import Computation
from openkam.web.planning.models import Objective, Plan
from openkam.web.profitability.figures import figures_by_account, latest_year
from openkam.web.relationships.models import ContactProfile


def test_demo_loads_computes_and_prints_logins(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    args = [
        "demo",
        "--no-serve",
        "--accounts",
        "80",
        "--lines",
        "30000",
        "--data-dir",
        str(tmp_path),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "demo ready" in result.output and "openkam-demo" in result.output
    assert Account.objects.count() == 80
    key = Account.objects.filter(key_status="key")
    assert key.exists() and all(a.kam_id for a in key)
    profitability = Computation.objects.get(kind="profitability", is_current=True)
    assert profitability.summary["peak_pct"] > 100  # some accounts give profit back
    assert Computation.objects.filter(kind="clv").exists()
    assert Plan.objects.count() == key.count()
    # Next year's contribution target improves on last year's result by a share of its size:
    # a loss-maker is asked for a smaller loss (it once got a target of 0, read "-217,137 of
    # 0"), a profitable account for more profit. The demo's today is the real date, so last
    # year is the last complete year of its ledger.
    year = str(dt.date.today().year - 1)
    assert latest_year() == str(dt.date.today().year) or dt.date.today().month == 1
    actual = {
        r.account_key: r.net_contribution
        for r in figures_by_account(grain="year", period=year, rolled_up=False)
    }
    actual.update(
        {
            r.account_key: r.net_contribution
            for r in figures_by_account(grain="year", period=year, rolled_up=True)
        }
    )
    targets = Objective.objects.filter(metric="net_contribution", year=int(year) + 2)
    assert targets.exists()
    for objective in targets.select_related("plan__account"):
        result = actual[objective.plan.account.account_id]
        assert objective.target > result or objective.target == result == 0
        assert (objective.target < 0) == (result < 0)
    assert ContactProfile.objects.exists()
    # A programme part-way through its rollout: its readiness is recorded, and neither all
    # met nor all unmet; some key accounts agreed to the partnership and some did not yet.
    from openkam.web.programme.models import Partnership, ReadinessSnapshot

    statuses = set(ReadinessSnapshot.objects.latest("taken_at").statuses.values())
    assert len(statuses) > 1 and statuses != {"met"}
    answers = set(Partnership.objects.values_list("status", flat=True))
    assert "agreed" in answers and len(answers) > 1
    # django-axes checks every login against its request (lockout by user and address).
    login_request = RequestFactory().post("/login/")
    assert authenticate(login_request, username="champion", password="openkam-demo") is not None
    # Running it again on the same data directory refuses to overwrite without --force.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "--force" in again.output
