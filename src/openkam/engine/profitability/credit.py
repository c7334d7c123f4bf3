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
from openkam.engine.profitability.periods import EPOCH_DAY

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
    as_of_day = as_of.toordinal() - EPOCH_DAY
    weighted = scaled_ints(sales["credit_weighted"], _SCALE)
    open_amount = scaled_ints(sales["open_amount"], _SCALE)
    # cents = base · k · 100 / (365 · 10^7), as one reduced fraction factor / denominator.
    ratio = rate * 100 / (365 * 10**_SCALE)
    factor, denominator = ratio.numerator, ratio.denominator
    # base = Σ amount · days outstanding, exact, in 10^-7 currency units.
    if _int64_safe(weighted, open_amount, as_of_day, factor, denominator):
        numerator = (weighted + as_of_day * open_amount) * factor
        return divide_half_up(numerator, np.full(len(weighted), denominator, dtype=np.int64))
    numerator = np.array(
        [
            (int(w) + as_of_day * int(a)) * factor
            for w, a in zip(weighted, open_amount, strict=True)
        ],
        dtype=object,
    )
    return divide_half_up(numerator, np.full(len(weighted), denominator, dtype=object))


def _int64_safe(weighted, open_amount, as_of_day, factor, denominator) -> bool:
    if weighted.dtype == object or open_amount.dtype == object:
        return False
    if not len(weighted):
        return True
    biggest = [max(abs(int(a.max())), abs(int(a.min()))) for a in (weighted, open_amount)]
    bound = (biggest[0] + abs(as_of_day) * biggest[1]) * factor
    # divide_half_up needs 2n + d below 2**63.
    return bound < 2**61 and denominator < 2**61
