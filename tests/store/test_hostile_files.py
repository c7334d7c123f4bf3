"""Files that used to end in a traceback, a wrong value or gigabytes of memory (issue 18).

Each test writes the smallest file showing one cause, imports it, and checks that the
import fails with a message naming the file (and the row and column where there is one),
and that the ledger is untouched. Expected rows: the header is row 1, so the n-th record
is row n + 1.
"""

from __future__ import annotations

import errno
import zipfile
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_helpers import INVOICE_HEADER, invoices_csv, snapshot, write

from openkam.store import ImportFailed, import_ledger, sheet_guard, validate_import
from openkam.store.readers import MAX_CELL_CHARS

GOOD = "INV-1,1,2024-01-05,ACME,P1,2,10.00,0.00,12.00"
COLUMNS = INVOICE_HEADER.split(",")


def failure(data_dir, known, *paths, kind="invoices", **kw) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        import_ledger(kind, list(paths), data_dir, known=known, **kw)
    assert snapshot(data_dir) == {}
    return info.value


def where(f: ImportFailed) -> list[tuple]:
    return [(i.row, i.column) for i in f.issues]


def invoice_table(n: int = 3, **override) -> pa.Table:
    cols = {
        "invoice_id": [f"INV-{i}" for i in range(n)],
        "line_no": ["1"] * n,
        "invoice_date": ["2024-01-05"] * n,
        "account_id": ["ACME"] * n,
        "product_id": ["P1"] * n,
        "quantity": ["2"] * n,
        "unit_list_price": ["10.00"] * n,
        "discount_amount": ["0.00"] * n,
        "cogs_amount": ["12.00"] * n,
    }
    table = pa.table(cols)
    for name, array in override.items():
        table = table.set_column(table.schema.get_field_index(name), name, array)
    return table


# --- Part 1: every cause gets a message --------------------------------------------------


def test_integers_with_a_plus_sign_are_read_as_numbers(tmp_path, data_dir, known):
    path = invoices_csv(tmp_path / "plus.csv", "INV-1,+1,2024-01-05,ACME,P1,+2,10,0,12")
    result = import_ledger("invoices", [path], data_dir, known=known)
    assert result.rows_added == 1


def test_a_cell_over_the_csv_field_limit_is_refused_with_the_limit(tmp_path, data_dir, known):
    # The csv module's limit is 131,072 characters; this quoted cell is 200,004 and the
    # line also has a 10th value, so the malformed-line scan must read it too.
    huge = "ACME" + "x" * 200_000
    path = invoices_csv(
        tmp_path / "huge.csv", f'INV-1,1,2024-01-05,"{huge}",P1,2,10,0,12', GOOD + ",extra"
    )
    f = failure(data_dir, known, path)
    assert where(f) == [(2, "account_id"), (3, None)]
    assert f.issues[0].reason == "is 200,004 characters long; the limit is 64"
    assert len(f.issues[0].value) < 120  # quoted, not copied whole
    assert f.issues[1].reason == "has 10 values but the header has 9"


def test_a_header_over_the_field_limit_is_refused(tmp_path, data_dir, known):
    path = write(tmp_path / "h.csv", INVOICE_HEADER + "," + "y" * 200_000 + "\n" + GOOD + ",1\n")
    f = failure(data_dir, known, path)
    assert where(f) == [(1, None)]
    assert "column name longer than 200 characters" in f.issues[0].reason


def test_a_file_without_any_line_break_is_not_a_csv(tmp_path, data_dir, known):
    path = tmp_path / "one-line.csv"
    path.write_text("a," * 600_000)
    f = failure(data_dir, known, path)
    assert "no line break in its first 1,048,576 bytes" in f.issues[0].reason


def test_cr_only_line_endings_read_like_any_other(tmp_path, data_dir, known):
    path = tmp_path / "mac.csv"
    second = GOOD.replace("INV-1", "INV-2")
    path.write_bytes(f"{INVOICE_HEADER}\r{GOOD}\r{second}\r".encode())
    assert import_ledger("invoices", [path], data_dir, known=known).rows_added == 2


def test_cr_only_file_with_a_bad_cell_names_its_line(tmp_path, data_dir, known):
    path = tmp_path / "mac.csv"
    bad = GOOD.replace("INV-1", "INV-2").replace(",2,", ",x,")
    path.write_bytes(f"{INVOICE_HEADER}\r{GOOD}\r{bad}\r".encode())
    f = failure(data_dir, known, path)
    assert where(f) == [(3, "quantity")]


def test_parquet_with_a_column_written_twice(tmp_path, data_dir, known):
    table = invoice_table()
    table = table.append_column("account_id", pa.array(["BETA"] * 3))
    path = tmp_path / "dup.parquet"
    pq.write_table(table, path)
    f = failure(data_dir, known, path)
    assert where(f) == [(None, "account_id")]
    assert f.issues[0].reason == "appears twice in the header"


@pytest.mark.parametrize(
    "array",
    [
        pa.array([[1], [2], [3]]),
        pa.array([{"a": 1}, {"a": 2}, {"a": 3}]),
        pa.array([[("a", 1)]] * 3, pa.map_(pa.string(), pa.int64())),
    ],
    ids=["list", "struct", "map"],
)
def test_parquet_nested_columns_are_named(tmp_path, data_dir, known, array):
    path = tmp_path / "nested.parquet"
    pq.write_table(invoice_table(quantity=array), path)
    f = failure(data_dir, known, path)
    assert where(f) == [(None, "quantity")]
    assert f.issues[0].reason.startswith("is a nested column")


def test_parquet_binary_that_is_not_utf8_names_its_row(tmp_path, data_dir, known):
    path = tmp_path / "bin.parquet"
    ids = pa.array([b"ACME", b"ACME", b"\xff\xfeAC"], pa.binary())
    pq.write_table(invoice_table(account_id=ids), path)
    f = failure(data_dir, known, path)
    assert where(f) == [(3, "account_id")]
    assert "not UTF-8" in f.issues[0].reason


def test_parquet_binary_that_is_utf8_is_read(tmp_path, data_dir, known):
    path = tmp_path / "bin.parquet"
    pq.write_table(invoice_table(account_id=pa.array([b"ACME"] * 3, pa.binary())), path)
    assert import_ledger("invoices", [path], data_dir, known=known).rows_added == 3


def _corrupt_row_group(src: Path, dst: Path, group: int) -> None:
    data = bytearray(src.read_bytes())
    start = pq.read_metadata(src).row_group(group).column(0).data_page_offset
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    dst.write_bytes(bytes(data))


def test_parquet_with_a_corrupt_later_row_group(tmp_path, data_dir, known):
    good = tmp_path / "good.parquet"
    pq.write_table(invoice_table(1000), good, row_group_size=200, compression="snappy")
    bad = tmp_path / "bad.parquet"
    _corrupt_row_group(good, bad, 3)
    f = failure(data_dir, known, bad)
    assert where(f) == [(None, None)]
    # Row groups of 200 rows: the 4th holds rows 601-800.
    assert f.issues[0].reason.startswith("is damaged in row group 4 of 5 (rows 601–800)")


def test_parquet_with_a_damaged_footer(tmp_path, data_dir, known):
    good = tmp_path / "good.parquet"
    pq.write_table(invoice_table(), good)
    data = bytearray(good.read_bytes())
    data[-12:-8] = b"\xff\xff\xff\x7f"
    bad = tmp_path / "footer.parquet"
    bad.write_bytes(bytes(data))
    f = failure(data_dir, known, bad)
    assert f.issues[0].reason.startswith("cannot be read as parquet")


def _xlsx(path: Path, rows: list[list]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "invoices"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _rezip(src: Path, dst: Path, change) -> Path:
    """Copy a zip, passing each member's (name, bytes) through ``change`` (None drops it)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name in z.namelist():
            data = change(name, z.read(name))
            if data is not None:
                out.writestr(name, data)
    return dst


ROW = ["INV-1", 1, "2024-01-05", "ACME", "P1", 2, 10, 0, 12]


def test_excel_without_a_workbook_part(tmp_path, data_dir, known):
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])
    bad = _rezip(ok, tmp_path / "bad.xlsx", lambda n, d: None if n == "xl/workbook.xml" else d)
    f = failure(data_dir, known, bad)
    assert f.issues[0].reason.startswith("has no workbook part")


def test_excel_with_a_broken_sheet(tmp_path, data_dir, known):
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])
    bad = _rezip(
        ok,
        tmp_path / "bad.xlsx",
        lambda n, d: d[: len(d) // 2] if n.startswith("xl/worksheets/") else d,
    )
    f = failure(data_dir, known, bad)
    assert f.issues[0].reason.startswith(
        "cannot be read as xlsx: the file is not a workbook of this type, or it is damaged"
    )


def test_not_a_zip_at_all(tmp_path, data_dir, known):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    f = failure(data_dir, known, bad)
    assert "damaged" in f.issues[0].reason


def test_year_0000_and_9999_are_refused_with_the_range(tmp_path, data_dir, known):
    path = invoices_csv(
        tmp_path / "y.csv",
        GOOD.replace("2024-01-05", "0000-01-05"),
        GOOD.replace("INV-1", "INV-2").replace("2024-01-05", "9999-12-31"),
        GOOD.replace("INV-1", "INV-3").replace("2024-01-05", "1899-12-31"),
        GOOD.replace("INV-1", "INV-4").replace("2024-01-05", "2100-12-31"),  # the last day
    )
    f = failure(data_dir, known, path)
    assert where(f) == [(2, "invoice_date"), (3, "invoice_date"), (4, "invoice_date")]
    assert {i.reason for i in f.issues} == {
        "is outside the accepted range 1900-01-01 to 2100-12-31"
    }


def test_a_period_that_ends_before_it_starts(tmp_path, data_dir, known):
    path = write(
        tmp_path / "pools.csv",
        "pool,period_start,period_end,cost,capacity,driver_unit\n"
        "delivery,2024-01-01,2024-12-31,100,10,delivery\n"
        "orders,2024-02-01,2024-01-31,100,10,order\n",
    )
    f = failure(data_dir, known, path, kind="cost-pools")
    assert where(f) == [(3, "period_end")]
    assert f.issues[0].reason == "is before period_start 2024-02-01"


def test_periods_are_found_by_name_in_any_kind():
    from openkam.engine.schema import Column, Kind
    from openkam.store.convert import periods

    d = pa.date32()
    kind = Kind(
        "x",
        (
            Column("start_date", d),
            Column("end_date", d),
            Column("valid_from", d),
            Column("valid_to", d),
            Column("period_start", d),
            Column("period_end", d),
        ),
        key=("start_date",),
        home="database",
    )
    assert sorted(periods(kind)) == [
        ("period_start", "period_end"),
        ("start_date", "end_date"),
        ("valid_from", "valid_to"),
    ]


def test_a_full_disk_says_so_and_leaves_nothing_behind(tmp_path, data_dir, known):
    path = invoices_csv(tmp_path / "i.csv", GOOD)
    import_ledger("invoices", [invoices_csv(tmp_path / "first.csv", GOOD)], data_dir, known=known)
    before = snapshot(data_dir)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The staged part file is written by the ledger writer: make it hit a full disk.
    with (
        mock.patch("openkam.store.staging.PartWriter.write", full),
        pytest.raises(ImportFailed) as info,
    ):
        import_ledger("invoices", [path], data_dir, known=known)
    (issue,) = info.value.issues
    assert "filled up during the import" in issue.reason and "Nothing was imported" in issue.reason
    assert snapshot(data_dir) == before
    staging = data_dir / "ledger" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


# --- Part 2: no silently wrong values -------------------------------------------------------


def test_a_file_cut_off_mid_line_is_warned(tmp_path, data_dir, known):
    path = tmp_path / "cut.csv"
    # The last line lost its final digits: "12.00" became "1" and no line break follows.
    path.write_text(f"{INVOICE_HEADER}\n{GOOD}\nINV-2,1,2024-01-05,ACME,P1,2,10.00,0.00,1")
    result = import_ledger("invoices", [path], data_dir, known=known)
    (warning,) = result.issues
    assert "does not end with a line break" in warning.reason


def test_a_complete_file_has_no_such_warning(tmp_path, data_dir, known):
    path = invoices_csv(tmp_path / "ok.csv", GOOD)
    assert import_ledger("invoices", [path], data_dir, known=known).issues == []


def test_excel_formula_without_a_saved_result_is_an_error(tmp_path, data_dir, known):
    # openpyxl writes formulas without their results, as a program (not Excel) would.
    path = _xlsx(
        tmp_path / "f.xlsx",
        [COLUMNS, ROW, ["INV-2", 1, "2024-01-05", "ACME", "P1", "=1+1", 10, 0, 12]],
    )
    f = failure(data_dir, known, path)
    assert (3, "quantity") in where(f)
    assert any("formula without a saved result" in i.reason for i in f.issues)


def test_excel_formula_with_a_saved_result_is_read(tmp_path, data_dir, known):
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])

    def with_formula(name, data):
        # B2 (line_no = 1) becomes a formula with its result 1 saved, as Excel writes it.
        if name.startswith("xl/worksheets/"):
            return data.replace(
                b'<c r="B2" t="n"><v>1</v></c>', b'<c r="B2"><f>0+1</f><v>1</v></c>'
            )
        return data

    path = _rezip(ok, tmp_path / "saved.xlsx", with_formula)
    assert b"<f>0+1</f>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert import_ledger("invoices", [path], data_dir, known=known).rows_added == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Acme\x00Foods", "contains a NUL character, which text may not hold"),
        (
            '"Acme\nFoods"',
            "contains a line break, which this column does not allow (only notes may)",
        ),
        ("A" * 201, "is 201 characters long; the limit is 200"),
    ],
    ids=["nul", "line-break", "too-long"],
)
def test_text_rules_are_enforced_with_the_limit(tmp_path, value, reason):
    path = write(tmp_path / "a.csv", f"account_id,name,industry,region\nA1,{value},food,EMEA\n")
    result = validate_import("accounts", [path])
    assert [(i.row, i.column, i.reason) for i in result.issues] == [(2, "name", reason)]


def test_notes_may_hold_line_breaks(tmp_path):
    path = write(
        tmp_path / "r.csv",
        'contact_id,person_id,strength,notes\nC1,U1,3,"met twice\nat the fair"\n',
    )
    result = validate_import("relationships", [path])
    assert result.ok and result.table["notes"].to_pylist() == ["met twice\nat the fair"]


def test_cells_over_the_reader_limit_are_refused_in_every_column(tmp_path, data_dir, known):
    long = "1" * (MAX_CELL_CHARS + 1)
    path = invoices_csv(tmp_path / "n.csv", GOOD.replace(",2,", f",{long},"))
    f = failure(data_dir, known, path)
    assert where(f) == [(2, "quantity")]


# --- Part 3: bounded memory ------------------------------------------------------------------


def _sheet_xml_change(old: bytes, new: bytes):
    def change(name, data):
        if name.startswith("xl/worksheets/"):
            assert old in data
            return data.replace(old, new)
        return data

    return change


def test_a_small_workbook_with_a_far_away_cell_is_refused_before_reading(tmp_path, data_dir, known):
    # Two cells A1 and XFD1048576 make the sheet's grid 17 billion cells: the reader would
    # ask for ~550 GB and abort the process. The file is 5 KB.
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])
    far = _rezip(
        ok,
        tmp_path / "far.xlsx",
        _sheet_xml_change(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )
    assert far.stat().st_size < 10_000
    f = failure(data_dir, known, far)
    assert f.issues[0].reason.startswith(
        "has cells up to row 1,048,576 and column 16,384, a range of 17,179,869,184 cells"
    )


def test_a_workbook_declaring_a_huge_dimension_is_refused(tmp_path, data_dir, known):
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])
    declared = _rezip(
        ok,
        tmp_path / "dim.xlsx",
        _sheet_xml_change(b'<dimension ref="A1:I2"', b'<dimension ref="A1:XFD1048576"'),
    )
    f = failure(data_dir, known, declared)
    assert f.issues[0].reason.startswith("declares a used range of A1:XFD1048576")


def test_a_zip_bomb_sheet_is_refused_from_its_sizes(tmp_path, data_dir, known):
    ok = _xlsx(tmp_path / "ok.xlsx", [COLUMNS, ROW])
    bomb = _rezip(
        ok,
        tmp_path / "bomb.xlsx",
        _sheet_xml_change(b"<sheetData>", b"<sheetData>" + b" " * (64 << 20)),
    )
    assert bomb.stat().st_size < 200_000
    f = failure(data_dir, known, bomb)
    assert "refused as a zip bomb" in f.issues[0].reason


def test_the_cell_bound_is_what_the_guard_checks(monkeypatch):
    monkeypatch.setattr(sheet_guard, "MAX_SHEET_CELLS", 100)
    sheet_guard.check_extent(10, 10)
    with pytest.raises(sheet_guard.SheetRefused):
        sheet_guard.check_extent(10, 11)


@pytest.mark.parametrize("name", ["invoices.ods", "invoices.xls"])
def test_binary_and_opendocument_sheets_are_probed_in_a_child_process(
    samples, data_dir, known, monkeypatch, name
):
    # .xls/.xlsb/.ods are not scanned: a child process opens the sheet and reports its size.
    real = sheet_guard.probe_sheet(samples / name, 0)
    assert real[0] >= 2  # the sample's header and records, seen by the child
    monkeypatch.setattr(
        "openkam.store.readers.probe_sheet", lambda path, index, timeout=120.0: (1_048_576, 16_384)
    )
    f = failure(data_dir, known, samples / name)
    assert "has cells up to row 1,048,576" in f.issues[0].reason


def test_a_child_that_runs_out_of_memory_is_a_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(
        sheet_guard,
        "_PROBE",
        "import sys; sys.stderr.write('memory allocation failed'); sys.exit(134)",
    )
    with pytest.raises(sheet_guard.SheetRefused, match="needs more than 3 GB of memory"):
        sheet_guard.probe_sheet(tmp_path / "x.xls", 0)


def test_a_correction_with_different_line_numbers_is_warned_as_a_double_count(
    tmp_path, data_dir, known
):
    first = invoices_csv(
        tmp_path / "first.csv",
        "INV-1,1,2024-01-05,ACME,P1,2,10.00,0.00,12.00",
        "INV-1,2,2024-01-05,ACME,P2,1,10.00,0.00,6.00",
        "INV-2,1,2024-01-05,ACME,P1,1,10.00,0.00,6.00",
    )
    import_ledger("invoices", [first], data_dir, known=known)
    # The "correction" numbers INV-1's lines 10 and 20: they are added, not replaced.
    correction = invoices_csv(
        tmp_path / "correction.csv",
        "INV-1,10,2024-01-05,ACME,P1,3,10.00,0.00,18.00",
        "INV-1,20,2024-01-05,ACME,P2,1,10.00,0.00,6.00",
        "INV-3,1,2024-01-05,ACME,P1,1,10.00,0.00,6.00",  # a new invoice: no warning
    )
    result = import_ledger("invoices", [correction], data_dir, known=known, replace=True)
    assert result.rows_added == 3
    (warning,) = result.issues
    assert (warning.row, warning.column) == (2, "line_no")
    assert warning.reason.startswith(
        "adds line(s) 10, 20 to invoice_id INV-1, which the ledger already has with line(s) 1, 2"
    )
    assert warning.reason.endswith("or the invoice is counted twice")
