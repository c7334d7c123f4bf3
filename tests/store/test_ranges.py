"""Closed ranges of whole-number columns: a relationship's strength is on a 1-5 scale."""

from __future__ import annotations

import pytest
from store_helpers import write

from openkam.store import validate_import
from openkam.store.issues import ImportFailed

HEADER = "contact_id,person_id,strength,last_contact\n"


@pytest.fixture
def known() -> dict:
    return {"contacts": {"C1", "C2", "C3"}, "people": {"P1", "P2"}}


def test_strength_outside_one_to_five_is_an_issue_per_cell_and_loads_nothing(tmp_path, known):
    # Rows as the user sees them: the header is row 1. Rows 2 and 5 are fine (1 and 5 are
    # the ends of the scale); 0, 6 and -1 are outside it; 4.5 is not a whole number.
    path = write(
        tmp_path / "relationships.csv",
        HEADER
        + "C1,P1,1,2025-01-10\n"
        + "C1,P2,0,\n"
        + "C2,P1,6,\n"
        + "C2,P2,5,\n"
        + "C3,P1,-1,\n"
        + "C3,P2,4.5,\n",
    )
    result = validate_import("relationships", [path], known)
    assert not result.ok and result.table is None
    assert [(i.row, i.column, i.value, i.reason) for i in result.issues] == [
        (3, "strength", "0", "must be between 1 and 5"),
        (4, "strength", "6", "must be between 1 and 5"),
        (6, "strength", "-1", "must be between 1 and 5"),
        (7, "strength", "4.5", "is not a whole number"),
    ]
    first = str(result.issues[0])
    assert first.endswith('relationships.csv, row 3, column strength: "0" must be between 1 and 5')
    with pytest.raises(ImportFailed) as failed:
        result.raise_for_issues()
    assert failed.value.total == 4


def test_the_ends_of_the_scale_are_accepted(tmp_path, known):
    path = write(tmp_path / "relationships.csv", HEADER + "C1,P1,1,\nC2,P2,5,2025-06-30\n")
    result = validate_import("relationships", [path], known)
    assert result.ok, result.issues
    assert result.table["strength"].to_pylist() == [1, 5]
