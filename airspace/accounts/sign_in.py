"""Signing in with a password, on the login page, /admin/login/ and the API token endpoint alike.

django-axes counts failed sign-ins per username (in the database, shared by every process) and
refuses a username that failed too often, whatever address it comes from. Per client address the
attempts are only slowed down (a rate, DRF's throttle in the shared cache): behind the TLS proxy
many people share one address, and blocking it would lock all of them out. The client address is
the real one behind the proxy (settings.TRUSTED_PROXIES, read with django-ipware)."""

import logging
from functools import wraps

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from ipware.ip import get_client_ip
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429


def client_address(request):
    """The address of the client, not of the proxies in front of us. Each trusted proxy appends the
    address it received the request from to X-Forwarded-For, so the client is the entry the
    outermost proxy added; anything left of it was written by the client and is not believed."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        # python-ipware counts the proxies after the client in the header: ours minus the one
        # whose own address is REMOTE_ADDR. Not strict: a client may send a header of its own.
        address, _ = get_client_ip(
            request, proxy_count=proxies - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
        )
        if address:
            return address
    # No proxy, or a request that reached us without passing through it.
    return request.META.get("REMOTE_ADDR", "")


def lockout_message(request=None):
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    return f"Too many failed sign-ins for this username: try again in {minutes} minutes."


def lockout_seconds(request=None):
    return int(get_cool_off(request).total_seconds())


def locked_out_page(request, original_response=None, credentials=None):
    """django-axes' answer when a page sign-in (the login page or /admin/login/) is refused for a
    locked-out username: the sign-in form again, saying why, with 429 and when to try again."""
    context = {"form": AuthenticationForm(request), "refusal": lockout_message(request), "next": _next(request)}
    page = render(request, "registration/login.html", context, status=TOO_MANY_REQUESTS)
    page["Retry-After"] = str(lockout_seconds(request))
    return page


class SignInAddressThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address, at most settings.SIGN_IN_ADDRESS_RATE. Used by the token
    endpoint as a DRF throttle, and by the sign-in pages through `slowed_down_per_address`."""

    scope = "sign-in"

    def get_rate(self):
        return settings.SIGN_IN_ADDRESS_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            # Without the cache (Redis down) nobody is slowed down: being able to sign in matters
            # more, and the lockout per username is kept in the database.
            logger.exception("Could not count sign-in attempts per address")
            return True


def slowed_down_per_address(view):
    """Wrap a sign-in page's view: a POST past the address's rate gets the form again with 429."""

    @wraps(view)
    def sign_in_page(request, *args, **kwargs):
        if request.method == "POST":
            throttle = SignInAddressThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, round(throttle.wait() or 1))
                refusal = f"Too many sign-in attempts from your address: try again in {wait} seconds."
                context = {"form": AuthenticationForm(request), "refusal": refusal, "next": _next(request)}
                page = render(request, "registration/login.html", context, status=TOO_MANY_REQUESTS)
                page["Retry-After"] = str(wait)
                return page
        return view(request, *args, **kwargs)

    return sign_in_page


def _next(request):
    # Kept so that signing in after the wait still leads where the person was going; LoginView
    # checks it is a page of ours before following it.
    return request.POST.get("next") or request.GET.get("next", "")
