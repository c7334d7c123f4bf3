"""Roles and what each may do.

Access follows the KAM organisation: the champion and admins run the programme and edit
everything; a key account manager edits the accounts assigned to them (and their account
team edits those accounts too); an executive sponsor reads everything and signs off the plans
of the accounts they sponsor; viewers read. A person's function (operations, finance …) gives
no edit right by itself, only membership of an account team does.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    CHAMPION = "champion", "KAM champion"
    KAM = "kam", "Key account manager"
    SPONSOR = "sponsor", "Executive sponsor"
    VIEWER = "viewer", "Viewer"
    OPERATIONS = "operations", "Operations"
    SUPPLY_CHAIN = "supply_chain", "Supply chain"
    FINANCE = "finance", "Finance"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    TECHNICAL = "technical", "Technical"


#: Roles that may edit every record and manage the programme.
PROGRAMME_ROLES = frozenset({Role.ADMIN, Role.CHAMPION})


def person_of(user):
    """The ``Person`` linked to a login, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "person", None)


def role_of(user) -> str | None:
    """The role of a login: superusers are admins; logins without a person are viewers."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    person = person_of(user)
    return person.role if person is not None else Role.VIEWER


def runs_programme(user) -> bool:
    """Admins and the champion: may edit everything and change programme settings."""
    return role_of(user) in PROGRAMME_ROLES


def may_write(user) -> bool:
    """Whether the user may write anything at all (viewers may not)."""
    role = role_of(user)
    return role is not None and role != Role.VIEWER
