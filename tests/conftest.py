"""Shared fixtures: users of every role, API clients signed in as them, aircraft and zones.

Each area's own fixtures live in tests/fixtures_<area>.py and are registered below."""

import itertools
import threading
import uuid

import pytest
from django.db import connections, transaction
from django.test import override_settings
from rest_framework.test import APIClient

from airspace import roles
from airspace.accounts.services import add_user_with_role, get_api_token
from airspace.geometry import parse_area
from airspace.registry.models import Aircraft
from airspace.zones.models import RestrictedZone

pytest_plugins = [
    "tests.fixtures_permits",
    "tests.fixtures_celery",
    "tests.fixtures_browser",
    "tests.fixtures_pages",
    "tests.fixtures_web",
]

_numbers = itertools.count(1)
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True, scope="session")
def _private_stream_channel():
    """Pub/sub channels are shared by every database of a Redis server: a test that delivers a
    notification on the default channel would push a fake hostile alert to every console and C2
    listener of a deployment using the same Redis (and break their reconnection: an unknown id)."""
    with override_settings(AIR_DEFENSE_STREAM_CHANNEL=f"airspace:test:{uuid.uuid4().hex}"):
        yield


@pytest.fixture(autouse=True, scope="session")
def _permit_signing_key_of_its_own(tmp_path_factory):
    """Approvals sign permits (permits/signing.py): with a key of the test run, never the checkout's."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from permits.signing import write_private_key

    folder = tmp_path_factory.mktemp("permit-keys")
    write_private_key(folder / "signing.pem", Ed25519PrivateKey.generate())
    keys = {
        "PERMIT_SIGNING_KEY_FILE": str(folder / "signing.pem"),
        "PERMIT_PUBLIC_KEYS_FILE": str(folder / "public.json"),
    }
    with override_settings(**keys):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings):
    # Sign-in attempts per address are counted in the cache (Redis under `make test`): each test starts with none.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }


@pytest.fixture
def make_user(db):
    def make(role, username=None, organization=None):
        username = username or f"{role}{next(_numbers)}"
        user, _ = add_user_with_role(username=username, role=role, password=PASSWORD, organization=organization)
        return user

    return make


@pytest.fixture
def operator_user(make_user):
    return make_user(roles.OPERATOR, organization="Alpha Aerial")


@pytest.fixture
def other_operator_user(make_user):
    return make_user(roles.OPERATOR, organization="Bravo Survey")


@pytest.fixture
def officer(make_user):
    return make_user(roles.COMMAND_STAFF)


@pytest.fixture
def senior_officer(make_user):
    return make_user(roles.SENIOR_OFFICER)


@pytest.fixture
def air_defense_user(make_user):
    return make_user(roles.AIR_DEFENSE)


@pytest.fixture
def sensor_user(make_user):
    return make_user(roles.SENSOR)


@pytest.fixture
def client_for():
    """An API client authenticated with a token of the user's, as machines and scripts call the API
    (one token per user and test, so that a test can revoke it)."""
    tokens = {}

    def make(user):
        client = APIClient()
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = get_api_token(user=user).key
            client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[user.pk]}")
        return client

    return make


@pytest.fixture
def make_aircraft(db):
    def make(operator, status=Aircraft.Status.REGISTERED, **fields):
        number = next(_numbers)
        aircraft = Aircraft.objects.create(
            operator=operator,
            serial_number=fields.pop("serial_number", f"SN-{number:05d}"),
            remote_id=fields.pop("remote_id", f"RID-{number:05d}"),
            manufacturer=fields.pop("manufacturer", "DJI"),
            model=fields.pop("model", "Mavic 3"),
            category=fields.pop("category", Aircraft.Category.MULTIROTOR),
            mtow_kg=fields.pop("mtow_kg", "0.9"),
            **fields,
        )
        if status == Aircraft.Status.REGISTERED:
            aircraft.verify()
            aircraft.save()
        elif status == Aircraft.Status.SUSPENDED:
            aircraft.suspend()
            aircraft.save()
        return aircraft

    return make


def run_together(*calls):
    """Run each call in its own thread (its own database connection), released together by a
    barrier; returns each call's result, or the exception it raised. For races over real connections:
    the test must be `django_db(transaction=True)`."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def hold_uncommitted(write, written, release):
    """Make `write` in a transaction that stays open until `release` is set (sets `written` first): as
    another request caught between its INSERT and its commit. Run it in a thread of its own."""
    try:
        with transaction.atomic():
            write()
            written.set()
            release.wait(timeout=30)
    finally:
        connections.close_all()


def someone_waits_for_a_lock():
    """Whether a connection to the test database is waiting for a lock (a row, a unique key, an advisory lock)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def square(lon, lat, half_side_deg=0.005):
    """A closed GeoJSON square centred on lon/lat."""
    d = half_side_deg
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
        ],
    }


@pytest.fixture
def make_zone(db):
    def make(
        name=None, kind=RestrictedZone.Kind.PROHIBITED, area=None, radius_m=None, min_altitude_m=0, max_altitude_m=3000
    ):
        parsed = parse_area(area or square(44.39, 33.31), radius_m)
        return RestrictedZone.objects.create(
            name=name or f"Zone {next(_numbers)}",
            kind=kind,
            area=parsed.geojson,
            radius_m=parsed.radius_m,
            boundary=parsed.boundary_geojson,
            min_altitude_m=min_altitude_m,
            max_altitude_m=max_altitude_m,
        )

    return make
