"""Lifetime value as a user meets it: `openkam clv …`, the stored values, the page and the API."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from rest_framework.test import APIClient
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.core.models import Computation
from openkam.web.lifetime_value.models import AccountValue
from openkam.web.profitability.models import AccountPeriodFigures

runner = CliRunner()
CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    """The CDNOW sample as a user would export it: YYYYMMDD dates, one row per record."""
    raw = np.loadtxt(CDNOW, dtype=str)
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    pacsv.write_csv(
        pa.table({"cust": raw[:, 1], "when": raw[:, 2], "amount": raw[:, 4].astype(float)}), path
    )
    return path


def test_clv_fit_reproduces_fader_hardie_lee_2005(cdnow_csv):
    result = invoke(
        "clv",
        "fit",
        cdnow_csv,
        "--customer-col",
        "cust",
        "--date-col",
        "when",
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # Published BG/NBD estimates on the 2,357-customer sample, 39-week calibration.
    assert out["n_customers"] == 2357
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert out["params"][name] == pytest.approx(value, rel=0.01)
    assert out["log_likelihood"] == pytest.approx(-9582.4, abs=0.5)
    assert set(out["std_errors"]) == {"r", "alpha", "a", "b"}
    assert out["holdout"]["n_customers"] == 2357


def test_clv_fit_gamma_gamma_and_bad_input(cdnow_csv):
    result = invoke(
        "clv",
        "fit",
        cdnow_csv,
        "--customer-col",
        "cust",
        "--date-col",
        "when",
        "--value-col",
        "amount",
        "--calibration-end",
        "1997-09-30",
        "--model",
        "gg",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p 6.25, q 3.74, γ 15.44.
    assert out["params"]["p"] == pytest.approx(6.25, rel=0.01)
    assert out["params"]["q"] == pytest.approx(3.74, rel=0.01)
    assert out["params"]["gamma"] == pytest.approx(15.44, rel=0.01)
    missing = invoke(
        "clv",
        "fit",
        cdnow_csv,
        "--customer-col",
        "nope",
        "--date-col",
        "when",
        "--calibration-end",
        "1997-09-30",
    )
    assert missing.exit_code == 1 and "nope" in missing.output


def test_clv_sbg_reproduces_fader_hardie_2007():
    result = invoke("clv", "sbg", "--survivors", "1000,631,468,382,326,289,262,241", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # "How to project customer retention" (2007), the regular segment: α 0.704, β 1.182.
    assert out["params"]["alpha"] == pytest.approx(0.704, abs=0.001)
    assert out["params"]["beta"] == pytest.approx(1.182, abs=0.001)
    assert out["projected_survivors"][0] == 1000
    assert invoke("clv", "sbg", "--survivors", "1000,abc").exit_code == 2


@pytest.fixture
def demo_ledger(db, tmp_path, settings):
    """A small generated supplier, loaded as the demo loads it."""
    from openkam.engine.synth import generate
    from openkam.web.demo import load_demo

    settings.DATA_DIR = tmp_path
    generate(tmp_path, seed=3, accounts=120, lines=40_000, start=dt.date(2023, 1, 1), years=3)
    load_demo(tmp_path)
    return tmp_path


def test_clv_run_values_accounts_on_contribution(demo_ledger):
    result = invoke("clv", "run", "--horizon-years", "3", "--discount-rate", "0.12")
    assert result.exit_code == 0, result.output
    run = Computation.objects.get(kind="clv", is_current=True)
    assert run.params["horizon_years"] == 3 and run.params["discount_rate"] == 0.12
    values = list(AccountValue.objects.filter(computation=run))
    valued = [v for v in values if v.clv_contribution is not None]
    assert len(valued) > 60
    for v in values:
        # Never a silent NaN: a value or a reason.
        assert (v.clv_contribution is not None) or v.reason
        if v.probability_alive is not None:
            assert 0 <= v.probability_alive <= 1 and not math.isnan(v.probability_alive)
    # An order is valued at the account's contribution: CLV on contribution / CLV on
    # revenue is the account's net contribution / invoiced sales over the stored years,
    # blended with the portfolio's by credibility (Bühlmann–Straub, tested by hand in
    # tests/engine/clv/test_credibility.py): Z·own + (1 − Z)·portfolio, Z = sales/(sales + k).
    rows = AccountPeriodFigures.objects.filter(
        computation__is_current=True, grain="year", rolled_up=False
    )
    k = run.summary["margin_credibility"]["k"]
    portfolio = run.summary["margin_credibility"]["portfolio_margin"]
    sales = sum(float(r.invoiced_sales) for r in rows if r.invoiced_sales > 0)
    assert portfolio == pytest.approx(
        sum(float(r.net_contribution) for r in rows if r.invoiced_sales > 0) / sales
    )
    # The largest account and one of median size (stored CLVs have 2 decimals, so an
    # account with almost no expected revenue cannot show its ratio).
    selling = sorted((v for v in valued if v.clv_revenue > 0), key=lambda v: v.clv_revenue)
    largest, median = selling[-1], selling[len(selling) // 2]
    for v in (largest, median):
        own_rows = [r for r in rows if r.account_key == v.account_key and r.invoiced_sales > 0]
        own_sales = sum(float(r.invoiced_sales) for r in own_rows)
        own = sum(float(r.net_contribution) for r in own_rows) / own_sales
        z = own_sales / (own_sales + k)
        expected = z * own + (1 - z) * portfolio
        assert float(v.clv_contribution / v.clv_revenue) == pytest.approx(expected, abs=0.001)
    assert any(v.clv_contribution < 0 for v in valued)  # some accounts destroy value


def test_clv_page_settings_and_api(demo_ledger, client, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from openkam.web.people.models import Person

    champion = get_user_model().objects.create_user("ch", password="x-secret-1")
    Person.objects.create(person_id="CH", name="Cleo", role="champion", user=champion)
    viewer = get_user_model().objects.create_user("vi", password="x-secret-1")
    client.force_login(champion)
    form = {
        "model": "pnbd",
        "discount_rate": "0.08",
        "horizon_years": "4",
        "time_unit": "week",
        "version": 1,
    }
    assert client.post("/insights/clv/", form).status_code == 302
    bad = client.post("/insights/clv/", {**form, "discount_rate": "8", "version": 2})
    assert "between 0 and 1" in bad.content.decode()
    # Someone else changed the settings meanwhile: told, not overwritten.
    stale = client.post("/insights/clv/", {**form, "horizon_years": "9", "version": 1})
    assert "Someone else saved" in stale.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/insights/recompute/profitability/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/insights/recompute/clv/")
    run = Computation.objects.get(kind="clv")
    assert run.status == "done", run.error
    assert run.params["model"] == "pnbd" and run.params["horizon_years"] == 4
    page = client.get("/insights/clv/").content.decode()
    assert "Pareto/NBD" in page and "clv-hist" in page
    # The page says how margins were weighted, with the run's own k and portfolio margin.
    k = run.summary["margin_credibility"]["k"]
    assert "credibility-weighted" in page
    assert f"{round(k):,} EUR of sales over the years gets half its own margin" in page
    client.force_login(viewer)
    assert client.post("/insights/clv/", form).status_code == 403
    api = APIClient()
    api.force_authenticate(viewer)
    body = api.get("/api/clv/").json()
    assert body["count"] > 0
    diag = api.get("/api/clv/diagnostics/").json()
    assert set(diag["settings"]) >= {"model", "discount_rate", "horizon_years"}
    assert set(diag["params"]) == {"r", "alpha", "s", "beta"}  # Pareto/NBD
    assert api.post("/api/clv/recompute/").status_code == 403


def test_non_finite_model_output_is_stored_as_a_reason():
    from openkam.web.lifetime_value.services import _finite

    # Seen on a 100M-line ledger: a NaN from the models would make the whole run fail to store.
    assert _finite(float("nan")) is None and _finite(float("inf")) is None
    assert _finite(None) is None and _finite(1.5) == 1.5


def test_a_failed_recompute_is_shown_not_raised(
    demo_ledger, client, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    from openkam.web.people.models import Person

    user = get_user_model().objects.create_user("k2", password="x-secret-1")
    Person.objects.create(person_id="K2", name="Kai", role="champion", user=user)
    client.force_login(user)
    # No profitability figures yet: CLV cannot value orders at their contribution.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/insights/recompute/clv/").status_code == 302
    run = Computation.objects.get(kind="clv")
    assert run.status == "failed" and "recompute profitability first" in run.error
    page = client.get("/insights/clv/").content.decode()
    assert "The last recomputation failed" in page and "recompute profitability first" in page


def test_clv_fit_reads_csv_through_the_import_reader(cdnow_csv, tmp_path):
    # Mixed line endings (LF, CRLF, CR alone) used to stop DuckDB's CSV sniffer; the
    # import's reader takes them all, so the fit equals the one on the clean file.
    lines = cdnow_csv.read_bytes().split(b"\n")
    endings = [b"\n", b"\r\n", b"\r"]
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"".join(line + endings[i % 3] for i, line in enumerate(lines) if line))
    args = ["--customer-col", "cust", "--date-col", "when", "--calibration-end", "1997-09-30"]
    clean = json.loads(invoke("clv", "fit", cdnow_csv, *args, "--json").stdout)
    result = invoke("clv", "fit", mixed, *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["params"] == clean["params"]


def test_clv_fit_names_the_row_of_a_bad_date(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("cust,when\n1,19970101\n2,1997-13-01\n3,0000-01-01\n")
    result = invoke(
        "clv",
        "fit",
        path,
        "--customer-col",
        "cust",
        "--date-col",
        "when",
        "--calibration-end",
        "1997-09-30",
    )
    assert result.exit_code == 1
    assert "row 3, column when" in result.output and "is not a valid date" in result.output
    assert "row 4, column when" in result.output and "outside the accepted range" in result.output
    assert "Traceback" not in result.output
