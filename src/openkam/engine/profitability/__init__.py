"""Account profitability: the P&L waterfall, time-driven ABC cost-to-serve, the whale curve.

One recompute reads the ledger (invoices, rebates, activities, cost pools) on DuckDB or Spark,
aggregates it per account and period in the engine, and finishes the exact cent arithmetic
on the small aggregated result:

- :func:`compute_profitability` → :class:`ProfitabilityResult` (Arrow tables: waterfall,
  cost by pool, pool usage; warnings); :func:`compute_profitability_grains` gives several
  grains (year, quarter, month) from one pass over the ledger;
- :func:`whale_curve` → Arrow table of the whale curve of a result;
- :func:`price_cost_matrix` → the customer profitability matrix (net price realised against
  cost to serve) of a set of accounts; :func:`segment_totals` → the waterfall per segment;
- :func:`profitability_report`, :func:`whale_curve_report`, :func:`price_cost_report` and
  :func:`segments_report` → the JSON-ready dicts of the CLI, web and API;
- :func:`product_mix` → the gross margin per product line, product or business unit of a
  selection of invoice lines (:func:`mix_to_dict` for JSON);
- :class:`ProfitabilityInputError` lists every :class:`InputIssue` that stops a recompute.

Formulas and references are in the modules: :mod:`.waterfall`, :mod:`.abc` (Kaplan &
Anderson 2004), :mod:`.credit`, :mod:`.hierarchy`, :mod:`.whale`, :mod:`.price_cost`.
"""

from openkam.engine.profitability.abc import CREDIT_POOL
from openkam.engine.profitability.credit import DEFAULT_COST_OF_CAPITAL
from openkam.engine.profitability.issues import REASONS, InputIssue, ProfitabilityInputError
from openkam.engine.profitability.mix import (
    MIX_DIMENSIONS,
    UNLISTED,
    ProductMix,
    mix_to_dict,
    product_mix,
)
from openkam.engine.profitability.periods import PERIODS
from openkam.engine.profitability.price_cost import (
    QUADRANT_LABELS,
    QUADRANTS,
    PriceCostMatrix,
    price_cost_matrix,
)
from openkam.engine.profitability.report import (
    matrix_to_dict,
    pools_to_dicts,
    price_cost_report,
    profitability_report,
    result_to_dict,
    segments_report,
    table_to_dicts,
    whale_curve_report,
    whale_to_dict,
)
from openkam.engine.profitability.segments import NO_SEGMENT, segment_totals
from openkam.engine.profitability.waterfall import (
    MONEY_LINES,
    ProfitabilityResult,
    compute_profitability,
    compute_profitability_grains,
)
from openkam.engine.profitability.whale import whale_curve, whale_curve_of

__all__ = [
    "CREDIT_POOL",
    "DEFAULT_COST_OF_CAPITAL",
    "MIX_DIMENSIONS",
    "MONEY_LINES",
    "NO_SEGMENT",
    "PERIODS",
    "QUADRANTS",
    "QUADRANT_LABELS",
    "REASONS",
    "UNLISTED",
    "InputIssue",
    "ProfitabilityInputError",
    "PriceCostMatrix",
    "ProductMix",
    "ProfitabilityResult",
    "compute_profitability",
    "compute_profitability_grains",
    "matrix_to_dict",
    "mix_to_dict",
    "pools_to_dicts",
    "price_cost_matrix",
    "price_cost_report",
    "product_mix",
    "profitability_report",
    "result_to_dict",
    "segment_totals",
    "segments_report",
    "table_to_dicts",
    "whale_curve",
    "whale_curve_of",
    "whale_curve_report",
    "whale_to_dict",
]
