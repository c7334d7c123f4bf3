"""`openkam demo` as a new user runs it (on a small supplier, without serving)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Account
from openkam.web.insights.models import Computation
from openkam.web.planning.models import Plan
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
    assert ContactProfile.objects.exists()
    assert authenticate(username="champion", password="openkam-demo") is not None
    # Running it again on the same data directory refuses to overwrite without --force.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "--force" in again.output
