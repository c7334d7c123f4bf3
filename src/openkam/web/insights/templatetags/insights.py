"""``{% load insights %}``: how the pages show the engine's names and ratios.

``{{ pool|pool_label }}``: a cost pool's name for a person (``kam_time`` → "KAM time").
``{{ part|percent_of:whole|floatformat:1 }}``: a percentage rounded once, from the money
amounts (empty when ``whole`` ≤ 0).
``{{ record.quantity|quantity }}``: a driver quantity without trailing zeros (52.5).
See :mod:`openkam.web.insights.display`.
"""

from __future__ import annotations

from django import template

from openkam.web.insights.display import percent_of, pool_label, quantity_text

register = template.Library()
register.filter("pool_label", pool_label)
register.filter("percent_of", percent_of)
register.filter("quantity", quantity_text)
