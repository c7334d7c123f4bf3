"""``openkam profitability``: the JSON contract, the whale curve, the table, and bad options.

The ledger is the hand-computed one of test_profitability_web (its header has the sums).
"""

from __future__ import annotations

import json

import pytest
from test_profitability_web import FILES
from typer.testing import CliRunner

from openkam.cli import app
from openkam.engine.ledger import Ledger
from openkam.engine.profitability import MONEY_LINES
from openkam.engine.profitability.incremental import cache_root

runner = CliRunner()


@pytest.fixture
def data_dir(import_files, monkeypatch):
    path = import_files(FILES)
    monkeypatch.setenv("OPENKAM_DATA_DIR", str(path))  # the CLI finds its data there
    return path


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["profitability", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_rows_pools_and_totals(data_dir):
    out = _json("--period", "year")
    assert set(out) >= {"rows", "pools", "totals"}
    rows = {(r["account_id"], r["scope"]): r for r in out["rows"]}
    m1 = rows[("M1", "account")]
    assert set(m1) >= {
        "account_id",
        "period",
        *MONEY_LINES,
        "cost_by_pool",
        "contribution_margin_pct",
    }
    # M1 by hand: 100.00 − 10.00 − 20.00 = 70.00 net sales; − 95.00 cogs − 5 × 10.00.
    assert (m1["period"], m1["net_sales"], m1["net_contribution"]) == ("2024", 70.0, -75.0)
    assert m1["cost_by_pool"] == {"delivery": 50.0}
    assert m1["contribution_margin_pct"] == pytest.approx(-107.14)
    # L1 rolls up L2: net sales 320.00, net contribution 130.00.
    assert (rows[("L1", "subtree")]["net_sales"], rows[("L1", "subtree")]["net_contribution"]) == (
        320.0,
        130.0,
    )
    assert out["pools"] == [
        {
            **out["pools"][0],
            "pool": "delivery",
            "period": "2024",
            "cost": 1000.0,
            "allocated": 100.0,
            "unused": 900.0,
        }
    ]
    assert out["totals"]["net_contribution"] == 55.0  # 30 + 100 − 75: accounts, not roll-ups


def test_the_cache_changes_nothing_and_no_cache_writes_nothing(data_dir):
    cached = _json("--period", "month")
    assert (cache_root(Ledger(data_dir)) / "invoices").is_dir()
    assert _json("--period", "month", "--no-cache") == cached
    assert _json("--period", "month", "--account", "L2") == {
        **cached,
        "rows": [r for r in cached["rows"] if r["account_id"] == "L2"],
        "totals": _json("--period", "month", "--account", "L2")["totals"],
    }


def test_whale_curve(data_dir):
    out = _json("--whale")
    # L2 100, L1 30, M1 −75 of a total of 55: 181.8 %, 236.4 %, 100 %.
    assert [p["account_id"] for p in out["points"]] == ["L2", "L1", "M1"]
    assert out["peak_pct"] == pytest.approx(236.36, abs=0.01)


def test_readable_table_and_bad_options(data_dir):
    result = runner.invoke(app, ["profitability", "--period", "quarter"])
    assert result.exit_code == 0, result.output
    assert "2024-Q2" in result.output and "M1" in result.output
    assert "-75.00" in result.output  # M1, Q2 (all its records are in May and June)
    bad = runner.invoke(app, ["profitability", "--period", "week"])
    assert bad.exit_code == 2 and "--period must be year, quarter or month" in bad.output
    unknown = runner.invoke(app, ["profitability", "--account", "NOPE"])
    assert unknown.exit_code == 2 and "unknown account 'NOPE'" in unknown.output
    backwards = runner.invoke(app, ["profitability", "--from", "2024-05-01", "--to", "2024-01-01"])
    assert backwards.exit_code == 2 and "after" in backwards.output


def test_matrix_json_and_table(data_dir):
    # By hand (see test_profitability_web): cuts 91.76 % of list and 25.64 % of net sales;
    # L1 and L2 passive, M1 aggressive.
    out = _json("--matrix")
    assert (out["net_price_pct"], out["cost_to_serve_pct"]) == (91.76, 25.64)
    assert {a["account_id"]: a["quadrant"] for a in out["accounts"]} == {
        "L1": "passive",
        "L2": "passive",
        "M1": "aggressive",
    }
    table = runner.invoke(app, ["profitability", "--matrix"])
    assert table.exit_code == 0, table.output
    assert "Aggressive" in table.output and "91.76 %" in table.output
    both = runner.invoke(app, ["profitability", "--matrix", "--whale"])
    assert both.exit_code == 2 and "ask for one" in both.output


def test_by_segment(data_dir):
    # By hand (see test_profitability_web): food = L1 + L2, 130.00 on 320.00 net sales;
    # chemicals = M1, −75.00, one account losing money.
    out = _json("--by", "industry")
    assert [
        (g["segment"], g["net_contribution"], g["losing_accounts"]) for g in out["segments"]
    ] == [
        ("food", 130.0, 0),
        ("chemicals", -75.0, 1),
    ]
    table = runner.invoke(app, ["profitability", "--by", "industry"])
    assert table.exit_code == 0 and "chemicals" in table.output and "-75" in table.output
    bad = runner.invoke(app, ["profitability", "--by", "colour"])
    assert bad.exit_code == 2 and "--by must be one of" in bad.output
    alone = runner.invoke(app, ["profitability", "--by", "industry", "--account", "M1"])
    assert alone.exit_code == 2 and "--account applies to the waterfall" in alone.output


def test_warnings_read_as_sentences_not_dicts(import_files, monkeypatch):
    # The same ledger with a delivery capacity of 8: the 10 deliveries (3 + 2 + 5) exceed it.
    over = {
        **FILES,
        "cost-pools": "pool,period_start,period_end,cost,capacity,driver_unit\n"
        "delivery,2024-01-01,2024-12-31,1000.00,8,delivery\n",
    }
    monkeypatch.setenv("OPENKAM_DATA_DIR", str(import_files(over)))
    result = runner.invoke(app, ["profitability"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: delivery 2024: activities use 10 delivery against a practical capacity of 8 "
        "(125.0 %): allocated exceeds the pool cost and unused capacity is negative"
    ]
    assert "{" not in result.output and "'reason'" not in result.output
    # The JSON keeps the warning as the engine gives it (a contract).
    (warning,) = _json()["warnings"]
    assert {k: warning[k] for k in ("reason", "table", "pool", "count")} == {
        "reason": "over_capacity",
        "table": "activities",
        "pool": "delivery",
        "count": 3,
    }


def test_warning_text():
    from openkam.cli.common import warning_text
    from openkam.engine.profitability.issues import InputIssue

    issue = InputIssue("over_capacity", "activities", "kam_time", "2025-09", 4, "too much")
    assert warning_text(issue) == "kam_time 2025-09: too much"
    assert warning_text(issue.as_dict()) == "kam_time 2025-09: too much"
    no_pool = InputIssue("unknown_account", "invoices", None, None, 2, "account X is unknown")
    assert warning_text(no_pool) == "account X is unknown"
    assert warning_text("bgnbd: the fit did not converge") == "bgnbd: the fit did not converge"


@pytest.mark.parametrize(
    "args",
    [("--period", "year"), ("--whale",), ("--matrix",), ("--by", "industry"), ("--mix", "product")],
)
def test_every_json_names_its_currency(data_dir, args, monkeypatch):
    monkeypatch.setenv("OPENKAM_REPORTING_CURRENCY", "EUR")
    assert _json(*args)["currency"] == "EUR"
