"""Currencies at import: ISO 4217 codes, the fx-rates kind, and amounts with no rate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from store_helpers import INVOICE_HEADER, write

from openkam.store import ImportFailed, derived_id, import_ledger, ledger_counts, validate_import

HEADER = INVOICE_HEADER + ",currency"


def _invoices(path, *lines):
    return write(path, "\n".join([HEADER, *lines]) + "\n")


def test_fx_rates_are_validated_and_loaded(tmp_path, data_dir):
    bad = write(
        tmp_path / "bad.csv",
        "currency,rate_date,rate\nUSD,2024-01-01,0.9\nEURO,2024-01-01,1\nGBP,2024-01-01,0\n",
    )
    result = validate_import("fx-rates", [bad])
    # Row 3: not a code; row 4: a rate must be > 0.
    assert {(i.row, i.column) for i in result.issues} == {(3, "currency"), (4, "rate")}
    assert "ISO 4217" in next(i.reason for i in result.issues if i.column == "currency")
    good = write(tmp_path / "rates.csv", "currency,rate_date,rate\nUSD,2024-01-01,0.90490000\n")
    assert import_ledger("fx-rates", [good], data_dir).rows_added == 1
    assert ledger_counts(data_dir)["fx-rates"] == 1


def test_an_unknown_currency_code_is_refused(tmp_path, data_dir, known):
    path = _invoices(tmp_path / "inv.csv", "I1,1,2024-01-05,ACME,P1,1,10,0,5,XYZ")
    with pytest.raises(ImportFailed) as caught:
        import_ledger("invoices", [path], data_dir, known=known)
    (issue,) = caught.value.issues
    assert (issue.row, issue.column, issue.value) == (2, "currency", "XYZ")


def test_an_amount_without_a_rate_is_refused_naming_currency_and_date(
    tmp_path, data_dir, known, monkeypatch
):
    monkeypatch.setenv("OPENKAM_REPORTING_CURRENCY", "EUR")
    path = _invoices(
        tmp_path / "inv.csv",
        "I1,1,2024-01-05,ACME,P1,1,10,0,5,USD",
        "I2,1,2024-01-06,ACME,P1,1,10,0,5,EUR",
        "I3,1,2024-01-07,ACME,P1,1,10,0,5,",
    )
    with pytest.raises(ImportFailed) as caught:
        import_ledger("invoices", [path], data_dir, known=known)
    (issue,) = caught.value.issues
    assert (issue.row, issue.column, issue.value) == (2, "currency", "USD")
    assert "USD" in issue.reason and "2024-01-05" in issue.reason
    assert ledger_counts(data_dir)["invoices"] == 0  # all or nothing
    # A rate from a later date does not cover it either.
    late = write(tmp_path / "late.csv", "currency,rate_date,rate\nUSD,2024-01-06,0.9\n")
    import_ledger("fx-rates", [late], data_dir)
    with pytest.raises(ImportFailed, match="first rate is dated 2024-01-06"):
        import_ledger("invoices", [path], data_dir, known=known)
    early = write(tmp_path / "early.csv", "currency,rate_date,rate\nUSD,2024-01-01,0.9\n")
    import_ledger("fx-rates", [early], data_dir)
    assert import_ledger("invoices", [path], data_dir, known=known).rows_added == 3


def test_derived_ids_of_records_without_a_currency_are_unchanged():
    record = {
        "account_id": "ACME",
        "rebate_date": __import__("datetime").date(2024, 3, 31),
        "amount": Decimal("1500.00"),
        "kind": "volume",
    }
    # The recipe before currencies existed: the content columns, then the occurrence.
    import hashlib

    text = "ACME\x1f2024-03-31\x1f1500.00\x1fvolume\x1f1"
    assert derived_id("rebates", record) == "auto-" + hashlib.sha256(text.encode()).hexdigest()[:24]
    assert derived_id("rebates", record | {"currency": "USD"}) != derived_id("rebates", record)


def test_the_importer_derives_the_same_ids_as_the_recipe(tmp_path, data_dir, known):
    import datetime as dt

    import pyarrow.parquet as pq

    from openkam.store import part_files, table_dir

    rates = write(tmp_path / "rates.csv", "currency,rate_date,rate\nUSD,2024-01-01,0.9\n")
    import_ledger("fx-rates", [rates], data_dir)
    path = write(
        tmp_path / "rebates.csv",
        "account_id,rebate_date,amount,kind,currency\n"
        "ACME,2024-03-31,1500.00,volume,USD\nACME,2024-03-31,1500.00,volume,\n",
    )
    import_ledger("rebates", [path], data_dir, known=known)
    (part,) = part_files(table_dir(data_dir, "rebates"))
    ids = pq.read_table(part)["rebate_id"].to_pylist()
    record = {
        "account_id": "ACME",
        "rebate_date": dt.date(2024, 3, 31),
        "amount": Decimal("1500.00"),
        "kind": "volume",
    }
    assert sorted(ids) == sorted(
        [derived_id("rebates", record | {"currency": "USD"}), derived_id("rebates", record)]
    )


def test_ledger_files_from_before_currencies_still_match_and_rewrite(tmp_path, data_dir, known):
    """Files written before the currency column existed read it as empty: a re-import of
    the same records changes nothing, a correction rewrites the old file, and new records
    in a currency load beside them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from openkam.engine.schema import KINDS
    from openkam.store import part_files, table_dir

    folder = table_dir(data_dir, "invoices")
    folder.mkdir(parents=True)
    old = KINDS["invoices"].schema_without("currency")
    row = {
        "invoice_id": "I1",
        "line_no": 1,
        "invoice_date": __import__("datetime").date(2024, 1, 5),
        "account_id": "ACME",
        "product_id": "P1",
        "quantity": Decimal("1.000"),
        "unit_list_price": Decimal("10.0000"),
        "discount_amount": Decimal("0.00"),
        "cogs_amount": Decimal("5.00"),
    }
    pq.write_table(pa.Table.from_pylist([row], schema=old), folder / "part-old.parquet")
    same = _invoices(tmp_path / "same.csv", "I1,1,2024-01-05,ACME,P1,1,10,0,5,")
    assert import_ledger("invoices", [same], data_dir, known=known).rows_unchanged == 1
    fixed = _invoices(tmp_path / "fixed.csv", "I1,1,2024-01-05,ACME,P1,1,10,0,6,")
    result = import_ledger("invoices", [fixed], data_dir, known=known, replace=True)
    assert result.rows_replaced == 1
    rates = write(tmp_path / "rates.csv", "currency,rate_date,rate\nUSD,2024-01-01,0.9\n")
    import_ledger("fx-rates", [rates], data_dir)
    usd = _invoices(tmp_path / "usd.csv", "I2,1,2024-01-06,ACME,P1,1,10,0,5,USD")
    assert import_ledger("invoices", [usd], data_dir, known=known).rows_added == 1
    rows = pq.ParquetDataset([str(p) for p in part_files(folder)]).read().to_pylist()
    assert sorted((r["invoice_id"], str(r["cogs_amount"]), r["currency"]) for r in rows) == [
        ("I1", "6.00", None),
        ("I2", "5.00", "USD"),
    ]
