"""Key account selection: criteria, scoring, the selection matrix, slow demotion and the
recommended portfolio as an optimisation.

- :func:`recommend` runs a whole review on per-account criterion values and returns the
  JSON-ready recommendation (the ``openkam select --json`` output);
- :func:`ledger_metrics` computes the data-derived criteria from the ledger;
- :func:`score_axis`, :func:`quadrant`, :func:`eligibility`, :func:`solve_portfolio` are the
  steps, usable on their own.

The model and the literature are in ``docs/selection.md``.
"""

from openkam.engine.selection.criteria import (
    RELATIONSHIP_STAGES,
    Criterion,
    Economics,
    Hysteresis,
    Programme,
    SelectionConfig,
    config_from_dict,
    config_to_dict,
    default_config,
    load_config,
)
from openkam.engine.selection.hysteresis import Eligibility, eligibility
from openkam.engine.selection.matrix import QUADRANTS, quadrant
from openkam.engine.selection.metrics import (
    estimate_criteria,
    ledger_metrics,
    metrics_from_monthly,
    payment_and_breadth,
)
from openkam.engine.selection.optimisation import (
    Candidate,
    Move,
    SelectionInfeasible,
    Solution,
    solve_portfolio,
)
from openkam.engine.selection.recommend import (
    OverrideError,
    account_value,
    expected_gain,
    money,
    recommend,
)
from openkam.engine.selection.scoring import (
    AxisArrays,
    AxisScore,
    Contribution,
    normalise,
    score_arrays,
    score_axis,
)

__all__ = [
    "QUADRANTS",
    "RELATIONSHIP_STAGES",
    "AxisArrays",
    "AxisScore",
    "Candidate",
    "Contribution",
    "Criterion",
    "Economics",
    "Eligibility",
    "Hysteresis",
    "Move",
    "OverrideError",
    "Programme",
    "SelectionConfig",
    "SelectionInfeasible",
    "Solution",
    "account_value",
    "config_from_dict",
    "config_to_dict",
    "default_config",
    "eligibility",
    "estimate_criteria",
    "expected_gain",
    "ledger_metrics",
    "load_config",
    "metrics_from_monthly",
    "money",
    "normalise",
    "payment_and_breadth",
    "quadrant",
    "recommend",
    "score_arrays",
    "score_axis",
    "solve_portfolio",
]
