"""``openkam assign`` and ``openkam people``: the rules hold from the command line too."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from openkam.cli import app
from openkam.web.accounts.models import Account
from openkam.web.core.models import AuditEvent
from openkam.web.people.models import Assignment, Person, RuleException

runner = CliRunner()


@pytest.fixture
def cli(programme, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    # Bob gets a second key account (A2 promoted) so his load is inside 2–5 only with it.
    Account.objects.filter(account_id="A2").update(key_status="key")
    return programme


def test_assign_refuses_a_viewer_as_kam_with_exit_1_and_changes_nothing(cli):
    before = (Assignment.objects.count(), AuditEvent.objects.count())
    result = runner.invoke(app, ["assign", "A1", "--kam", "P-Vera"])
    assert result.exit_code == 1
    assert "Vera (viewer) has no key account management role" in result.output
    assert Account.objects.get(account_id="A1").kam.name == "Alice"
    assert (Assignment.objects.count(), AuditEvent.objects.count()) == before


def test_assign_json_lists_the_broken_rules(cli):
    result = runner.invoke(app, ["assign", "A1", "--sponsor", "P-Alice", "--json"])
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["refused"] is True
    assert {v["rule"] for v in out["violations"]} >= {"sponsor_level", "kam_is_sponsor"}


def test_assign_bad_input_exits_2(cli):
    assert runner.invoke(app, ["assign", "NOPE", "--kam", "P-Bob"]).exit_code == 2
    assert runner.invoke(app, ["assign", "A1", "--kam", "P-NOPE"]).exit_code == 2
    assert runner.invoke(app, ["assign", "A1"]).exit_code == 2
    result = runner.invoke(app, ["assign", "A1", "--kam", "P-Bob", "--effective", "2025-02-30"])
    assert result.exit_code == 2 and "not a date" in result.output
    result = runner.invoke(app, ["assign", "A1", "--kam", "P-Bob", "--effective", "2999-01-01"])
    assert result.exit_code == 2 and "in the future" in result.output


def test_assign_with_an_exception_records_it(cli):
    # Alice would drop to 0 key accounts when A1 moves to Bob: a take-away under 2.
    result = runner.invoke(
        app,
        [
            "assign",
            "A1",
            "--kam",
            "P-Bob",
            "--effective",
            "2025-07-01",
            "--reason",
            "handover",
            "--exception",
            "Alice moves to the new APAC team",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["kam"] == "P-Bob" and out["changes"]["kam"] == ["Alice", "Bob"]
    exc = RuleException.objects.get()
    assert (exc.rule, exc.person.name) == ("kam_min_accounts", "Alice")
    row = Assignment.objects.get(account__account_id="A1", role="kam")
    assert (row.person.name, row.start.isoformat(), row.source) == ("Bob", "2025-07-01", "cli")


def test_people_rules_lists_what_is_broken_now(cli):
    Person.objects.filter(name="Sam").update(executive_level="director")
    Account.objects.filter(account_id="A2").update(sponsor=Person.objects.get(name="Sam"))
    result = runner.invoke(app, ["people", "rules", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    rules = {r["key"]: r for r in out["rules"]}
    assert rules["kam_max_accounts"]["value"] == 5
    broken = {(v["rule"], v["person_name"], v["account_id"]) for v in out["violations"]}
    assert ("sponsor_level", "Sam", "A1") in broken
    assert ("sponsor_level", "Sam", "A2") in broken
    # Alice and Bob carry one key account each: under the minimum of 2.
    assert ("kam_min_accounts", "Alice", None) in broken
    result = runner.invoke(app, ["people", "list", "--json"])
    rows = {r["person_id"]: r for r in json.loads(result.output)}
    assert rows["P-Sam"]["sponsor_load"]["count"] == 2
    assert rows["P-Alice"]["kam_load"]["status"] == "under"
