"""How every page and export writes money, numbers and dates: one place, one format.

- Money carries its ISO 4217 currency code after the number, grouped for the locale:
  ``1,234,567.89 EUR`` (``money_text``); whole units on cards and in sentences
  (``places=0``: ``1,234,568 EUR``).
- Numbers are grouped for the locale (``number_text``): ``1,234.5``.
- Dates are ISO 8601 (``iso_date``): ``2025-03-31``, on pages and in exports alike.

The locale is ``settings.LANGUAGE_CODE`` (Babel's CLDR data decides the separators), the
currency ``settings.OPENKAM_REPORTING_CURRENCY`` unless a figure says otherwise (a run
records the currency it was computed in). Numbers are rounded half up, once, from the
value as given (a float through its shortest repr, so 0.125 is 0.125).

The templates use them through ``{% load formats %}`` (``money``, ``number``, ``isodate``);
exports (PDF, workbook) call the functions. CSV and JSON keep plain machine numbers
("1234.56") with a ``currency`` column or field beside them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django.conf import settings

__all__ = ["currency_of", "iso_date", "money_text", "number_text"]


def currency_of(currency: str | None = None) -> str:
    """``currency``, or the reporting currency when none is given."""
    return currency or getattr(settings, "OPENKAM_REPORTING_CURRENCY", "EUR")


def _locale() -> str:
    return (getattr(settings, "LANGUAGE_CODE", "en") or "en").replace("-", "_")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _rounded(value: Decimal, places: int) -> Decimal:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    # A small loss rounded to nothing is nothing: "0 EUR", never "-0 EUR".
    return rounded.copy_abs() if rounded == 0 else rounded


def money_text(value, currency: str | None = None, places: int = 2) -> str:
    """``value`` as money: grouped for the locale, ``places`` decimals (rounded half up
    once) and the ISO 4217 code: ``money_text(-1234.5)`` → ``"-1,234.50 EUR"``. Empty for
    no value."""
    number = _decimal(value)
    if number is None:
        return ""
    rounded = _rounded(number, places)
    locale = _locale()
    fast = _plain_format(locale, places)
    if fast is not None and rounded.is_finite():
        return fast(rounded) + " " + currency_of(currency)
    return format_currency(
        rounded,
        currency_of(currency),
        format=_pattern(places) + " ¤¤",
        locale=locale,
        currency_digits=False,
    )


def number_text(value, places: int = 0) -> str:
    """``value`` grouped for the locale with ``places`` decimals (rounded half up once):
    ``number_text(1234.5, 1)`` → ``"1,234.5"``. Empty for no value."""
    number = _decimal(value)
    if number is None:
        return ""
    rounded = _rounded(number, places)
    locale = _locale()
    fast = _plain_format(locale, places)
    if fast is not None and rounded.is_finite():
        return fast(rounded)
    return format_decimal(rounded, format=_pattern(places), locale=locale)


def _pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places > 0 else "")


#: Numbers written a few hundred times per page: Babel parses the pattern and looks the
#: locale's symbols up on every call (about 40 µs each), where Python's own grouping is a
#: microsecond. ``{(locale, places): formatter or None}``.
_PLAIN: dict[tuple[str, int], object] = {}

#: Values on which the plain formatter must write exactly what Babel writes before it is
#: trusted for a locale (signs, grouping boundaries, rounding to nothing, big numbers).
_PROBES = ("-1234567.891", "0", "7", "-12.5", "999.994", "1000", "-100000", "123456789012.5")


def _plain_format(locale: str, places: int):
    """A formatter that writes a rounded Decimal as Babel would with ``_pattern(places)``
    for ``locale``, with Python's 3-digit grouping and the locale's two symbols; None
    (use Babel) for a locale where the two disagree on any probe value (other minus
    signs, grouping rules or digits)."""
    key = (locale, places)
    if key in _PLAIN:
        return _PLAIN[key]
    from babel.numbers import get_decimal_symbol, get_group_symbol

    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    spec = f",.{places}f"
    table = str.maketrans({",": group, ".": decimal})

    def plain(number: Decimal) -> str:
        return format(number, spec).translate(table)

    for probe in _PROBES:
        number = _rounded(Decimal(probe), places)
        if plain(number) != format_decimal(number, format=_pattern(places), locale=locale):
            plain = None
            break
    _PLAIN[key] = plain
    return plain


def iso_date(value) -> str:
    """A date (or datetime, or ISO text) as ``YYYY-MM-DD``; empty for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)[:10]).isoformat()
