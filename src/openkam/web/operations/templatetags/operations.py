"""Template tags through which other pages show commitments: the home page's broken
commitments and the plan's commitments section."""

from __future__ import annotations

from django import template

from openkam.web.core.roles import person_of, runs_programme

register = template.Library()


@register.simple_tag(takes_context=True)
def home_broken_commitments(context, limit: int = 12) -> list[dict]:
    """Broken commitments of the accounts the signed-in person manages or sponsors, and
    those they own in operations; the champion and admins see all."""
    from openkam.web.operations.services import broken_commitments

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if runs_programme(user):
        return broken_commitments(everyone=True, limit=limit)
    return broken_commitments(person_of(user), limit=limit)


@register.simple_tag
def plan_commitments(account, shared: bool = False) -> list[dict]:
    """The account's commitments with their latest status (``shared``: only those marked
    for the mutual plan)."""
    from openkam.web.operations.panels import commitment_rows

    return commitment_rows(account, shared_only=bool(shared))
