"""What the API answers to ``OPTIONS`` (its own module: DRF imports it from settings)."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class DescriptionMetadata(SimpleMetadata):
    """``OPTIONS`` answers the endpoint's name, description and formats only.

    DRF's default also describes the fields of PUT and POST by fetching the object as if for
    an update, which on some endpoints has no object (a 500) or would start one (a write on
    a read). The OpenAPI schema (``/api/schema/``) describes every field.
    """

    def determine_actions(self, request, view):
        return {}
