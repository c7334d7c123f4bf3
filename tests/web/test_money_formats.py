"""Money, numbers and dates as every page and export writes them (core/formats.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template import Context, Template

from openkam.web.core.formats import iso_date, money_text, number_text


def test_money_carries_its_currency_grouped_and_rounded_once(settings):
    settings.OPENKAM_REPORTING_CURRENCY = "EUR"
    assert money_text(1234567.5) == "1,234,567.50 EUR"
    assert money_text(Decimal("-1234.005")) == "-1,234.01 EUR"  # half up, once
    assert money_text(0.125, places=2) == "0.13 EUR"  # the float's shortest repr, 0.125
    assert money_text(1234567.5, "USD", places=0) == "1,234,568 USD"
    assert money_text(None) == "" and money_text("") == ""


def test_numbers_follow_the_locale(settings):
    assert number_text(1234.45, 1) == "1,234.5"
    assert number_text(1234567) == "1,234,567"
    settings.LANGUAGE_CODE = "de"
    assert number_text(1234.5, 1) == "1.234,5"
    assert money_text(1234.5, "EUR") == "1.234,50 EUR"


def test_dates_are_iso():
    assert iso_date(dt.date(2025, 3, 1)) == "2025-03-01"
    assert iso_date(dt.datetime(2025, 3, 1, 23, 59)) == "2025-03-01"
    assert iso_date("2025-03-01T10:00:00") == "2025-03-01"
    assert iso_date(None) == ""


def test_the_template_filters(settings):
    settings.OPENKAM_REPORTING_CURRENCY = "CHF"
    out = Template(
        "{% load formats %}{{ a|money }}|{{ a|money0:'USD' }}|{{ a|number:1 }}|{{ d|isodate }}"
    ).render(Context({"a": Decimal("98765.432"), "d": dt.date(2024, 2, 29)}))
    assert out == "98,765.43 CHF|98,765 USD|98,765.4|2024-02-29"


def test_an_amount_rounded_to_zero_has_no_minus_sign(settings):
    # -0.40 in whole units rounds (half up) to 0, and -0.004 in cents to 0.00: no "-0".
    assert money_text(Decimal("-0.40"), "EUR", 0) == "0 EUR"
    assert money_text(Decimal("-0.004"), "EUR") == "0.00 EUR"
    assert number_text(Decimal("-0.2")) == "0"
    assert money_text(Decimal("-0.50"), "EUR", 0) == "-1 EUR"


def test_the_quick_path_writes_what_babel_writes(settings):
    """money_text and number_text skip Babel where Python's grouping with the locale's
    symbols writes the same text; they must agree with Babel on every value and locale
    (de_CH groups differently and keeps Babel)."""
    import random

    from babel.numbers import format_currency, format_decimal

    from openkam.web.core import formats

    rng = random.Random(18)
    values = [0, -0.004, 0.005, 2.675, 999.5, -999.5, 1e15, Decimal("1E+3"), "12.3"]
    values += [rng.uniform(-1e9, 1e9) for _ in range(300)]
    values += [Decimal(rng.randint(-(10**12), 10**12)) / 100 for _ in range(300)]
    for locale in ("en", "de", "fr", "de-ch", "sv"):
        settings.LANGUAGE_CODE = locale
        babel_locale = locale.replace("-", "_")
        for value in values:
            for places in (0, 1, 2):
                rounded = formats._rounded(formats._decimal(value), places)
                pattern = formats._pattern(places)
                assert money_text(value, "EUR", places) == format_currency(
                    rounded,
                    "EUR",
                    format=pattern + " ¤¤",
                    locale=babel_locale,
                    currency_digits=False,
                )
                assert number_text(value, places) == format_decimal(
                    rounded, format=pattern, locale=babel_locale
                )
    assert formats._PLAIN[("en", 2)] is not None and formats._PLAIN[("de_ch", 2)] is None
