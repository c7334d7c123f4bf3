"""API tokens that expire, and are revoked when their user's password changes.

DRF's tokens live until deleted. Here a token stops working ``OPENKAM_TOKEN_DAYS`` after it
was issued (ASVS 3.5); asking ``/api/token/`` again then issues a new one. Changing a
password deletes the user's tokens (``core.signals``), as Django ends their other sessions.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_lifetime() -> dt.timedelta:
    """How long a token works after it was issued (setting ``OPENKAM_TOKEN_DAYS``)."""
    return dt.timedelta(days=float(getattr(settings, "OPENKAM_TOKEN_DAYS", 7)))


def is_expired(token: Token, now: dt.datetime | None = None) -> bool:
    return token.created <= (now or timezone.now()) - token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused once the token is older than its lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise exceptions.AuthenticationFailed("Token expired: ask /api/token/ for a new one.")
        return user, token


def issue_token(user) -> tuple[Token, dt.datetime]:
    """The user's working token (a new one when the old has expired) and its expiry."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and is_expired(token):
            token.delete()
            token = None
        if token is None:
            token = Token.objects.create(user=user)
    return token, token.created + token_lifetime()
