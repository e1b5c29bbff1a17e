"""Failed sign-ins (the login page and the API token endpoint alike), counted in the cache: a
username that keeps failing from one address, or an address that keeps failing for any username,
is refused for a while, so that passwords cannot be guessed at the speed of the web processes.
Counting per address as well as per username keeps an attacker elsewhere from locking an officer
out."""

import logging

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver

logger = logging.getLogger(__name__)

# An address trying many usernames is refused later than one username from one address.
ADDRESS_LIMIT_FACTOR = 5


def _counters(username, request):
    """The (cache key, limit) pairs that a sign-in attempt counts against."""
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    limit = settings.SIGN_IN_MAX_FAILURES
    counters = [(f"sign-in-failures:address:{address}", limit * ADDRESS_LIMIT_FACTOR)]
    if username:
        counters.append((f"sign-in-failures:user:{username.lower()}:{address}", limit))
    return counters


def refusal(username, request):
    """Why this sign-in is refused before the password is even checked, or None. Without the
    cache (Redis down) nobody is refused: being able to sign in matters more here."""
    try:
        failures = [(cache.get(key, 0), limit) for key, limit in _counters(username, request)]
    except Exception:
        logger.exception("Could not read the failed sign-in counters")
        return None
    if any(count >= limit for count, limit in failures):
        minutes = round(settings.SIGN_IN_LOCKOUT_S / 60)
        return f"Too many failed sign-ins: try again in {minutes} minutes."
    return None


@receiver(user_login_failed)
def _count_failure(sender, credentials, request=None, **kwargs):
    try:
        for key, _ in _counters(credentials.get("username"), request):
            cache.add(key, 0, timeout=settings.SIGN_IN_LOCKOUT_S)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=settings.SIGN_IN_LOCKOUT_S)
    except Exception:
        logger.exception("Could not count a failed sign-in")


class SignInForm(auth_forms.AuthenticationForm):
    """The login page's form, refusing a username or address that failed too often."""

    def clean(self):
        if message := refusal(self.data.get("username"), self.request):
            raise ValidationError(message, code="locked_out")
        return super().clean()
