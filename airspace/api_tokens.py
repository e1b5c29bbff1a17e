"""API tokens, what machines and scripts send as `Authorization: Token <key>`: issued for a
username and password, stored hashed (django-rest-knox keeps only a digest), expiring after a
lifetime that depends on the role, revocable by the one who holds them."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from . import roles

# Roles held by machines that run unattended for weeks (radars, RF detectors, C2 systems): a token
# that ran out every shift would take a sensor off the air or close a C2 stream until someone came.
MACHINE_ROLES = (roles.SENSOR, roles.AIR_DEFENSE)


class IssuedToken(NamedTuple):
    key: str  # shown once: only its digest is stored
    expires: datetime


def token_lifetime(user) -> timedelta:
    if roles.has_role(user, *MACHINE_ROLES):
        return timedelta(days=settings.MACHINE_API_TOKEN_TTL_DAYS)
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def get_api_token(*, user) -> IssuedToken:
    """A new token for a user who proved their password. Their other tokens stay valid (each machine
    or script its own), up to settings.API_TOKENS_PER_USER: past that the oldest are revoked, since
    every request checks all of a user's tokens."""
    with transaction.atomic():
        token, key = AuthToken.objects.create(user=user, expiry=token_lifetime(user))
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        keep = AuthToken.objects.filter(user=user).order_by("-created", "-pk")[: settings.API_TOKENS_PER_USER]
        AuthToken.objects.filter(user=user).exclude(pk__in=list(keep.values_list("pk", flat=True))).delete()
    return IssuedToken(key=key, expires=token.expiry)


def revoke_api_token(*, token) -> int:
    """Revoke the token a request came with (`request.auth`). Returns how many were revoked."""
    deleted, _ = AuthToken.objects.filter(pk=token.pk).delete()
    return deleted


def revoke_api_tokens(*, user) -> int:
    """Revoke every token of a user: a leaked script, a stolen sensor, a new password."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
