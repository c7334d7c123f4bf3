"""Requests refused before any view sees them."""

from __future__ import annotations

import re

from django.http import HttpResponseBadRequest, JsonResponse

#: A JSON string escape of U+0000 (not an escaped backslash followed by the text "u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _nul_in(request) -> str | None:
    """Where the request carries a NUL character, if it does."""
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").lower():
        return "the address"
    content_type = request.content_type or ""
    if content_type == "application/json" and (
        _JSON_NUL.search(request.body) or b"\x00" in request.body
    ):
        return "the JSON body"
    if content_type == "application/x-www-form-urlencoded" and (
        b"%00" in request.body.lower() or b"\x00" in request.body
    ):
        return "the form"
    if content_type == "multipart/form-data" and any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.POST.lists()
    ):
        # Only the text fields: NUL bytes in a file are data, for the importers to judge.
        return "the form"
    return None


class RefuseNulCharactersMiddleware:
    """A 400 for a NUL character in the address, a JSON body or a form. No text OpenKAM keeps
    may hold one (PostgreSQL cannot store or even compare it), so a lookup or filter with one
    would otherwise fail in the database, after validation, as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = _nul_in(request)
        if where is None:
            return self.get_response(request)
        message = f"A NUL character (U+0000) is not accepted, and {where} has one."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
