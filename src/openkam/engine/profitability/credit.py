"""Credit cost of payment terms: the cost of capital tied up in receivables.

For an invoice line of (invoiced) amount A outstanding for n days, with annual cost of
capital k::

    credit cost = A × k × n / 365

(the carrying cost of trade credit, e.g. Kaplan & Narayanan 2001, "Measuring and managing
customer profitability", J. Cost Management; Christopher, *Logistics and Supply Chain
Management*, on receivables as a cost-to-serve). n is ``paid_date − invoice_date`` for a paid
line and ``as_of − invoice_date`` for an unpaid line that carries a due date (an open
receivable); a line with neither date was not sold on credit and costs nothing. n is never
negative. The cost is summed per account and period of invoice and rounded half up to the
cent once per (account, period).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pyarrow as pa

from openkam.engine.profitability.money import divide_half_up, scaled_ints

#: Default annual cost of capital (8 %).
DEFAULT_COST_OF_CAPITAL = Decimal("0.08")
#: Scale of the engine's exact sums of amount × days (quantity × price has 7 decimals).
_SCALE = 7


def credit_cents(
    sales: pa.Table, as_of: dt.date, cost_of_capital: Decimal | str | float
) -> np.ndarray:
    """Credit cost in cents per row of the ``sales_by_account`` aggregate.

    Parameters
    ----------
    sales
        The collected result of :func:`~openkam.engine.profitability.aggregates.sales_by_account`.
    as_of
        Unpaid receivables are outstanding up to this date.
    cost_of_capital
        Annual rate, e.g. ``Decimal("0.08")``; taken exactly (a float is read by its decimal
        repr, so ``0.08`` means 8/100).
    """
    rate = Fraction(str(cost_of_capital))
    if rate < 0:
        raise ValueError("cost of capital must not be negative")
    as_of_day = as_of.toordinal()
    paid = scaled_ints(sales["credit_paid"], _SCALE)
    open_amount = scaled_ints(sales["open_amount"], _SCALE)
    open_day = scaled_ints(sales["open_amount_day"], _SCALE)
    # amount·days, exact, in 10^-7 currency units: cents = base · k / 365 · 100 / 10^7.
    base = [p + as_of_day * a - d for p, a, d in zip(paid, open_amount, open_day, strict=True)]
    numerator = np.array([b * rate.numerator * 100 for b in base], dtype=object)
    denominator = rate.denominator * 365 * 10**_SCALE
    return divide_half_up(numerator, np.full(len(base), denominator, dtype=object))
