"""``/api/token/``: a username and password for an API token that expires."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from openkam.web.core.tokens import issue_token


def locked_out() -> Response:
    return Response(
        {"detail": "Too many failed logins: this account is locked for a while."},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


class ObtainExpiringToken(ObtainAuthToken):
    """Exchange a username and password for a token (``{"token", "expires"}``).

    Failed attempts count towards the login lockout (django-axes), as on the login page.
    """

    @extend_schema(
        responses=inline_serializer(
            "IssuedToken",
            {"token": serializers.CharField(), "expires": serializers.DateTimeField()},
        )
    )
    def post(self, request, *args, **kwargs):
        # django-axes marks the Django request; DRF's request wraps it, so the lockout is
        # checked here (before and after the attempt) and answered as on the login page.
        credentials = {"username": str(request.data.get("username", ""))}
        if AxesProxyHandler.is_locked(request._request, credentials):
            return locked_out()
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if AxesProxyHandler.is_locked(request._request, credentials):
                return locked_out()
            raise ValidationError(serializer.errors)
        token, expires = issue_token(serializer.validated_data["user"])
        return Response({"token": token.key, "expires": expires})
