"""The web app's view of the Parquet ledger in the data directory."""

from __future__ import annotations

from pathlib import Path

import narwhals as nw
from django.conf import settings

from openkam.engine.backends import scan_parquet


def ledger_root() -> Path:
    return Path(settings.DATA_DIR) / "ledger"


def table(name: str) -> nw.LazyFrame | None:
    """A lazy DuckDB frame over one ledger table, or None when nothing was loaded yet."""
    folder = ledger_root() / name
    if not any(folder.glob("*.parquet")):
        return None
    return scan_parquet(folder)
