"""Posting a notification to a C2 system's webhook: only to destinations the administrators allow,
on the address that was checked, signed so that the receiver can trust it and refuse replays.

Where: `WEBHOOK_ALLOWED_DESTINATIONS` (host names, addresses, CIDR ranges; empty: no webhooks).
A URL's host is resolved and every address it resolves to must be allowed; this is checked when
subscribing and again at every delivery, and the connection goes to the address just checked (the
host name stays in the Host header and TLS SNI and certificate check), so a name that changes its
answer between check and connect (DNS rebinding) cannot redirect a post.

Signature: the Standard Webhooks scheme (https://www.standardwebhooks.com/, the `standardwebhooks`
package): `webhook-id` is the notification's stable id, `webhook-timestamp` the Unix time of the
attempt, `webhook-signature` `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the
subscription's secret (`whsec_<base64 key>`). Receivers verify it and refuse old timestamps.
"""

import base64
import binascii
import ipaddress
import json
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from urllib.parse import unquote, urlsplit

import psutil
import requests.certs
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from standardwebhooks import Webhook

NOTIFICATION_ID_HEADER = "X-Airspace-Notification-Id"
ATTEMPT_HEADER = "X-Airspace-Delivery-Attempt"
SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for keys of 24 to 64 bytes.
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


class DestinationRefused(Exception):
    """The URL may not receive webhooks under this deployment's rules: not retried."""


class DeliveryFailed(Exception):
    """The receiver could not be reached or resolved this time: retried with backoff."""


# --- secrets and signatures ------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_problem(secret: str) -> str | None:
    """Why a subscriber's own secret is not a Standard Webhooks secret, or None."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        return (
            f"Give a Standard Webhooks secret: '{SECRET_PREFIX}' and the base64 of {SECRET_MIN_BYTES} to "
            f"{SECRET_MAX_BYTES} random bytes, or leave it out and one is generated."
        )
    return None


def webhook_body(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(*, secret: str, message_id: str, body: bytes, attempt: int, now: datetime | None = None) -> dict:
    """The headers of one attempt: Standard Webhooks' id, timestamp and signature, and ours."""
    timestamp = now or datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "airspace-authorization-service/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body.decode()),
        NOTIFICATION_ID_HEADER: message_id,
        ATTEMPT_HEADER: str(attempt),
    }


# --- where webhooks may go -------------------------------------------------------------------


@dataclass(frozen=True)
class Allowlist:
    hosts: frozenset
    networks: tuple

    def covers(self, host, ip):
        return host in self.hosts or any(ip in network for network in self.networks)

    def names_exactly(self, ip):
        """An entry of this one address, not a range: the deliberate choice that this host, or the
        database's or broker's, is a C2 receiver (a host name entry is not: its DNS could point anywhere)."""
        return any(network.num_addresses == 1 and ip in network for network in self.networks)


@cache
def _parse_allowlist(entries):
    hosts, networks = set(), []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        host = entry.lower().rstrip(".")
        if not _HOST_NAME.match(host):
            raise ImproperlyConfigured(
                f"WEBHOOK_ALLOWED_DESTINATIONS: {entry!r} is neither a host name nor an IP address or CIDR range."
            )
        hosts.add(host)
    return Allowlist(frozenset(hosts), tuple(networks))


def allowlist():
    return _parse_allowlist(tuple(settings.WEBHOOK_ALLOWED_DESTINATIONS))


def webhooks_enabled():
    return bool(settings.WEBHOOK_ALLOWED_DESTINATIONS)


def _ip(address):
    ip = ipaddress.ip_address(address.split("%")[0])
    return getattr(ip, "ipv4_mapped", None) or ip


def resolve(host, port):
    """Every address `host` resolves to, as ipaddress objects; socket.gaierror if it does not."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(_ip(info[4][0]) for info in infos))


def _addresses_of(host, port):
    try:
        return resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        return []


def _internal_endpoints():
    """(address, port) of this service's database and broker, and the addresses of their hosts."""
    db = settings.DATABASES["default"]
    redis = urlsplit(settings.REDIS_URL)
    endpoints = set()
    for host, port in ((db.get("HOST"), int(db.get("PORT") or 5432)), (redis.hostname, redis.port or 6379)):
        if host:
            endpoints.update((ip, port) for ip in _addresses_of(host, port))
    return endpoints


def _this_hosts_addresses():
    return {
        _ip(address.address)
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family in (socket.AF_INET, socket.AF_INET6)
    }


def _address_problem(host, ip, port, allowed, internal):
    """Why this resolved address may not receive a webhook, or None."""
    # (IPv6 loopback, ::1, counts as reserved: it is this host, judged below.)
    if not ip.is_loopback and (ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified):
        return f"{host} is {ip}: link-local (cloud metadata), multicast and reserved addresses never receive webhooks."
    if (ip, port) in internal:
        return f"{host} is {ip}, port {port}: this service's database or broker never receives webhooks."
    if not allowed.covers(host, ip):
        return f"{host} ({ip}) is not in WEBHOOK_ALLOWED_DESTINATIONS."
    sensitive = ip.is_loopback or ip in _this_hosts_addresses() or ip in {address for address, _ in internal}
    if sensitive and not allowed.names_exactly(ip):
        return (
            f"{host} is {ip}: this host, or the database's or broker's host. Only an entry of exactly that "
            "address in WEBHOOK_ALLOWED_DESTINATIONS allows it, not a range or a host name."
        )
    return None


@dataclass(frozen=True)
class Destination:
    """A checked URL: the address to connect to and what to say it is."""

    scheme: str
    host: str
    address: str
    port: int
    host_header: str
    target: str
    basic_auth: str | None


def check_destination(url: str) -> Destination:
    """The address to post `url` to, checked now. DestinationRefused if the rules forbid it;
    DeliveryFailed if the name does not resolve (which may pass)."""
    if not webhooks_enabled():
        raise DestinationRefused(
            "Webhooks are turned off on this service: WEBHOOK_ALLOWED_DESTINATIONS is empty. "
            "Its administrators list the hosts that may receive them."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("Give an http or https URL with a host.")
    try:
        host = parts.hostname.rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("The URL's port is not a number from 0 to 65535.") from None
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise DeliveryFailed(f"{host} does not resolve to an address.") from None
    allowed, internal = allowlist(), _internal_endpoints()
    for ip in addresses:
        if problem := _address_problem(host, ip, port, allowed, internal):
            raise DestinationRefused(problem)
    credentials = parts.netloc.rpartition("@")[0]
    return Destination(
        scheme=parts.scheme,
        host=host,
        address=str(addresses[0]),
        port=port,
        host_header=parts.netloc.rpartition("@")[2],
        target=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        basic_auth=unquote(credentials) if credentials else None,
    )


def destination_problem(url: str) -> str | None:
    """Why a subscription may not have this URL, or None: the check of every delivery, and a name
    that does not resolve now is refused too."""
    try:
        check_destination(url)
    except (DestinationRefused, DeliveryFailed) as refusal:
        return str(refusal)
    return None


# --- posting ---------------------------------------------------------------------------------


def _connection_pool(destination):
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT_S, read=settings.WEBHOOK_TIMEOUT_S)
    if destination.scheme == "https":
        # Connected to the checked address; the certificate is checked against the name in the URL,
        # which is also sent as SNI.
        return urllib3.HTTPSConnectionPool(
            destination.address,
            destination.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOK_CA_BUNDLE or requests.certs.where(),
        )
    return urllib3.HTTPConnectionPool(destination.address, destination.port, timeout=timeout, retries=False, maxsize=1)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST `body` to `url` if it may receive it, on the address just checked; the answer's status.
    Only the status counts: the receiver's body is never read (nor shown back to subscribers), so a
    huge or endless one cannot hold the worker. Redirects are not followed."""
    destination = check_destination(url)
    headers = {**headers, "Host": destination.host_header}
    if destination.basic_auth:
        headers.update(urllib3.util.make_headers(basic_auth=destination.basic_auth))
    pool = _connection_pool(destination)
    try:
        response = pool.urlopen(
            "POST",
            destination.target,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            release_conn=False,
        )
        response.close()
        return response.status
    except urllib3.exceptions.HTTPError as error:
        reason = getattr(error, "reason", None) or error
        raise DeliveryFailed(f"{type(error).__name__}: {reason}"[:1000]) from error
    finally:
        pool.close()


def post_to_subscription(subscription, message: dict, attempt: int) -> int:
    """Sign and post one notification to one subscription; the answer's status."""
    body = webhook_body(message)
    headers = signed_headers(secret=subscription.secret, message_id=str(message["id"]), body=body, attempt=attempt)
    return post(subscription.url, body, headers)
