"""Posting a notification to a C2 system's webhook, signed so the receiver can trust it.

The body is the notification's stream message as JSON. `X-Airspace-Signature` is
`sha256=<hex HMAC-SHA256 of the raw body, keyed with the subscription's secret>`;
`X-Airspace-Notification-Id` is the notification's stable id, for de-duplication
(delivery is at least once).
"""

import hashlib
import hmac
import json

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


def post_to_subscription(subscription, message: dict, attempt: int) -> requests.Response:
    """POST one message; raises requests.RequestException if the receiver cannot be reached in time."""
    body = webhook_body(message)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "airspace-authorization-service/1",
        NOTIFICATION_ID_HEADER: str(message["id"]),
        SIGNATURE_HEADER: sign(body, subscription.secret),
        ATTEMPT_HEADER: str(attempt),
    }
    return requests.post(
        subscription.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_S, allow_redirects=False
    )
