"""Bad input is reported cell by cell (file, row, column, reason) and loads nothing.

Every expected row below was read off the sample file by hand: the header is row 1, so the
n-th record is row n + 1.
"""

from __future__ import annotations

import pytest
from store_helpers import invoices_csv, snapshot, write

from openkam.store import ImportFailed, ImportIssue, import_ledger, validate_import


def _failure(kind, paths, data_dir, known, **kw) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        import_ledger(kind, paths, data_dir, known=known, **kw)
    return info.value


def _where(failure: ImportFailed) -> list[tuple]:
    return [(i.row, i.column) for i in failure.issues]


def test_every_kind_of_bad_cell_is_named_with_its_row_and_column(samples, data_dir, known):
    failure = _failure("invoices", [samples / "invoices_bad.csv"], data_dir, known)
    # invoices_bad.csv: row 2 is good, rows 3-16 each hold one fault (see the file).
    expected = [
        (3, "invoice_date", "2024-13-05", "is not a valid date"),
        (4, "invoice_date", "05/01/2024", "is not a date in the form YYYY-MM-DD"),
        (5, "quantity", "12,5", "is not a number"),
        (6, "discount_amount", "0.123", "has more than 2 decimals"),
        (7, "account_id", None, "required value is empty"),
        (8, "account_id", "NOBODY", "is not a known account"),
        (9, "product_id", "P99", "is not a known product"),
        (10, "invoice_id, line_no", "INV-9, 1", "is a duplicate key: row 2 has it too"),
        (11, "unit_list_price", "-1", "is negative"),
        (12, "discount_amount", "abc", "is not a number"),
        (13, "invoice_date", "2024-02-30", "is not a valid date"),
        (14, "line_no", "x", "is not a number"),
        (15, "quantity", "1,234.5", "is not a number"),
        (16, "unit_list_price", "1.12345", "has more than 4 decimals"),
    ]
    assert failure.total == len(expected)
    assert [(i.row, i.column, i.value) for i in failure.issues] == [e[:3] for e in expected]
    for issue, (*_, reason) in zip(failure.issues, expected, strict=True):
        assert issue.reason.startswith(reason)
        assert issue.file.endswith("invoices_bad.csv")
    assert snapshot(data_dir) == {}


def test_issue_reads_like_the_brief():
    issue = ImportIssue("invoices.csv", 14, "quantity", "is not a number", "12,5")
    assert str(issue) == 'invoices.csv, row 14, column quantity: "12,5" is not a number'


def test_missing_required_column_is_named_and_header_is_case_insensitive(samples, data_dir, known):
    # The header spells " LINE_NO" and "Invoice ID " (accepted) but has no product_id.
    failure = _failure("invoices", [samples / "invoices_missing_column.csv"], data_dir, known)
    assert failure.total == 1
    (issue,) = failure.issues
    assert (issue.row, issue.column) == (1, "product_id")
    assert issue.reason.startswith("required column is missing")


def test_at_least_twenty_problems_are_reported_not_only_the_first(tmp_path, data_dir, known):
    lines = [f"INV-{i},1,2024-01-05,ACME,P1,abc,1,0,1" for i in range(50)]
    path = invoices_csv(tmp_path / "invoices.csv", *lines)
    failure = _failure("invoices", [path], data_dir, known)
    assert failure.total == 50
    assert [i.row for i in failure.issues] == list(range(2, 52))
    summary = failure.summary(show=20)
    assert summary.startswith("50 problems found")
    assert summary.count("is not a number") == 20 and "… and 30 more" in summary


def test_problems_beyond_the_kept_ones_are_still_counted(tmp_path, data_dir, known):
    lines = [f"INV-{i},1,2024-01-05,NOBODY,P1,abc,1,0,1" for i in range(30)]
    path = invoices_csv(tmp_path / "invoices.csv", *lines)
    failure = _failure("invoices", [path], data_dir, known, max_issues=25)
    # two problems per row (unknown account and bad quantity), the earliest rows kept
    assert failure.total == 60
    assert len(failure.issues) == 25
    assert [i.row for i in failure.issues[:4]] == [2, 2, 3, 3]


def test_duplicate_key_across_two_files_of_one_import(tmp_path, data_dir, known):
    a = invoices_csv(tmp_path / "a.csv", "INV-1,1,2024-01-05,ACME,P1,1,1,0,1")
    b = invoices_csv(
        tmp_path / "b.csv",
        "INV-2,1,2024-01-05,ACME,P1,1,1,0,1",
        "INV-1,1,2024-01-06,ACME,P2,2,1,0,1",
    )
    failure = _failure("invoices", [a, b], data_dir, known)
    assert failure.total == 1
    (issue,) = failure.issues
    assert (issue.file, issue.row, issue.column) == (str(b), 3, "invoice_id, line_no")
    assert issue.reason == f"is a duplicate key: row 2 of {a} has it too"
    assert snapshot(data_dir) == {}


def test_failed_import_leaves_the_ledger_byte_identical(samples, tmp_path, data_dir, known):
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    before = snapshot(data_dir)
    good = invoices_csv(tmp_path / "good.csv", "INV-50,1,2024-05-01,ACME,P1,1,1,0,1")
    bad = invoices_csv(
        tmp_path / "bad.csv",
        "INV-51,1,2024-05-01,ACME,P1,1,1,0,1",
        "INV-51,2,2024-05-01,ACME,P1,1,1,0,oops",
    )
    _failure("invoices", [good, bad], data_dir, known)
    assert snapshot(data_dir) == before
    assert not list((data_dir / "ledger" / ".staging").iterdir())


def test_key_already_in_ledger_with_different_values_is_an_error(
    samples, tmp_path, data_dir, known
):
    import_ledger("invoices", [samples / "invoices.csv"], data_dir, known=known)
    before = snapshot(data_dir)
    # INV-1 line 2 had quantity 200 and COGS 15.50 in invoices.csv
    changed = write(
        tmp_path / "changed.csv",
        "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
        "discount_amount,cogs_amount,due_date,paid_date,business_unit\n"
        "INV-1,2,2024-01-05,ACME,P2,210,0.1250,0,16.00,2024-02-04,2024-02-01,Plant Lyon\n",
    )
    failure = _failure("invoices", [changed], data_dir, known)
    (issue,) = failure.issues
    assert (issue.row, issue.column, issue.value) == (2, "invoice_id, line_no", "INV-1, 2")
    assert "different quantity, cogs_amount" in issue.reason and "replace" in issue.reason
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("line", "column", "value", "reason"),
    [
        ("p,2024-01-01,2024-12-31,100.00,0,hour", "capacity", "0", "must be greater than zero"),
        ("p,2024-01-01,2024-12-31,-5.00,10,hour", "cost", "-5.00", "is negative"),
        ("p,2024-01-01,2023-12-31,5.00,10,hour", "period_end", "2023-12-31", "is before"),
        ("p,2024-01-01,2024-12-31,5.001,10,hour", "cost", "5.001", "has more than 2 decimals"),
        ("p,2024-01-01,2024-12-31,5,10.0001,hour", "capacity", "10.0001", "more than 3 decimals"),
        ("p,2024-01-01,2024-12-31,1 000,10,hour", "cost", "1 000", "has a thousands separator"),
        (",2024-01-01,2024-12-31,5,10,hour", "pool", None, "required value is empty"),
    ],
)
def test_cost_pool_rules(tmp_path, data_dir, line, column, value, reason):
    path = write(
        tmp_path / "pools.csv", f"pool,period_start,period_end,cost,capacity,driver_unit\n{line}\n"
    )
    failure = _failure("cost-pools", [path], data_dir, None)
    (issue,) = failure.issues
    assert (issue.row, issue.column, issue.value) == (2, column, value)
    assert reason in issue.reason


def test_activity_pool_must_be_known_from_the_ledger_or_the_caller(
    samples, tmp_path, data_dir, known
):
    activities = write(
        tmp_path / "activities.csv",
        "activity_date,account_id,pool,quantity\n"
        "2024-01-05,ACME,order handling,2\n"
        "2024-01-05,ACME,returns,1\n",
    )
    failure = _failure("activities", [activities], data_dir, known)
    # No pools in the ledger yet: both rows reference an unknown pool.
    assert [(i.row, i.column, i.value) for i in failure.issues] == [
        (2, "pool", "order handling"),
        (3, "pool", "returns"),
    ]
    assert failure.issues[0].reason == "is not a known cost pool"
    import_ledger("cost-pools", [samples / "cost_pools.csv"], data_dir)
    failure = _failure("activities", [activities], data_dir, known)
    assert _where(failure) == [(3, "pool")]
    result = import_ledger(
        "activities", [activities], data_dir, known={**known, "pools": {"returns"}}
    )
    assert result.rows_added == 2


def test_malformed_csv_lines_keep_row_numbers_right(samples, data_dir, known):
    # invoices_semicolon.csv: ';'-separated; line 2 blank, line 4 has 8 values, line 5 "1,5".
    failure = _failure("invoices", [samples / "invoices_semicolon.csv"], data_dir, known)
    assert [(i.row, i.column) for i in failure.issues] == [(4, None), (5, "quantity")]
    assert failure.issues[0].reason == "has 8 values but the header has 9"


def test_unknown_file_and_format(tmp_path, data_dir):
    failure = _failure("invoices", [tmp_path / "nope.csv", tmp_path / "x.json"], data_dir, None)
    assert [i.reason for i in failure.issues] == [
        "does not exist",
        "has an unknown format; use .csv, .xlsx (.xlsm, .xlsb, .xls, .ods) or .parquet",
    ]


def test_a_spreadsheet_that_is_not_one(tmp_path, data_dir):
    # Named .xls and .xlsx but holding text: a clear error naming the file, nothing loaded.
    for name in ("old.xls", "new.xlsx"):
        (tmp_path / name).write_bytes(b"invoice_id,line_no\nnot a workbook\n")
    failure = _failure("invoices", [tmp_path / "old.xls", tmp_path / "new.xlsx"], data_dir, None)
    assert [i.file.rsplit("/", 1)[-1] for i in failure.issues] == ["old.xls", "new.xlsx"]
    assert failure.issues[0].reason.startswith("cannot be read as xls: ")
    assert failure.issues[1].reason.startswith("cannot be read as xlsx: ")


def test_validate_import_reports_without_raising(samples, known):
    with validate_import("invoices", [samples / "invoices_bad.csv"], known) as result:
        assert not result.ok
        assert result.issue_count == 14 and result.rows_read == 15
        with pytest.raises(ImportFailed):
            result.raise_for_issues()
