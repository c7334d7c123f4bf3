"""Accounts, products, contacts and people: validated and returned for the database."""

from __future__ import annotations

import pyarrow as pa
import pytest
from store_helpers import write

from openkam.engine.schema import KINDS
from openkam.store import validate_import


@pytest.mark.parametrize(
    ("kind", "file", "rows"),
    [
        ("accounts", "accounts.csv", 3),
        ("products", "products.csv", 3),
        ("contacts", "contacts.csv", 3),
        ("people", "people.csv", 2),
    ],
)
def test_sample_files_validate_into_the_canonical_schema(samples, known, kind, file, rows):
    result = validate_import(kind, [samples / file], known)
    assert result.ok, result.issues
    assert result.table.schema == KINDS[kind].arrow_schema
    assert result.table.num_rows == rows == result.rows_read
    assert result.origins["row"].to_pylist() == list(range(2, rows + 2))


def test_parent_in_the_same_file_is_a_valid_reference(samples):
    # accounts.csv: ACME-FR's parent ACME is defined two lines above, not in the database.
    result = validate_import("accounts", [samples / "accounts.csv"], {"accounts": set()})
    assert result.ok
    assert result.table["parent_account_id"].to_pylist() == [None, "ACME", None]


def test_unknown_parent_is_reported(tmp_path):
    path = write(
        tmp_path / "accounts.csv",
        "account_id,name,industry,region,parent_account_id\nX,X Ltd,Retail,EMEA,GHOST\n",
    )
    result = validate_import("accounts", [path], {"accounts": {"ACME"}})
    [issue] = result.issues
    assert (issue.row, issue.column, issue.value) == (2, "parent_account_id", "GHOST")
    assert issue.reason == "is not a known account"
    assert result.table is None


def test_cycles_in_the_hierarchy_are_found(samples):
    # accounts_cycle.csv: A -> B -> A (rows 2, 3) and C -> C (row 4); D is fine.
    result = validate_import("accounts", [samples / "accounts_cycle.csv"], {"accounts": set()})
    assert [(i.row, i.value, i.reason) for i in result.issues] == [
        (2, "B", "makes a cycle: A → B → A"),
        (3, "A", "makes a cycle: A → B → A"),
        (4, "C", "makes a cycle: C → C"),
    ]


def test_cycle_through_the_existing_hierarchy(tmp_path):
    # The database has ACME-FR under ACME; the file puts ACME under ACME-FR.
    path = write(
        tmp_path / "accounts.csv",
        "account_id,name,industry,region,parent_account_id\nACME,Acme,Mfg,EMEA,ACME-FR\n",
    )
    result = validate_import("accounts", [path], {"accounts": {"ACME": None, "ACME-FR": "ACME"}})
    [issue] = result.issues
    assert issue.reason == "makes a cycle: ACME → ACME-FR → ACME"


def test_contacts_reporting_lines(tmp_path, known):
    path = write(
        tmp_path / "contacts.csv",
        "contact_id,account_id,name,title,reports_to_contact_id\n"
        "C1,ACME,Ada,CPO,C2\n"
        "C2,ACME,Ben,Buyer,C1\n"
        "C3,NOBODY,Cleo,Buyer,C9\n",
    )
    result = validate_import("contacts", [path], {**known, "contacts": set()})
    assert [(i.row, i.column, i.reason) for i in result.issues] == [
        (2, "reports_to_contact_id", "makes a cycle: C1 → C2 → C1"),
        (3, "reports_to_contact_id", "makes a cycle: C1 → C2 → C1"),
        (4, "account_id", "is not a known account"),
        (4, "reports_to_contact_id", "is not a known contact"),
    ]


def test_duplicate_ids_in_a_reference_file(tmp_path):
    path = write(
        tmp_path / "products.csv", "product_id,name,product_line\nP1,a,x\nP2,b,x\nP1,c,y\n"
    )
    [issue] = validate_import("products", [path]).issues
    assert (issue.row, issue.column, issue.value) == (4, "product_id", "P1")
    assert issue.reason == "is a duplicate key: row 2 has it too"


def test_absent_optional_columns_are_null_and_listed(tmp_path):
    path = write(tmp_path / "accounts.csv", "account_id,name,industry,region\nA,A,x,y\n")
    result = validate_import("accounts", [path])
    assert result.columns_present == ("account_id", "name", "industry", "region")
    assert result.table["country"].type == pa.string()
    assert result.table["country"].null_count == 1
