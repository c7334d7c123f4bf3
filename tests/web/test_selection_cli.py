"""``openkam select``: JSON output, recording a review, a clear error when infeasible."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Account
from openkam.web.people.models import Person, ProgrammeRules
from openkam.web.portfolio.models import Review

runner = CliRunner()


@pytest.fixture
def criteria_file(tmp_path, settings, programme):
    """Given: the three-account programme, an empty ledger, and rules small enough for it;
    the KAMs are full-time KAMs and the sponsor a C-level executive."""
    Person.objects.filter(role="kam").update(full_time_kam=True)
    Person.objects.filter(role="sponsor").update(executive_level="c_level")
    ProgrammeRules.objects.create(kam_min_accounts=1, kam_max_accounts=2)
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    path = tmp_path / "criteria.json"
    path.write_text(
        json.dumps(
            {
                "programme": {"min_accounts": 1, "max_accounts": 2, "kam_min": 1, "kam_max": 2},
                "hysteresis": {"entry": 0, "exit": 0, "reviews": 1},
                "economics": {"kam_cost": 0, "account_cost": 0},
            }
        )
    )
    return path


def test_json_output(criteria_file):
    result = runner.invoke(app, ["select", "--criteria", str(criteria_file), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"accounts", "constraints", "objective", "currency"}
    assert {a["account_id"] for a in out["accounts"]} == {"A1", "A2"}
    assert set(out["accounts"][0]) == {
        "account_id",
        "attractiveness",
        "relative_strength",
        "quadrant",
        "decision",
        "kam",
        "sponsor",
        "reasons",
        "current_decision",
        "current_kam",
        "current_sponsor",
        "changes",
    }
    assert not Review.objects.exists()


def test_apply_records_a_review(criteria_file):
    result = runner.invoke(
        app, ["select", "--criteria", str(criteria_file), "--apply", "--label", "CLI review"]
    )
    assert result.exit_code == 0, result.output
    review = Review.objects.get()
    assert review.status == "applied" and review.criteria.number == 2
    assert Account.objects.filter(key_status="key").exists()


def test_infeasible_settings_exit_with_the_reason(criteria_file):
    criteria_file.write_text(json.dumps({"programme": {"min_accounts": 5, "max_accounts": 25}}))
    result = runner.invoke(app, ["select", "--criteria", str(criteria_file)])
    assert result.exit_code == 1
    # By hand: A1 is key (kept), A2 is below the default entry threshold → 1 eligible < 5;
    # one sponsor × 2 = 2 < 5.
    assert "only 1 accounts may be key" in result.output
    assert "too few executive sponsors: 1 × 2 accounts each = 2 < 5" in result.output


def test_apply_that_breaks_a_rule_needs_a_reason(criteria_file):
    # An override takes A1, Alice's only key account, out of the programme: Alice is left
    # under the minimum load. Refused (exit 1, nothing applied) without a reason; applied
    # with one.
    from openkam.web.portfolio import services
    from openkam.web.portfolio.models import Override

    Override.objects.create(
        account=Account.objects.get(account_id="A1"), decision="not_key", reason="Exit agreed"
    )
    args = ["select", "--criteria", str(criteria_file), "--apply", "--label", "R"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "Alice" in result.output
    assert not Review.objects.filter(status="applied").exists()
    result = runner.invoke(app, [*args, "--exception-reason", "Alice leaves in May"])
    assert result.exit_code == 0, result.output
    assert Account.objects.get(account_id="A1").key_status == "not_key"
    assert services.current_criteria().number == 2
