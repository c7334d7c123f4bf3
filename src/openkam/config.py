"""Where OpenKAM keeps its data: one directory for the database and the Parquet ledger."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "openkam-data"


def data_dir() -> Path:
    """The data directory: ``OPENKAM_DATA_DIR`` or ``./openkam-data`` (created on demand)."""
    return Path(os.environ.get("OPENKAM_DATA_DIR") or DEFAULT_DATA_DIR).resolve()


def ledger_dir() -> Path:
    """Root of the Parquet ledger inside the data directory."""
    return data_dir() / "ledger"
