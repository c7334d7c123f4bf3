"""``{% load profitability %}``: how the pages show the engine's names and ratios.

``{{ pool|pool_label }}``: a cost pool's name for a person (``kam_time`` → "KAM time").
``{{ part|percent_of:whole|floatformat:1 }}``: a percentage rounded once, from the money
amounts (None when ``whole`` ≤ 0); ``{{ part|percent_text:whole }}`` the same as "22.2 %", or
nothing.
``{{ record.quantity|quantity }}``: a driver quantity without trailing zeros (52.5).
See :mod:`openkam.web.profitability.display`.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat

from openkam.web.profitability.display import percent_of, pool_label, quantity_text

register = template.Library()
register.filter("pool_label", pool_label)
register.filter("percent_of", percent_of)
register.filter("quantity", quantity_text)


@register.filter
def percent_text(part, whole) -> str:
    """``percent_of`` as a page writes it: one decimal and " %", or "" without a ratio."""
    pct = percent_of(part, whole)
    return "" if pct is None else f"{floatformat(pct, 1)} %"
