"""Helpers of the store tests: writing small files, snapshotting the ledger."""

from __future__ import annotations

import hashlib
from pathlib import Path

SAMPLES = Path(__file__).parents[1] / "data" / "import"

INVOICE_HEADER = (
    "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
    "unit_list_price,discount_amount,cogs_amount"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def invoices_csv(path: Path, *lines: str) -> Path:
    return write(path, "\n".join([INVOICE_HEADER, *lines]) + "\n")


def snapshot(data_dir: Path) -> dict[str, str]:
    """Every ledger file (lock and staging excluded) with the SHA-256 of its bytes."""
    root = data_dir / "ledger"
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }
