"""Filters of the scorecard pages: money without cents, shares with one decimal, points."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money0(value) -> str:
    """A sum of money rounded to whole units with thousands separators (— when none)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.0f}"


@register.filter
def pct1(value) -> str:
    """A percentage with one decimal (— when none)."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f} %"


@register.filter
def signed_money0(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):+,.0f}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


#: Commitment measures in a few words, for the scorecard's table of broken commitments.
MEASURE_LABELS = {
    "otif_pct": "OTIF %",
    "fill_rate_pct": "Fill rate %",
    "avg_lead_time_days": "Lead time (days)",
}


@register.filter
def measure_label(value) -> str:
    return MEASURE_LABELS.get(value, value or "")
