"""``{% organisation_home as org %}``: what the home page shows of the organisation."""

from __future__ import annotations

from django import template

from openkam.web.people import services

register = template.Library()


@register.simple_tag(takes_context=True)
def organisation_home(context) -> dict | None:
    """Rules broken now, overdue sponsor contacts and a sponsor's desk, for the user."""
    request = context.get("request")
    return services.home_panel(getattr(request, "user", None))
