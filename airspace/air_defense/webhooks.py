"""Posting a notification to a C2 system's webhook, signed so the receiver can trust it.

The body is the notification's stream message as JSON. `X-Airspace-Signature` is
`sha256=<hex HMAC-SHA256 of the raw body, keyed with the subscription's secret>`;
`X-Airspace-Notification-Id` is the notification's stable id, for de-duplication
(delivery is at least once).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

SIGNATURE_HEADER = "X-Airspace-Signature"
NOTIFICATION_ID_HEADER = "X-Airspace-Notification-Id"
ATTEMPT_HEADER = "X-Airspace-Delivery-Attempt"
SIGNATURE_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def signature_is_valid(body: bytes, secret: str, signature: str | None) -> bool:
    """What a receiver does: recompute the signature of the raw body and compare in constant time."""
    if not signature or not signature.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign(body, secret), signature)


def webhook_body(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def _addresses(host):
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return set()


def _internal_addresses():
    """The addresses of this service's own database and broker: a webhook must not be aimed at them."""
    hosts = {settings.DATABASES["default"].get("HOST"), urlsplit(settings.REDIS_URL).hostname}
    return set().union(*(_addresses(host) for host in hosts if host))


def url_problem(url: str) -> str | None:
    """Why the service must not POST to this URL, or None. C2 receivers live on private networks,
    so private addresses are allowed; this host itself, link-local addresses (cloud metadata),
    and the service's own database and broker are not: a subscriber could otherwise make the
    service talk to them (server-side request forgery)."""
    host = urlsplit(url).hostname or ""
    addresses = _addresses(host)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        ip = getattr(ip, "ipv4_mapped", None) or ip
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
            return f"{host} is {ip}: a webhook may not point at this host, nor at a link-local or reserved address."
    if addresses & _internal_addresses():
        return f"{host} is this service's database or broker host: a webhook may not point at it."
    return None


def post_to_subscription(subscription, message: dict, attempt: int) -> requests.Response:
    """POST one message; raises requests.RequestException if the receiver cannot be reached in time.
    Only the status counts: the receiver's body is never read (nor shown back to subscribers), so a
    huge or endless one cannot hold the worker."""
    body = webhook_body(message)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "airspace-authorization-service/1",
        NOTIFICATION_ID_HEADER: str(message["id"]),
        SIGNATURE_HEADER: sign(body, subscription.secret),
        ATTEMPT_HEADER: str(attempt),
    }
    response = requests.post(
        subscription.url,
        data=body,
        headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_S,
        allow_redirects=False,
        stream=True,
    )
    response.close()
    return response
