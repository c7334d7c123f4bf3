"""The Parquet ledger store: importers, validation and the ledger layout on disk.

Reads CSV, spreadsheet (Excel, OpenDocument) and Parquet files of the canonical kinds in
``openkam.engine.schema``, validates every cell and every reference, and either loads a
whole import or nothing. Ledger kinds (invoices, rebates, activities, cost-pools) are
written to ``data_dir/ledger/<table>/*.parquet``; database kinds (accounts, products,
contacts, people) are validated and handed back as an Arrow table for the web layer to
upsert. It never imports Django.
"""

from openkam.store.derived_ids import derived_id
from openkam.store.importer import (
    ImportResult,
    ValidatedImport,
    import_ledger,
    kind_of,
    validate_import,
)
from openkam.store.issues import ImportFailed, ImportIssue
from openkam.store.ledger import ledger_counts, part_files, table_dir

__all__ = [
    "ImportFailed",
    "ImportIssue",
    "ImportResult",
    "ValidatedImport",
    "derived_id",
    "import_ledger",
    "kind_of",
    "ledger_counts",
    "part_files",
    "table_dir",
    "validate_import",
]
