"""Loading the ledger: idempotent re-imports, corrections with replace, the files written."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import narwhals as nw
import pyarrow.parquet as pq
import pytest
from store_helpers import invoices_csv, snapshot, write

from openkam.engine.backends import scan_parquet
from openkam.engine.schema import KINDS, LEDGER_TABLES
from openkam.store import (
    ImportFailed,
    derived_id,
    import_ledger,
    ledger_counts,
    part_files,
    table_dir,
    validate_import,
)


def _table(data_dir, kind):
    return pq.ParquetDataset([str(p) for p in part_files(table_dir(data_dir, kind))]).read()


def test_import_writes_one_part_file_in_the_ledger_format(samples, data_dir, known):
    result = import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    assert (result.rows_read, result.rows_added, result.rows_unchanged) == (4, 4, 0)
    (part,) = part_files(table_dir(data_dir, "invoices"))
    assert result.files_written == [part]
    meta = pq.read_metadata(part)
    # The ledger's one format (engine.ledger.parquet_write_options): LZ4, decimals as INT64.
    assert meta.row_group(0).column(0).compression == "LZ4"
    quantity = meta.schema.names.index("quantity")
    assert meta.row_group(0).column(quantity).physical_type == "INT64"
    schema = pq.read_schema(part)
    assert [(f.name, f.type) for f in schema] == [
        (f.name, f.type) for f in KINDS["invoices"].arrow_schema
    ]
    rows = _table(data_dir, "invoices").to_pylist()
    # invoices.csv, row 5: the return line, exact decimals as written
    assert rows[3]["quantity"] == Decimal("-10.000")
    assert rows[3]["discount_amount"] == Decimal("-0.50")
    assert rows[1]["unit_list_price"] == Decimal("0.1250")
    assert rows[2]["paid_date"] is None and rows[2]["business_unit"] is None


def test_importing_the_same_file_again_changes_nothing(samples, data_dir, known):
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    before = snapshot(data_dir)
    again = import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    assert (again.rows_read, again.rows_added, again.rows_unchanged) == (4, 0, 4)
    assert again.files_written == []
    assert snapshot(data_dir) == before
    assert ledger_counts(data_dir)["invoices"] == 4


def test_overlapping_file_adds_only_the_new_lines(samples, tmp_path, data_dir, known):
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    more = write(
        tmp_path / "more.csv",
        (samples / "invoices.csv").read_text() + "INV-4,1,2024-03-01,BETA,P2,5,0.13,0,0.40,,,\n",
    )
    result = import_ledger("invoices", [more], data_dir, known=known)
    assert (result.rows_added, result.rows_unchanged) == (1, 4)
    assert len(part_files(table_dir(data_dir, "invoices"))) == 2
    assert ledger_counts(data_dir)["invoices"] == 5


def test_replace_corrects_a_record_and_rewrites_its_part_file(tmp_path, data_dir, known):
    first = invoices_csv(
        tmp_path / "jan.csv",
        "INV-1,1,2024-01-05,ACME,P1,10,1.00,0,5.00",
        "INV-1,2,2024-01-05,ACME,P2,20,1.00,0,5.00",
    )
    import_ledger("invoices", [first], data_dir, known=known)
    (old_part,) = part_files(table_dir(data_dir, "invoices"))
    fix = invoices_csv(tmp_path / "fix.csv", "INV-1,2,2024-01-05,ACME,P2,25,1.00,0,6.25")
    with pytest.raises(ImportFailed):
        import_ledger("invoices", [fix], data_dir, known=known)
    result = import_ledger("invoices", [fix], data_dir, known=known, replace=True)
    assert (result.rows_added, result.rows_unchanged, result.rows_replaced) == (0, 0, 1)
    rows = {(r["invoice_id"], r["line_no"]): r for r in _table(data_dir, "invoices").to_pylist()}
    assert len(rows) == 2
    assert rows[("INV-1", 2)]["quantity"] == Decimal("25.000")
    assert rows[("INV-1", 1)]["quantity"] == Decimal("10.000")
    # the old part file keeps its name but no longer holds the replaced line
    assert pq.read_metadata(old_part).num_rows == 1
    again = import_ledger("invoices", [fix], data_dir, known=known, replace=True)
    assert (again.rows_unchanged, again.rows_replaced) == (1, 0)


def test_replace_deletes_a_part_file_left_empty(tmp_path, data_dir, known):
    line = "INV-1,1,2024-01-05,ACME,P1,10,1.00,0,5.00"
    import_ledger("invoices", [invoices_csv(tmp_path / "a.csv", line)], data_dir, known=known)
    (old_part,) = part_files(table_dir(data_dir, "invoices"))
    fix = invoices_csv(tmp_path / "b.csv", line.replace(",10,", ",11,"))
    import_ledger("invoices", [fix], data_dir, known=known, replace=True)
    (new_part,) = part_files(table_dir(data_dir, "invoices"))
    assert new_part != old_part and not old_part.exists()
    assert ledger_counts(data_dir)["invoices"] == 1


def test_derived_ids_follow_the_documented_recipe(samples, data_dir, known):
    result = import_ledger("rebates", [samples / "rebates.csv"], data_dir, known=known)
    assert result.rows_added == 3
    ids = _table(data_dir, "rebates")["rebate_id"].to_pylist()
    # By hand: content columns in schema order (account_id, rebate_date, amount, kind),
    # then the occurrence, joined by U+001F; SHA-256, first 24 hex digits.
    first = hashlib.sha256(b"ACME\x1f2024-03-31\x1f1500.00\x1fvolume\x1f1").hexdigest()
    twin = "BETA\x1f2024-03-31\x1f250.00\x1fearly-payment\x1f{}"
    assert ids == [
        "auto-" + first[:24],
        "auto-" + hashlib.sha256(twin.format(1).encode()).hexdigest()[:24],
        "auto-" + hashlib.sha256(twin.format(2).encode()).hexdigest()[:24],
    ]
    assert ids[0] == derived_id(
        "rebates",
        {
            "account_id": "ACME",
            "rebate_date": dt.date(2024, 3, 31),
            "amount": Decimal("1500.00"),
            "kind": "volume",
        },
    )
    again = import_ledger("rebates", [samples / "rebates.csv"], data_dir, known=known)
    assert (again.rows_added, again.rows_unchanged) == (0, 3)


def test_explicit_ids_are_kept_and_missing_ones_derived(tmp_path, samples, data_dir, known):
    import_ledger("cost-pools", [samples / "cost_pools.csv"], data_dir)
    path = write(
        tmp_path / "activities.csv",
        "activity_id,activity_date,account_id,pool,quantity\n"
        "ACT-1,2024-01-05,ACME,delivery,1\n"
        ",2024-01-05,ACME,delivery,1\n",
    )
    import_ledger("activities", [path], data_dir, known=known)
    ids = _table(data_dir, "activities")["activity_id"].to_pylist()
    text = "2024-01-05\x1fACME\x1fdelivery\x1f1.000\x1f1"  # quantity at its scale of 3
    assert ids == ["ACT-1", "auto-" + hashlib.sha256(text.encode()).hexdigest()[:24]]


def test_ledger_counts_reads_footers_and_ignores_temporary_files(samples, data_dir, known):
    # Every ledger kind is counted, including those added later (orders, deliveries …).
    assert ledger_counts(data_dir) == dict.fromkeys(LEDGER_TABLES, 0)
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    import_ledger("cost-pools", [samples / "cost_pools.csv"], data_dir)
    folder = table_dir(data_dir, "invoices")
    (folder / ".tmp-part.parquet").write_bytes(next(folder.glob("part-*")).read_bytes())
    assert ledger_counts(data_dir) == {
        **dict.fromkeys(LEDGER_TABLES, 0),
        "invoices": 4,
        "cost-pools": 2,
    }
    assert (data_dir / "ledger" / "cost_pools").is_dir()


def test_progress_reaches_the_total(samples, data_dir, known):
    calls = []
    import_ledger(
        "invoices",
        [samples / "invoices.csv"],
        data_dir,
        known=known,
        progress=lambda *a: calls.append(a),
    )
    size = (samples / "invoices.csv").stat().st_size
    assert calls[-1] == (4, size, size)


def test_kind_names_and_database_kinds(samples, data_dir):
    assert import_ledger("cost_pools", [samples / "cost_pools.csv"], data_dir).kind == "cost-pools"
    with pytest.raises(ValueError, match="database"):
        import_ledger("accounts", [samples / "accounts.csv"], data_dir)
    with pytest.raises(ValueError, match="unknown kind"):
        import_ledger("widgets", [samples / "invoices.csv"], data_dir)


def test_imported_ledger_reads_on_every_engine(samples, data_dir, known, engine):
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    frame = scan_parquet(table_dir(data_dir, "invoices"), engine)
    totals = (
        frame.select(nw.col("quantity").sum(), nw.col("discount_amount").sum(), nw.len())
        .collect()
        .rows()[0]
    )
    # invoices.csv by hand: 100 + 200 + 2 - 10 units; 5.00 + 0 + 20.00 - 0.50 discount.
    assert [Decimal(str(v)) for v in totals[:2]] == [Decimal("292"), Decimal("24.5")]
    assert totals[2] == 4


def test_validate_import_of_a_ledger_kind_stages_a_part_file_on_request(samples, known):
    plain = validate_import("rebates", [samples / "rebates.csv"], known)
    assert plain.ok and plain.staged is None
    with validate_import("rebates", [samples / "rebates.csv"], known, keep_staged=True) as kept:
        staged = kept.staged
        table = pq.read_table(staged)
        assert table.schema.names == KINDS["rebates"].arrow_schema.names
        assert table["rebate_id"].null_count == 0  # ids derived already
    assert not staged.exists()
