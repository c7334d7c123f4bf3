"""Operations: service levels (OTIF, fill rate, lead time, backorders) from the order and
delivery ledger, and the allocation of scarce supply to open order lines by policy.

No Django here: the web app's ``operations`` app turns commitments into
:class:`Protection` records and calls these functions; so do the CLI and a notebook.
"""

from openkam.engine.operations.allocation import (
    LINE_KEYS,
    POLICIES,
    Allocation,
    Protection,
    allocate,
    share,
    what_if,
)
from openkam.engine.operations.fulfilment import Fulfilment, refresh_fulfilment
from openkam.engine.operations.inputs import (
    ledger_open_lines,
    line_values,
    open_lines,
    supply_table,
    unit_contribution,
)
from openkam.engine.operations.service import (
    ROW_KEYS,
    SUMS,
    fulfilment_sums,
    ledger_service_sums,
    ledger_today,
    line_status,
    measures,
    service_levels,
    service_sums,
)

__all__ = [
    "LINE_KEYS",
    "POLICIES",
    "ROW_KEYS",
    "SUMS",
    "Allocation",
    "Fulfilment",
    "Protection",
    "allocate",
    "fulfilment_sums",
    "ledger_open_lines",
    "ledger_service_sums",
    "ledger_today",
    "line_status",
    "line_values",
    "measures",
    "open_lines",
    "refresh_fulfilment",
    "service_levels",
    "service_sums",
    "share",
    "supply_table",
    "unit_contribution",
    "what_if",
]
