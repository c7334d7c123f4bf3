"""CSV, Excel and Parquet give the same ledger; each format numbers rows as its user sees them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_helpers import write

from openkam.store import ImportFailed, import_ledger, part_files, table_dir, validate_import
from openkam.store.readers import excel_text, normalise_name

INVOICES = [
    # invoice_id, line_no, date, account, product, quantity, price, discount, cogs
    ("INV-1", 1, dt.date(2024, 1, 5), "ACME", "P1", 100, "1.25", "5", "80.10"),
    ("INV-1", 2, dt.date(2024, 1, 5), "ACME", "P2", 200, "0.125", "0", "15.5"),
    ("INV-2", 1, dt.date(2024, 2, 29), "BETA", "P3", -2, "149.99", "-20", "-180"),
]
HEADER = [
    "invoice_id",
    "line_no",
    "invoice_date",
    "account_id",
    "product_id",
    "quantity",
    "unit_list_price",
    "discount_amount",
    "cogs_amount",
]
REBATES = [("ACME", dt.date(2024, 3, 31), "1500", "volume")] * 2 + [
    ("BETA", dt.date(2024, 3, 31), "250.5", None)
]
REBATE_HEADER = ["account_id", "rebate_date", "amount", "kind"]


def _csv(path, header, rows):
    def text(v):
        return "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)

    lines = [",".join(header)] + [",".join(text(v) for v in r) for r in rows]
    return write(path, "\n".join(lines) + "\n")


def _xlsx(path, header, rows, sheet="Sheet1", leading_sheet=False):
    # Numbers become Excel numbers and dates Excel dates, as a user's workbook holds them.
    book = openpyxl.Workbook()
    first = book.active
    if leading_sheet:
        first.title = "Notes"
        first.append(["this sheet is not the data"])
        sheet_ = book.create_sheet(sheet)
    else:
        first.title = sheet
        sheet_ = first
    sheet_.append(header)
    for r in rows:
        sheet_.append([float(v) if isinstance(v, str) and v[:1] in "-0123456789" else v for v in r])
    book.save(path)
    return path


def _parquet(path, header, rows):
    # Typed columns, as another tool would write them: dates, decimals, floats, ints.
    columns = list(zip(*rows, strict=True))
    arrays = []
    for name, values in zip(header, columns, strict=True):
        if isinstance(values[0], dt.date):
            arrays.append(pa.array(values, pa.date32()))
        elif name in ("quantity", "line_no"):
            arrays.append(pa.array(values, pa.int64()))
        elif name in ("unit_list_price", "amount"):
            arrays.append(pa.array([Decimal(v) for v in values], pa.decimal128(12, 4)))
        elif name in ("discount_amount", "cogs_amount"):
            arrays.append(pa.array([float(v) for v in values], pa.float64()))
        else:
            arrays.append(pa.array(values, pa.string()))
    pq.write_table(pa.table(arrays, names=header), path)
    return path


WRITERS = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet}


def _ledger(data_dir, kind):
    files = part_files(table_dir(data_dir, kind))
    return pq.ParquetDataset([str(p) for p in files]).read().to_pylist()


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_every_format_gives_the_same_ledger_as_csv(tmp_path, known, fmt):
    expected = {}
    for f in ("csv", fmt):
        folder = tmp_path / f
        folder.mkdir()
        inv = WRITERS[f](folder / f"invoices.{f}", HEADER, INVOICES)
        reb = WRITERS[f](folder / f"rebates.{f}", REBATE_HEADER, REBATES)
        import_ledger("invoices", [inv], folder / "data", known=known)
        import_ledger("rebates", [reb], folder / "data", known=known)
        expected[f] = (_ledger(folder / "data", "invoices"), _ledger(folder / "data", "rebates"))
    assert expected[fmt] == expected["csv"]
    invoices, rebates = expected["csv"]
    assert invoices[0]["cogs_amount"] == Decimal("80.10")
    assert invoices[2]["invoice_date"] == dt.date(2024, 2, 29)
    # identical rebate rows get distinct ids, the same in every format
    assert len({r["rebate_id"] for r in rebates}) == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_bad_cell_row_numbers_per_format(tmp_path, known, fmt):
    rows = [*INVOICES, ("INV-3", 1, dt.date(2024, 3, 1), "NOBODY", "P1", 1, "1", "0", "1")]
    path = WRITERS[fmt](tmp_path / f"invoices.{fmt}", HEADER, rows)
    with pytest.raises(ImportFailed) as info:
        import_ledger("invoices", [path], tmp_path / "data", known=known)
    [issue] = info.value.issues
    # the 4th record: line/sheet row 5 (header = 1) in CSV and Excel, record 4 in Parquet
    assert issue.row == (4 if fmt == "parquet" else 5)
    assert (issue.column, issue.value) == ("account_id", "NOBODY")


@pytest.mark.parametrize("name", ["invoices.xls", "invoices.ods", "invoices.xlsm"])
def test_older_excel_macro_workbooks_and_opendocument_give_the_same_ledger(
    tmp_path, known, samples, name
):
    # invoices.xls (Excel 97–2003, written with xlwt) and invoices.ods (OpenDocument, written
    # by pandas with odfpy) are fixtures holding HEADER and INVOICES in a sheet "Invoices",
    # numbers as numbers and dates as dates; the .xlsm is a workbook saved under that name.
    path = samples / name
    if name.endswith(".xlsm"):
        path = _xlsx(tmp_path / name, HEADER, INVOICES, sheet="Invoices")
    import_ledger(
        "invoices", [_csv(tmp_path / "invoices.csv", HEADER, INVOICES)], tmp_path / "a", known=known
    )
    import_ledger("invoices", [path], tmp_path / "b", known=known)
    assert _ledger(tmp_path / "b", "invoices") == _ledger(tmp_path / "a", "invoices")


def test_excel_sheet_named_like_the_kind_wins_over_the_first(tmp_path, known):
    path = _xlsx(tmp_path / "book.xlsx", HEADER, INVOICES, sheet="Invoices", leading_sheet=True)
    result = validate_import("invoices", [path], known)
    assert result.ok and result.rows_read == 3


def test_excel_table_placed_away_from_a1(tmp_path, known):
    # The header in row 3 from column C: the sheet's rows and cells still line up (a bad
    # date in sheet row 5 is reported as row 5).
    book = openpyxl.Workbook()
    sheet = book.active
    for j, name in enumerate(HEADER):
        sheet.cell(row=3, column=3 + j, value=name)
    for j, value in enumerate(INVOICES[0]):
        sheet.cell(row=4, column=3 + j, value=value)
    bad = ["INV-1", 2, "2024-01-5", "ACME", "P1", 1, 1, 0, 1]
    for j, value in enumerate(bad):
        sheet.cell(row=5, column=3 + j, value=value)
    book.save(tmp_path / "inv.xlsx")
    [issue] = validate_import("invoices", [tmp_path / "inv.xlsx"], known).issues
    assert (issue.row, issue.column, issue.value) == (5, "invoice_date", "2024-01-5")


def test_excel_blank_rows_are_skipped_but_counted_in_row_numbers(tmp_path, known):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])  # row 1 blank
    sheet.append(HEADER)  # row 2
    sheet.append(list(INVOICES[0]))  # row 3
    sheet.append([])  # row 4 blank
    sheet.append(["INV-1", 2, "2024-01-5", "ACME", "P1", 1, 1, 0, 1])  # row 5
    book.save(tmp_path / "inv.xlsx")
    [issue] = validate_import("invoices", [tmp_path / "inv.xlsx"], known).issues
    assert (issue.row, issue.column, issue.value) == (5, "invoice_date", "2024-01-5")


def test_parquet_timestamps_at_midnight_are_dates(tmp_path, known):
    table = pa.table(
        {
            "pool": ["a", "b"],
            "period_start": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 12)]),
            "period_end": pa.array([dt.date(2024, 12, 31)] * 2),
            "cost": pa.array([10.5, 3.0]),
            "capacity": pa.array([100, 5]),
            "driver_unit": ["hour", "hour"],
        }
    )
    pq.write_table(table, tmp_path / "pools.parquet")
    [issue] = validate_import("cost-pools", [tmp_path / "pools.parquet"]).issues
    assert (issue.row, issue.column, issue.value) == (
        2,
        "period_start",
        "2024-01-01 12:00:00.000000",
    )


def test_csv_with_bom_blank_lines_padding_and_extra_column(tmp_path, known):
    text = (
        "\ufeff Invoice_ID ,Line No,INVOICE_DATE,account_id,product_id,quantity,"
        "unit_list_price,discount_amount,cogs_amount,comment\n"
        "\n"
        "INV-1, 1 ,2024-01-05,ACME,P1,1,1,0,1,hello\n"
        "\n"
        "INV-1,2,2024-01-05,ACME,P1,1,1,0,1.001,\n"
    )
    path = tmp_path / "inv.csv"
    path.write_text(text, encoding="utf-8")
    result = validate_import("invoices", [path], known)
    assert [(i.row, i.column) for i in result.issues] == [(5, "cogs_amount")]
    assert [(w.column, w.reason) for w in result.warnings] == [
        ("comment", "is not a known column; ignored")
    ]
    assert result.rows_read == 2


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.3"),  # a formula's float noise, cut to Excel's 15 digits
        (12.0, "12"),
        (1e-05, "0.00001"),
        (dt.datetime(2024, 1, 2), "2024-01-02"),
        (dt.datetime(2024, 1, 2, 8, 30), "2024-01-02 08:30:00"),
        (dt.date(2024, 1, 2), "2024-01-02"),
        ("  x ", "x"),
        (None, ""),
        (True, "true"),
    ],
)
def test_excel_cell_text(value, text):
    assert excel_text(value) == text


@pytest.mark.parametrize(
    ("raw", "name"),
    [(" Account ID ", "account_id"), ("UNIT-LIST-PRICE", "unit_list_price"), ("pool", "pool")],
)
def test_header_names_are_normalised(raw, name):
    assert normalise_name(raw) == name


def test_csv_that_is_not_utf8_is_reported_not_crashed(tmp_path, known):
    path = tmp_path / "latin1.csv"
    header = ",".join(HEADER) + "\n"
    path.write_bytes(header.encode() + "INV-1,1,2024-01-05,MÜLLER,P1,1,1,0,1\n".encode("latin-1"))
    result = validate_import("invoices", [path], known)
    assert result.issue_count >= 1
    assert any(i.reason.startswith("cannot be read as CSV") for i in result.issues)
