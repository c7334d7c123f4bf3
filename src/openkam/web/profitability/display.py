"""How the pages show the engine's figures and names.

The identifiers and the numbers of the API and the CSV downloads stay as the engine gives
them (they are contracts); these helpers are for what a person reads.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from openkam.engine.profitability import CREDIT_POOL

#: Pools whose name says less than it should.
POOL_NAMES = {CREDIT_POOL: "Credit cost of payment terms"}

#: Words written in capitals when they appear in a pool's name.
ACRONYMS = frozenset({"kam", "edi", "vmi", "sla", "crm", "erp", "qa", "b2b", "b2c"})


def pool_label(pool) -> str:
    """A cost pool's name for a person: ``"kam_time"`` reads ``"KAM time"``,
    ``"dedicated_stock"`` ``"Dedicated stock"``, ``"credit_cost"`` ``"Credit cost of payment
    terms"``.

    Underscores become spaces, the first letter a capital and known acronyms capitals; the
    rest keeps the case it was written in (an importer's ``"DHL_express"`` stays ``"DHL
    express"``).
    """
    if pool is None:
        return ""
    pool = str(pool)
    if pool in POOL_NAMES:
        return POOL_NAMES[pool]
    words = pool.replace("_", " ").split()
    words = [w.upper() if w.lower() in ACRONYMS else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def percent_of(part, whole) -> Decimal | None:
    """100 × ``part`` ÷ ``whole``, unrounded, for a page to round once (``floatformat``).

    The engine's ratios are already rounded to 2 decimals; rounding those again to the
    1 decimal a page shows can move the digit (22.2475 % → 22.25 → 22.3 instead of 22.2).
    Money is taken as the decimal it stands for (a float of cents is read through its
    shortest repr, so 88.99 is 88.99), so the ratio of two money amounts is exact to 28
    digits. None when either is missing or ``whole`` ≤ 0: no ratio over a base ≤ 0, as in
    ``openkam.engine.profitability.money.percent``.
    """
    if part is None or whole is None:
        return None
    part, whole = decimal_of(part), decimal_of(whole)
    if whole <= 0:
        return None
    return part * 100 / whole


def rounded_percent(part, whole, places: int = 1) -> float | None:
    """:func:`percent_of` rounded once, half up (as ``floatformat`` rounds), for a chart's
    data: the chart prints it with ``toFixed(places)`` and adds no rounding of its own."""
    pct = percent_of(part, whole)
    if pct is None:
        return None
    return float(pct.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def decimal_of(value) -> Decimal:
    """A number as the decimal it stands for: a float through its shortest repr (the float
    0.1 of an API's money is 0.1, not 0.1000000000000000055…)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def quantity_text(value) -> str:
    """A driver quantity for a person: thousands separated, up to its 3 decimals, without
    trailing zeros (52.5 hours, not 52.500; 1,200 deliveries, not 1,200.000)."""
    if value is None or value == "":
        return ""
    text = f"{decimal_of(value):,.3f}"
    return text.rstrip("0").rstrip(".")
