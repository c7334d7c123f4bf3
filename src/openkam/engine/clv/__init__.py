"""Customer lifetime value: purchase, spend and retention models, and CLV on contribution.

Non-contractual (repeat buying): summarise a transaction log per customer
(:func:`rfm_summary`), fit BG/NBD or Pareto/NBD for purchase occasions and Gamma-Gamma for
their value, check the fit on a holdout period, and value each customer on contribution
after cost-to-serve (:func:`customer_lifetime_value`). Contractual: the shifted-beta-
geometric retention model with its projections and discounted expected residual lifetime.

Summaries run on narwhals (DuckDB or Spark); fitting runs on NumPy/SciPy.
"""

from openkam.engine.clv.api import fit_sbg_survivors, fit_transactions_file
from openkam.engine.clv.bgnbd import BetaGeoModel
from openkam.engine.clv.data import SummaryArrays, summary_arrays
from openkam.engine.clv.gamma_gamma import GammaGammaModel
from openkam.engine.clv.holdout import holdout_check
from openkam.engine.clv.lifetime_value import LifetimeValue, customer_lifetime_value
from openkam.engine.clv.pareto_nbd import ParetoNBDModel
from openkam.engine.clv.results import FitResult
from openkam.engine.clv.sbg import ShiftedBetaGeometricModel, histories_from_survivors
from openkam.engine.clv.simulate import simulate_bgnbd, simulate_pareto_nbd
from openkam.engine.clv.summary import TransactionSummary, rfm_summary, summarise_transactions
from openkam.engine.clv.transactions import normalise_transactions, read_transactions

__all__ = [
    "BetaGeoModel",
    "FitResult",
    "GammaGammaModel",
    "LifetimeValue",
    "ParetoNBDModel",
    "ShiftedBetaGeometricModel",
    "SummaryArrays",
    "TransactionSummary",
    "customer_lifetime_value",
    "fit_sbg_survivors",
    "fit_transactions_file",
    "histories_from_survivors",
    "holdout_check",
    "normalise_transactions",
    "read_transactions",
    "rfm_summary",
    "simulate_bgnbd",
    "simulate_pareto_nbd",
    "summarise_transactions",
    "summary_arrays",
]
