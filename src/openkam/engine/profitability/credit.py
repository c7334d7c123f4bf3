"""Credit cost of payment terms: the cost of capital tied up in receivables.

For an invoice line of (invoiced) amount A outstanding for n days, with annual cost of
capital k::

    credit cost = A × k × n / 365

(the carrying cost of trade credit, e.g. Kaplan & Narayanan 2001, "Measuring and managing
customer profitability", J. Cost Management; Christopher, *Logistics and Supply Chain
Management*, on receivables as a cost-to-serve). n is ``paid_date − invoice_date`` for a paid
line and ``as_of − invoice_date`` for an unpaid line that carries a due date (an open
receivable); a line with neither date was not sold on credit and costs nothing. n is never
negative. The cost is summed per account and year of invoice and rounded half up to the
cent once per (account, year); its quarters and months are split from the year by largest
remainder (see :func:`openkam.engine.profitability.grouping.nested_split`), so they add up
to it and each is within a cent of its exact amount.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pyarrow as pa

from openkam.engine.profitability.money import divide_half_up, scaled_ints

#: Default annual cost of capital (8 %).
DEFAULT_COST_OF_CAPITAL = Decimal("0.08")
#: Scale of the engine's exact sums of amount × days (quantity × price has 7 decimals).
CREDIT_SCALE = _SCALE = 7


def credit_ratio(cost_of_capital: Decimal | str | float, scale: int = _SCALE) -> tuple[int, int]:
    """(factor, denominator): the credit cost in cents of Σ amount × days (as integers of
    10^-scale) is Σ × factor / denominator, exactly."""
    rate = Fraction(str(cost_of_capital))
    if rate < 0:
        raise ValueError("cost of capital must not be negative")
    ratio = rate * 100 / (365 * 10**scale)
    return ratio.numerator, ratio.denominator


def credit_cents(sales: pa.Table, cost_of_capital: Decimal | str | float) -> np.ndarray:
    """Credit cost in cents per row of the ``sales_by_account`` aggregate.

    Parameters
    ----------
    sales
        The collected result of :func:`~openkam.engine.profitability.aggregates.sales_by_account`
        (its ``amount_days`` = Σ amount × days outstanding).
    cost_of_capital
        Annual rate, e.g. ``Decimal("0.08")``; taken exactly (a float is read by its decimal
        repr, so ``0.08`` means 8/100).
    """
    # Σ amount · days, exact, in 10^-7 currency units.
    base = scaled_ints(sales["amount_days"], _SCALE)
    # cents = base · k · 100 / (365 · 10^7), as one reduced fraction factor / denominator.
    factor, denominator = credit_ratio(cost_of_capital)
    fits = base.dtype != object and denominator < 2**61
    if fits and len(base):
        fits = max(abs(int(base.max())), abs(int(base.min()))) * factor < 2**61
    if fits:
        return divide_half_up(base * factor, np.full(len(base), denominator, dtype=np.int64))
    numerator = np.array([int(b) * factor for b in base], dtype=object)
    return divide_half_up(numerator, np.full(len(base), denominator, dtype=object))
