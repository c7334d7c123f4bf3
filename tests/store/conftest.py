"""Fixtures of the store tests: sample files, known ids, a data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import SAMPLES


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def known() -> dict:
    """The ids the sample reference files define (what the database would know)."""
    return {"accounts": {"ACME", "ACME-FR", "BETA"}, "products": {"P1", "P2", "P3"}}


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "openkam-data"
