"""docs/data-model.md documents exactly the schemas and rules the importer checks."""

from __future__ import annotations

from pathlib import Path

from openkam.engine.schema import KINDS
from openkam.store.schema_doc import BEGIN, END, generated

DOC = Path(__file__).parents[2] / "docs" / "data-model.md"


def test_generated_tables_are_current():
    text = DOC.read_text(encoding="utf-8")
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    # If this fails: python -m openkam.store.schema_doc docs/data-model.md
    assert current == generated()


def test_every_kind_and_column_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for kind in KINDS.values():
        assert f"### `{kind.name}`" in text
        for column in kind.columns:
            assert f"| `{column.name}` |" in text
