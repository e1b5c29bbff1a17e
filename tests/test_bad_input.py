"""Bad input that answered a 500 or the wrong thing (issue 10, item 12): times PostgreSQL cannot take in
a filter, two registrations of one serial number (or zone name) racing, a chunked request body under
gunicorn, nullable fields the schema called never null, and page numbers that are not numbers."""

import datetime as dt
import json
import os
import signal
import subprocess
import threading

import pytest
import requests
from django.db import connections, transaction
from rest_framework.authtoken.models import Token

from airspace.models import Aircraft, RestrictedZone
from tests.conftest import PASSWORD, run_together, square
from tests.fixtures_celery import BIN, ROOT, database_url_of_tests, free_port, wait_for

PERMITS = "/api/v1/permits/"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["starts_after", "starts_before", "ends_after"])
@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("2026-12-01T00:00:00+16:00", 200),  # valid ISO 8601 beyond PostgreSQL's ±15:59: a 500 until now
        ("2026-12-01T00:00:00-23:59", 200),
        ("0001-01-01T00:00:00+23:59", 400),  # no UTC equivalent at all
        ("9999-12-31T23:59:59-23:59", 400),
        ("yesterday", 400),
    ],
)
def test_every_permit_time_filter_takes_any_iso_offset_and_refuses_the_rest_naming_it(
    client_for, officer, name, moment, status
):
    client = client_for(officer)
    client.raise_request_exception = False
    response = client.get(PERMITS, {name: moment})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    if status == 400:
        assert name in response.json()


@pytest.mark.django_db
def test_a_permit_time_filter_with_a_far_offset_is_compared_in_utc(make_permit, client_for, officer):
    permit = make_permit()
    client = client_for(officer)
    plus_16 = dt.timezone(dt.timedelta(hours=16))
    before_its_end = (permit.ends_at - dt.timedelta(minutes=1)).astimezone(plus_16).isoformat()
    after_its_end = (permit.ends_at + dt.timedelta(minutes=1)).astimezone(plus_16).isoformat()
    assert [p["id"] for p in client.get(PERMITS, {"ends_after": before_its_end}).json()["results"]] == [permit.id]
    assert client.get(PERMITS, {"ends_after": after_its_end}).json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "role"),
    [(PERMITS, "officer"), ("/api/v1/aircraft/", "officer"), ("/api/v1/air-defense/notifications/", "air_defense")],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "abc"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
    ],
)
def test_a_page_number_that_is_not_a_whole_number_is_a_400_naming_it(
    client_for, officer, air_defense_user, path, role, query, field
):
    client = client_for(officer if role == "officer" else air_defense_user)
    response = client.get(path, query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_a_page_past_the_end_is_empty_and_a_huge_offset_is_no_error(make_permit, client_for, officer):
    make_permit()
    client = client_for(officer)
    assert client.get(PERMITS, {"offset": "1"}).json()["results"] == []
    assert client.get(PERMITS, {"offset": "9" * 5000}).status_code == 200
    assert len(client.get(PERMITS, {"offset": "0", "limit": "1"}).json()["results"]) == 1


# --- the schema says what may be null --------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_marks_every_field_that_can_be_null_as_nullable(client_for, officer):
    schema = client_for(officer).get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    nullable = {
        "Track": ["aircraft_serial_number", "operator", "permit", "zone", "zone_kind", "sensor"],
        "FlightPermit": ["reviewer", "decided_by", "decided_at"],
        "Notification": ["acknowledged_by", "acknowledged_at", "permit", "track"],
    }
    for component, fields in nullable.items():
        for field in fields:
            assert schema[component]["properties"][field].get("nullable") is True, f"{component}.{field}"


@pytest.mark.django_db
def test_an_undecided_permit_and_an_unknown_track_answer_the_nulls_the_schema_allows(
    make_permit, client_for, officer, sensor_user
):
    # What the schema now says, as the service answers it.
    permit = make_permit()
    body = client_for(officer).get(f"{PERMITS}{permit.id}/").json()
    assert body["reviewer"] is None and body["decided_by"] is None
    from django.utils import timezone

    report = {"sensor_track_id": "x-1", "observed_at": timezone.now().isoformat(), "lat": 33.3, "lon": 44.4}
    client_for(sensor_user).post("/api/v1/tracks/reports/", {"reports": [{**report, "altitude_m": 50}]}, format="json")
    track = client_for(officer).get("/api/v1/tracks/").json()["results"][0]
    assert track["aircraft_serial_number"] is None and track["operator"] is None


# --- two registrations of one identifier at once -------------------------------------------


def _aircraft_body(serial_number):
    return {
        "serial_number": serial_number,
        "remote_id": f"RID-{serial_number}",
        "manufacturer": "DJI",
        "model": "Mini 4",
        "category": "multirotor",
        "mtow_kg": "0.249",
    }


def _zone_body(name):
    return {"name": name, "kind": "restricted", "area": square(44.1, 33.1), "max_altitude_m": 500}


def _hold_uncommitted(create, inserted, release):
    """Insert a row in a transaction that stays open until `release`: the other request's
    uniqueness check cannot see it, and its INSERT waits on the unique index."""
    try:
        with transaction.atomic():
            create()
            inserted.set()
            release.wait(timeout=30)
    finally:
        connections.close_all()


def _someone_waits_for_a_row_lock():
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["aircraft", "zone"])
def test_the_loser_of_a_race_for_one_identifier_gets_a_400_naming_the_field(
    what, operator_user, officer, client_for, make_aircraft
):
    operator = operator_user.operator_membership.operator
    if what == "aircraft":
        field, path, user, body = "serial_number", "/api/v1/aircraft/", operator_user, _aircraft_body("SN-RACE-1")

        def create():
            make_aircraft(operator, serial_number="SN-RACE-1", remote_id="RID-OTHER")
    else:
        field, path, user, body = "name", "/api/v1/zones/", officer, _zone_body("Race Zone")

        def create():
            RestrictedZone.objects.create(
                name="Race Zone", kind="restricted", area=square(44, 33), boundary=square(44, 33), max_altitude_m=100
            )

    client = client_for(user)
    client.raise_request_exception = False
    inserted, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_uncommitted, args=(create, inserted, release))
    holder.start()
    assert inserted.wait(timeout=30)
    outcome = {}

    def post():
        try:
            outcome["response"] = client.post(path, body, format="json")
        finally:
            connections.close_all()

    poster = threading.Thread(target=post)
    poster.start()
    try:
        wait_for(_someone_waits_for_a_row_lock, timeout=30, message="the second INSERT to wait on the first")
    finally:
        release.set()
        holder.join(timeout=30)
        poster.join(timeout=30)

    response = outcome["response"]
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
    model = Aircraft if what == "aircraft" else RestrictedZone
    assert model.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_registrations_of_one_serial_number_at_once_make_one_aircraft_and_nineteen_400s(
    operator_user, client_for
):
    Token.objects.get_or_create(user=operator_user)

    def register(number):
        def call():
            client = client_for(operator_user)
            client.raise_request_exception = False
            body = _aircraft_body("SN-TWENTY") | {"remote_id": f"R{number}"}
            response = client.post("/api/v1/aircraft/", body, format="json")
            return response.status_code, response.json()

        return call

    results = run_together(*(register(n) for n in range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * 19, results
    assert all("serial_number" in body for status, body in results if status == 400)
    assert Aircraft.objects.filter(serial_number="SN-TWENTY").count() == 1


@pytest.mark.django_db
def test_the_aircraft_page_shows_a_lost_race_as_a_form_error(operator_user, client, make_aircraft, monkeypatch):
    # The page saves through the same serializer: the race ends as a message next to the field.
    from airspace import views

    validate_form = views.validate_form
    operator = operator_user.operator_membership.operator

    def validated_then_taken(*args, **kwargs):
        validated = validate_form(*args, **kwargs)
        make_aircraft(operator, serial_number="SN-PAGE", remote_id="RID-OTHER")  # another request, meanwhile
        return validated

    monkeypatch.setattr(views, "validate_form", validated_then_taken)
    client.force_login(operator_user)
    response = client.post("/aircraft/", _aircraft_body("SN-PAGE"))
    assert response.status_code == 400
    assert response.context["errors"]["serial_number"] == ["An aircraft with this serial number is already registered."]


# --- a chunked request body under gunicorn ---------------------------------------------------


@pytest.fixture
def gunicorn_server(django_db_setup, django_db_blocker):
    """The web process as `make run` starts it (gunicorn, gthread), on 127.0.0.1, on the test database."""
    port = free_port(range(18470, 18490))
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "SECRET_KEY": "a-test-secret-key-that-is-long-enough-" * 2,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"]
        + ["--workers", "1", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{url}/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=60, message="gunicorn to answer")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _chunks(body):
    for start in range(0, len(body), 7):
        yield body[start : start + 7]


@pytest.mark.django_db(transaction=True)
def test_a_chunked_request_body_is_read_under_gunicorn(gunicorn_server, make_user):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = make_user("operator")
    # Hashed as the server's own settings can check (the tests' fast hasher is not among them).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "chunkedsalt", iterations=1000)
    user.save(update_fields=["password"])
    body = json.dumps({"username": user.username, "password": PASSWORD}).encode()
    # A generator body: requests sends it with Transfer-Encoding: chunked and no Content-Length.
    response = requests.post(
        f"{gunicorn_server}/api/v1/auth/token/",
        data=_chunks(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["token"] == Token.objects.get(user=user).key


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_past_the_upload_limit_is_a_413(gunicorn_server, make_user):
    from django.conf import settings

    user = make_user("operator")
    token = Token.objects.get_or_create(user=user)[0].key
    body = b'{"description": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'

    def big():
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = requests.post(
        f"{gunicorn_server}{PERMITS}",
        data=big(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        timeout=60,
    )
    assert response.status_code == 413, response.text[:300]
    assert "detail" in response.json()
