"""``{% load formats %}``: money, numbers and dates written the same way on every page.

``{{ amount|money }}`` → ``1,234,567.89 EUR`` (the reporting currency);
``{{ amount|money:currency }}`` in a given ISO 4217 currency (e.g. a run's);
``{{ amount|money0 }}`` / ``{{ amount|money0:currency }}`` in whole units (cards, sentences);
``{{ value|number }}`` / ``{{ value|number:1 }}`` grouped with 0 or 1 decimals;
``{{ day|isodate }}`` → ``2025-03-31``. See :mod:`openkam.web.core.formats`.
"""

from __future__ import annotations

from django import template

from openkam.web.core.formats import iso_date, money_text, number_text

register = template.Library()


@register.filter
def money(value, currency=None) -> str:
    """Money with two decimals and its currency code."""
    return money_text(value, currency or None, 2)


@register.filter
def money0(value, currency=None) -> str:
    """Money in whole units with its currency code."""
    return money_text(value, currency or None, 0)


@register.filter
def number(value, places=0) -> str:
    """A number grouped for the locale, with ``places`` decimals."""
    return number_text(value, int(places))


@register.filter
def isodate(value) -> str:
    """A date as YYYY-MM-DD."""
    return iso_date(value)
