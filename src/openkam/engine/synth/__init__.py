"""The demo supplier generator: a synthetic but realistic B2B ledger and its reference data.

``generate(data_dir, seed=42, accounts=2000, lines=1_000_000)`` writes the Parquet ledger
(invoices, rebates, activities, cost pools) and the reference tables (accounts, products,
contacts, people, assignments) of a supplier of industrial consumables, identical for the
same seed. ``openkam demo`` builds on it.
"""

from openkam.engine.synth.demo import DEMO_FILES, DemoSummary, generate

__all__ = ["DEMO_FILES", "DemoSummary", "generate"]
