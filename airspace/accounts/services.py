"""People and their roles: adding a user in a role, with the record that role needs (an
operator's organization, a sensor); the API tokens they get, hold and revoke.

API tokens are what machines and scripts send as `Authorization: Token <key>`: issued for a
username and password, stored hashed (django-rest-knox keeps only a digest), expiring after a
lifetime that depends on the role, revocable by the one who holds them."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from airspace import roles

# Roles held by machines that run unattended for weeks (radars, RF detectors, C2 systems): a token
# that ran out every shift would take a sensor off the air or close a C2 stream until someone came.
MACHINE_ROLES = (roles.SENSOR, roles.AIR_DEFENSE)


def add_user_with_role(*, username, role, password, organization=None, email=""):
    """Create a user in a role, or put an existing one in that role instead of the one they had
    (one person both applying and deciding would defeat the review). An operator joins the operator
    organization named `organization` (founded if new; the username when none is given), a dealer
    the dealer business of that name. A new
    password also revokes the user's API tokens: a reset after a leak must lock the old holder out.
    Returns (user, created)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from airspace.registry.models import Operator, OperatorMembership
    from airspace.surveillance.models import Sensor
    from airspace.trade.models import Dealer, DealerMembership

    if role not in roles.ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    if organization and role not in (roles.OPERATOR, roles.DEALER):
        raise ValueError("An organization is only for the operator and dealer roles.")
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.save()
        revoke_api_tokens(user=user)
        group_names = [roles.ROLE_GROUPS[role]]
        if role == roles.SENIOR_OFFICER:
            group_names.append(roles.ROLE_GROUPS[roles.COMMAND_STAFF])
        user.groups.remove(*user.groups.filter(name__in=roles.ROLE_GROUPS.values()).exclude(name__in=group_names))
        for group_name in group_names:
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
        if role == roles.OPERATOR:
            operator, _ = Operator.objects.get_or_create(name=organization or username)
            OperatorMembership.objects.update_or_create(user=user, defaults={"operator": operator})
        else:
            OperatorMembership.objects.filter(user=user).delete()
        if role == roles.DEALER:
            dealer, _ = Dealer.objects.get_or_create(name=organization or username)
            DealerMembership.objects.update_or_create(user=user, defaults={"dealer": dealer})
        else:
            DealerMembership.objects.filter(user=user).delete()
        if role == roles.SENSOR:
            Sensor.objects.get_or_create(user=user, defaults={"name": username})
    return user, created


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
