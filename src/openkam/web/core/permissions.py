"""Per-object permissions, enforced on the server for pages and API alike.

A model that users edit defines ``editable_by(user) -> bool`` on instances and an
``editable_by(user)`` queryset method; views and API views check the object, never only
hide buttons.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from openkam.web.core.roles import may_write, runs_programme


def require_edit(user, obj) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may edit ``obj``."""
    if not obj.editable_by(user):
        raise PermissionDenied(f"You may not edit {obj._meta.verbose_name} {obj}.")


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
