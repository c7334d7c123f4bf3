"""The sample files in ``examples/import/`` load as the README says, in its order, and a
second import changes nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openkam.cli import app
from openkam.engine.schema import KINDS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"


def _commands() -> list[list[str]]:
    """The import commands of the examples' README, as written (globs expanded)."""
    text = (EXAMPLES / "README.md").read_text()
    out = []
    for line in re.findall(r"^openkam import (.+?)(?:\s+#.*)?$", text, flags=re.M):
        kind, *patterns = line.split()
        files = []
        for pattern in patterns:
            relative = pattern.removeprefix("examples/import/")
            files += sorted(str(p) for p in EXAMPLES.glob(relative))
        out.append([kind, *files])
    return out


def test_readme_lists_every_file():
    listed = {Path(f).name for command in _commands() for f in command[1:]}
    on_disk = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".csv", ".xlsx")}
    # accounts.csv holds the same rows as accounts.xlsx, which the README imports.
    assert on_disk - listed == {"accounts.csv"}
    assert {c[0] for c in _commands()} <= set(KINDS)


@pytest.fixture
def data_dir(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_examples_import_in_the_readme_order_and_again_change_nothing(data_dir):
    runner = CliRunner()
    expected = {
        "accounts": 4,
        "products": 4,
        "people": 3,
        "contacts": 4,
        "relationships": 3,
        "cost-pools": 2,
        "fx-rates": 4,
        "invoices": 10,
        "rebates": 2,
        "activities": 8,
        "orders": 5,
        "deliveries": 4,
        "supply": 2,
        "commitments": 2,
    }
    for command in _commands():
        result = runner.invoke(app, ["import", *command, "--json"])
        assert result.exit_code == 0, (command, result.output)
        report = json.loads(result.output)
        assert report["rows_read"] == expected[command[0]], command
    for command in _commands():
        report = json.loads(runner.invoke(app, ["import", *command, "--json"]).output)
        changed = ("created", "updated", "rows_added", "rows_replaced")
        assert not any(report.get(k) for k in changed), (command, report)
        assert report.get("unchanged", report.get("rows_unchanged")) == report["rows_read"]
    status = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert {k: status[k] for k in expected} == expected


def test_accounts_csv_and_xlsx_hold_the_same_rows(data_dir):
    runner = CliRunner()
    first = runner.invoke(app, ["import", "accounts", str(EXAMPLES / "accounts.xlsx"), "--json"])
    assert json.loads(first.output)["created"] == 4
    again = runner.invoke(app, ["import", "accounts", str(EXAMPLES / "accounts.csv"), "--json"])
    assert json.loads(again.output)["unchanged"] == 4


def test_clv_example_reproduces_the_published_fit():
    # Fader, Hardie & Lee (2005), BG/NBD on the CDNOW sample, 39-week calibration:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4.
    csv = EXAMPLES.parent / "clv" / "cdnow_sample.csv"
    result = CliRunner().invoke(
        app, ["clv", "fit", str(csv), "--calibration-end", "1997-09-30", "--json"]
    )
    assert result.exit_code == 0, result.output
    fit = json.loads(result.output)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit["params"][name] == pytest.approx(value, abs=0.001)
    assert fit["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert fit["n_customers"] == 2357


def test_the_sample_dollar_invoice_is_converted_at_the_sample_rate(data_dir):
    # Given the samples imported as the README says: EX-INV-1007 is in USD, and
    # fx-rates.csv gives 0.8532 EUR per USD from 2025-07-01 (the line is dated 2025-09-22).
    runner = CliRunner()
    for command in _commands():
        assert runner.invoke(app, ["import", *command, "--json"]).exit_code == 0
    from openkam.engine.ledger import Ledger
    from openkam.engine.money_lines import Conversion

    lines = Conversion.of(Ledger(data_dir), "EUR").invoices().collect("pyarrow").to_arrow()
    line = next(r for r in lines.to_pylist() if r["invoice_id"] == "EX-INV-1007")
    # By hand: 45 × 35.00 = 1,575.00 USD × 0.8532 = 1,343.79 EUR; discount 78.75 × 0.8532
    # = 67.1895 → 67.19; cost of goods 945.00 × 0.8532 = 806.274 → 806.27.
    assert str(line["gross_amount"]) == "1343.79"
    assert str(line["discount_amount"]) == "67.19"
    assert str(line["cogs_amount"]) == "806.27"


def test_the_product_mix_is_in_the_reporting_currency(data_dir, settings):
    """The account page's product mix reads the converted lines (as the drill-down does):
    their gross sales equal the sum of the lines' ``gross_amount`` in EUR (EX-INV-1007 counts
    1,343.79, not its 1,575.00 USD)."""
    settings.DATA_DIR = data_dir
    runner = CliRunner()
    for command in _commands():
        assert runner.invoke(app, ["import", *command, "--json"]).exit_code == 0
    from decimal import Decimal

    from openkam.engine.ledger import Ledger
    from openkam.engine.money_lines import Conversion
    from openkam.web.profitability.services import product_mix_of

    lines = Conversion.of(Ledger(data_dir), "EUR").invoices().collect("pyarrow").to_arrow()
    dollar = next(r for r in lines.to_pylist() if r["invoice_id"] == "EX-INV-1007")
    account = dollar["account_id"]
    mine = [
        r
        for r in lines.to_pylist()
        if r["account_id"] == account and r["invoice_date"].year == dollar["invoice_date"].year
    ]
    expected = sum((r["gross_amount"] for r in mine), Decimal(0))
    mix = product_mix_of(str(dollar["invoice_date"].year), "product", [account])
    assert Decimal(str(mix["totals"]["gross_sales"])) == expected
