"""The files the generator writes: schemas, determinism, atomic writes, chunking."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openkam.engine.schema import KINDS, LEDGER_TABLES
from openkam.engine.synth import DEMO_FILES, generate
from openkam.engine.synth.writer import RollingWriter

TINY = {"accounts": 60, "lines": 6_000, "years": 2}


def _all_files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", ["invoices", "rebates", "activities", "cost-pools"])
def test_ledger_files_have_exactly_the_canonical_schema(demo, kind):
    folder = demo.data_dir / "ledger" / LEDGER_TABLES[kind]
    files = sorted(folder.glob("*.parquet"))
    assert files
    for path in files:
        # equals() compares names, order, types and nullability of every field. The demo
        # is all in the reporting currency, so it leaves the optional currency column out
        # (readers see it as null = the reporting currency).
        assert pq.read_schema(path).equals(KINDS[kind].schema_without("currency")), path


def test_the_demo_is_in_the_reporting_currency_with_no_fx_rates(demo):
    ledger = demo.data_dir / "ledger"
    assert not (ledger / LEDGER_TABLES["fx-rates"]).exists()
    for path in ledger.rglob("*.parquet"):
        assert "currency" not in pq.read_schema(path).names, path


@pytest.mark.parametrize("kind", ["accounts", "products", "contacts", "people"])
def test_reference_files_have_exactly_the_canonical_schema(demo, kind):
    path = demo.data_dir / "demo" / f"{kind}.parquet"
    assert pq.read_schema(path).equals(KINDS[kind].arrow_schema)


def test_every_demo_file_and_the_manifest_are_written(demo):
    for name in DEMO_FILES:
        assert (demo.data_dir / "demo" / f"{name}.parquet").is_file()
    assert (demo.data_dir / "demo" / "manifest.json").is_file()


def test_no_temporary_file_is_left_behind(demo):
    hidden = [p for p in demo.data_dir.rglob(".*")]
    assert hidden == []


def test_summary_counts_match_the_files(demo, one):
    assert demo.counts["invoices"] == one("select count(*) from invoices")
    assert demo.counts["activities"] == one("select count(*) from activities")
    assert demo.counts["rebates"] == one("select count(*) from rebates")
    # 10 pools x 36 calendar months of 2023-2025.
    assert demo.counts["cost_pools"] == one("select count(*) from cost_pools") == 360
    assert demo.first_date == one("select min(invoice_date) from invoices")
    assert demo.last_date == one("select max(invoice_date) from invoices")
    assert demo.seconds > 0


def test_the_line_count_is_met_to_within_two_percent(demo):
    assert abs(demo.counts["invoices"] - 50_000) <= 1_000


def test_the_same_seed_gives_byte_identical_files(tmp_path):
    a = generate(tmp_path / "a", seed=7, **TINY)
    b = generate(tmp_path / "b", seed=7, **TINY)
    files = _all_files(a.data_dir)
    assert files == _all_files(b.data_dir)
    for rel in files:
        assert (a.data_dir / rel).read_bytes() == (b.data_dir / rel).read_bytes(), rel


def test_another_seed_gives_another_ledger(tmp_path):
    a = generate(tmp_path / "a", seed=7, **TINY)
    b = generate(tmp_path / "b", seed=8, **TINY)
    ta = pq.read_table(a.data_dir / "ledger" / "invoices")
    tb = pq.read_table(b.data_dir / "ledger" / "invoices")
    assert not ta.equals(tb)


def test_rows_do_not_depend_on_the_file_size(tmp_path):
    whole = generate(tmp_path / "whole", seed=3, **TINY)
    split = generate(tmp_path / "split", seed=3, rows_per_file=1_000, **TINY)
    parts = sorted((split.data_dir / "ledger" / "invoices").glob("*.parquet"))
    assert len(parts) > 3
    for table in ("invoices", "activities"):
        a = pq.read_table(whole.data_dir / "ledger" / table)
        b = pa.concat_tables(
            pq.read_table(p) for p in sorted((split.data_dir / "ledger" / table).glob("*.parquet"))
        )
        assert a.equals(b), table


def test_an_existing_ledger_is_not_overwritten_by_accident(tmp_path):
    generate(tmp_path, seed=1, **TINY)
    with pytest.raises(FileExistsError):
        generate(tmp_path, seed=2, **TINY)
    again = generate(tmp_path, seed=2, overwrite=True, **TINY)
    assert again.counts["invoices"] > 0


def test_a_different_window_moves_the_dates(tmp_path):
    s = generate(tmp_path, start=dt.date(2020, 7, 1), years=1, accounts=30, lines=2_000)
    assert dt.date(2020, 7, 1) <= s.first_date <= s.last_date < dt.date(2021, 7, 1)
    pools = pq.read_table(tmp_path / "ledger" / "cost_pools")
    assert pools.num_rows == 10 * 12  # ten pools, twelve calendar months


def test_rolling_writer_splits_files_and_renames_them_into_place(tmp_path):
    schema = pa.schema([pa.field("x", pa.int64(), nullable=False)])
    w = RollingWriter(tmp_path, schema, rows_per_file=250, row_group_rows=100)
    for start in range(0, 1000, 70):
        w.write(
            pa.table(
                {"x": pa.array(range(start, min(start + 70, 1000)), pa.int64())}, schema=schema
            )
        )
    files = w.close()
    # 1,000 rows at 250 per file: four files, nothing hidden left over.
    assert [p.name for p in files] == [f"part-0000{i}.parquet" for i in range(4)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in files]
    back = pa.concat_tables(pq.read_table(p) for p in files)
    assert back.column("x").to_pylist() == list(range(1000))
