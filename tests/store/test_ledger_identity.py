"""A ledger file's identity (size and the write id in its footer): results computed before a
copy of the data directory stay current after it, and a correction in place is always seen."""

from __future__ import annotations

import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from store_helpers import invoices_csv

from openkam.engine.ledger import WRITE_ID_KEY, Ledger, file_identity, open_ledger_writer
from openkam.engine.profitability import compute_profitability
from openkam.engine.profitability.incremental import cache_root
from openkam.engine.synth import generate
from openkam.store import import_ledger, part_files, table_dir


def _write_id(path) -> bytes | None:
    return (pq.read_metadata(path).metadata or {}).get(WRITE_ID_KEY.encode())


def _partials(data_dir) -> dict[str, int]:
    folder = cache_root(Ledger(data_dir)) / "invoices"
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}


def test_a_copy_of_the_data_directory_keeps_the_fingerprint_and_the_partials(tmp_path):
    original = tmp_path / "original"
    generate(original, seed=3, accounts=40, lines=4_000)
    compute_profitability(original, "month", cache=True)
    # shutil.copy, unlike copy2 or `cp -p`, gives every copied file a new modification time:
    # the fingerprint used to change with it and the app announced new records.
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, copy_function=shutil.copy)
    some_part = part_files(table_dir(copy, "invoices"))[0]
    assert (
        some_part.stat().st_mtime_ns != (original / some_part.relative_to(copy)).stat().st_mtime_ns
    )
    assert Ledger(copy).fingerprint() == Ledger(original).fingerprint()
    before = _partials(copy)
    assert before
    compute_profitability(copy, "month", cache=True)
    assert _partials(copy) == before  # no file aggregated again: names and files unchanged


def test_a_correction_in_place_changes_the_fingerprint_at_the_same_size_and_time(tmp_path):
    folder = tmp_path / "ledger" / "rebates"
    folder.mkdir(parents=True)
    path = folder / "part-00000.parquet"
    table = pa.table({"account_id": ["A"], "amount": [1]})

    def write() -> None:
        writer = open_ledger_writer(path, table.schema)
        writer.write_table(table)
        writer.close()

    write()
    before = Ledger(tmp_path).fingerprint()
    stat = path.stat()
    write()  # rewritten under the same name, as a correction rewrites a part file
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the same time
    assert path.stat().st_size == stat.st_size
    assert Ledger(tmp_path).fingerprint() != before


def test_files_without_a_write_id_are_identified_by_their_time(tmp_path):
    path = tmp_path / "old.parquet"
    pq.write_table(pa.table({"a": [1]}), path)  # as written before write ids existed
    first = file_identity(path)
    os.utime(path, ns=(1, 2))
    assert file_identity(path) != first
    assert file_identity(path) == f"{path.stat().st_size}-t2"


def test_imports_and_corrections_stamp_a_new_write_id(tmp_path, data_dir, known):
    first = invoices_csv(
        tmp_path / "jan.csv",
        "INV-1,1,2024-01-05,ACME,P1,10,1.00,0,5.00",
        "INV-1,2,2024-01-05,ACME,P2,20,1.00,0,5.00",
    )
    import_ledger("invoices", [first], data_dir, known=known)
    (part,) = part_files(table_dir(data_dir, "invoices"))
    stamped = _write_id(part)
    assert stamped
    fix = invoices_csv(tmp_path / "fix.csv", "INV-1,2,2024-01-05,ACME,P2,25,1.00,0,6.25")
    import_ledger("invoices", [fix], data_dir, known=known, replace=True)
    # The corrected part keeps its name (an atomic replace) but not its write id.
    assert part.exists() and _write_id(part) not in (None, stamped)
    ids = {_write_id(p) for p in part_files(table_dir(data_dir, "invoices"))}
    assert len(ids) == 2


def test_the_demo_derives_its_write_ids_and_a_new_demo_drops_the_old_sums(tmp_path):
    # The same seed and arguments give byte-identical files (write ids included); another
    # seed gives other ids. A demo generated over an old one removes the old month sums,
    # which could otherwise be taken for the new files' (same names, maybe same ids).
    first = generate(tmp_path / "a", seed=3, accounts=40, lines=4_000)
    same = generate(tmp_path / "b", seed=3, accounts=40, lines=4_000)
    other = generate(tmp_path / "c", seed=4, accounts=40, lines=4_000)
    part = "ledger/invoices/part-00000.parquet"
    ids = [_write_id(d.data_dir / part) for d in (first, same, other)]
    assert ids[0] and ids[0] == ids[1] != ids[2]
    compute_profitability(first.data_dir, "month", cache=True)
    assert (first.data_dir / "cache").is_dir()
    generate(first.data_dir, seed=5, accounts=40, lines=4_000, overwrite=True)
    assert not (first.data_dir / "cache").exists()
