"""Per-object permissions, enforced on the server for pages and API alike.

A model that users edit defines ``editable_by(user) -> bool`` on instances and an
``editable_by(user)`` queryset method; views and API views check the object, never only
hide buttons.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from openkam.web.core.roles import Role, may_write, role_of, runs_programme


def require_edit(user, obj) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may edit ``obj``."""
    if not obj.editable_by(user):
        raise PermissionDenied(f"You may not edit {obj._meta.verbose_name} {obj}.")


def may_grant_roles(user) -> bool:
    """Only administrators give or change roles (the champion cannot make themselves, or
    anyone, an admin: separation of duties)."""
    return role_of(user) == Role.ADMIN


def require_role_change(user, old_role: str | None, new_role: str | None) -> None:
    """Raise ``PermissionDenied`` when ``user`` sets a role other than the one stored
    (``old_role`` None: a new person, whose role must then be the default viewer)."""
    if new_role is None or new_role == (old_role or Role.VIEWER):
        return
    if not may_grant_roles(user):
        raise PermissionDenied("Only an administrator gives or changes roles.")


def require_parent_change(user, account, new_parent) -> None:
    """A subsidiary rolls its figures up into its parent: moving an account under another
    (or out from under one) changes that account's figures too, so the user must be allowed
    to edit the new parent and the old one as well as the account itself."""
    old_parent = account.parent if account.pk else None
    if (old_parent.pk if old_parent else None) == (new_parent.pk if new_parent else None):
        return
    for parent in (old_parent, new_parent):
        if parent is not None and not parent.editable_by(user):
            raise PermissionDenied(
                f"You may not move an account under or away from {parent.account_id}: "
                "you do not edit that account, whose rolled-up figures it changes."
            )


class RolePermission(permissions.BasePermission):
    """API: any signed-in user reads; writes need a writing role and the object's consent.

    Creating records needs a programme role unless the view sets ``allow_create_by``
    to a callable deciding it per request.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if not may_write(user):
            return False
        if getattr(view, "action", None) == "create":
            decide = getattr(view, "allow_create_by", None)
            return decide(request) if decide else runs_programme(user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "destroy":
            return runs_programme(request.user)
        return obj.editable_by(request.user)


class EditorMayDeletePermission(RolePermission):
    """As ``RolePermission``, but whoever may edit a row may also remove it, as on the pages
    of plans and relationship maps (``RolePermission`` keeps deletes for the programme
    roles)."""

    def has_object_permission(self, request, view, obj) -> bool:
        if getattr(view, "action", None) == "destroy":
            return obj.editable_by(request.user)
        return super().has_object_permission(request, view, obj)
