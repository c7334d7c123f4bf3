"""The analytics engine: account profitability, lifetime value, scoring and selection.

Written on narwhals lazy frames so the same query runs on DuckDB and on Spark; it never
imports Django.
"""

from openkam.engine.backends import ENGINES, scan_parquet, spark_session
from openkam.engine.schema import KINDS, LEDGER_TABLES

__all__ = ["ENGINES", "KINDS", "LEDGER_TABLES", "scan_parquet", "spark_session"]
