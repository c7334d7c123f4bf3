"""Template filters of the selection pages."""

from __future__ import annotations

from django import template

from openkam.engine.selection import money as money_text

register = template.Library()


@register.filter
def money(value, currency="EUR") -> str:
    """``2949749.9|money:"EUR"`` → ``2,949,750 EUR`` (empty for no value)."""
    if value is None or value == "":
        return ""
    return money_text(float(value), currency or "EUR")


@register.filter
def person(value, names) -> str:
    """A person id as their name (from a ``{id: name}`` dict), or "—"."""
    if not value:
        return "—"
    return names.get(value, value) if isinstance(names, dict) else value


@register.filter
def decision_label(value) -> str:
    return {"key": "key account", "not_key": "not key"}.get(value, value or "—")
