"""The live stream as `make run` serves it: the web process started from the Procfile's `web:` line,
streams read over real sockets. Open streams must not take the threads that the API and the
sensors need; the caps answer 429/503 and survive clients that vanish; a stream ends when its
listener loses access; the embedded demo's in-process fan-out reaches streams on the event loop."""

import json
import time
from datetime import timedelta

import pytest
import requests
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from airspace import roles
from airspace.accounts.services import get_api_token, revoke_api_tokens
from airspace.air_defense.notifications import record_notification
from tests.deployment.test_embedded import run_embedded
from tests.fixtures_celery import wait_for
from tests.fixtures_web import SECRET_KEY

pytestmark = pytest.mark.django_db(transaction=True)


def token_of(user):
    return get_api_token(user=user).key


def fields(block):
    return dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))


def next_event(raw, timeout=30):
    """The next `id/event/data` block, skipping comments."""
    deadline = time.monotonic() + timeout
    while True:
        block = raw.next_block(timeout=max(deadline - time.monotonic(), 0.1))
        if "data" in fields(block):
            return fields(block)


def hostile_report(track_id):
    now = timezone.now().isoformat()
    report = {"sensor_track_id": track_id, "observed_at": now, "lat": 33.30, "lon": 44.50, "altitude_m": 80}
    return {"reports": [report]}


@pytest.mark.worker
def test_more_streams_than_web_threads_leave_the_api_and_sensors_answering(
    web_process, open_stream, celery_worker, air_defense_user, sensor_user
):
    # Under gunicorn's gthread worker each open stream held one of these threads: two streams
    # would have blocked everything else. The streams wait on the event loop instead.
    server = web_process(WEB_THREADS="2", STREAM_MAX_PER_USER="50")
    token = token_of(air_defense_user)
    streams = [open_stream(server, token=token) for _ in range(12)]
    assert [raw.status for raw in streams] == [200] * 12
    for raw in streams:
        assert ": connected" in raw.next_block()

    started = time.monotonic()
    inbox = requests.get(
        f"{server.url}/api/v1/air-defense/notifications/", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    report = requests.post(
        f"{server.url}/api/v1/tracks/reports/",
        json=hostile_report("intruder-1"),
        headers={"Authorization": f"Token {token_of(sensor_user)}"},
        timeout=10,
    )
    assert time.monotonic() - started < 10
    assert inbox.status_code == 200
    assert report.status_code == 200, report.text
    assert report.json()["results"][0]["classification"] == "unregistered"

    # The alert, delivered by the worker through Redis, reaches every open stream.
    for raw in streams:
        try:
            event = next_event(raw)
        except TimeoutError:
            raise AssertionError(
                f"No alert on a stream.\nWorker:\n{celery_worker.log_text()[-3000:]}\nWeb:\n{server.log_text()[-3000:]}"
            ) from None
        assert event["event"] == "track.hostile"
        assert json.loads(event["data"])["payload"]["track"]["sensor_track_id"] == "intruder-1"


def test_caps_answer_429_and_503_and_a_vanished_client_gives_its_slot_back(
    web_process, open_stream, make_user, air_defense_user
):
    server = web_process(STREAM_MAX_PER_USER="2", STREAM_MAX_TOTAL="3")
    first, second = (token_of(air_defense_user), token_of(make_user(roles.AIR_DEFENSE)))
    mine = [open_stream(server, token=first) for _ in range(2)]
    assert [raw.status for raw in mine] == [200, 200]

    too_many = open_stream(server, token=first)
    assert too_many.status == 429
    assert too_many.headers["content-type"] == "application/json" and too_many.headers["retry-after"] == "15"
    assert "2 live streams open" in json.loads(too_many.body())["detail"]

    assert open_stream(server, token=second).status == 200
    full = open_stream(server, token=token_of(make_user(roles.AIR_DEFENSE)))
    assert full.status == 503
    assert full.headers["content-type"] == "application/json" and full.headers["retry-after"] == "15"
    assert "as many live streams as it may (3)" in json.loads(full.body())["detail"]

    # A client that vanishes (connection reset, no goodbye) frees its slot at once: the server
    # notices the disconnect and ends its stream.
    mine[0].abort()

    def reopened():
        raw = open_stream(server, token=first)
        return raw if raw.status == 200 else None

    assert ": connected" in wait_for(reopened, timeout=10, message="the slot to come back").next_block()


@pytest.mark.parametrize(
    "withdraw",
    [
        lambda user: user.groups.remove(Group.objects.get(name=roles.ROLE_GROUPS[roles.AIR_DEFENSE])),
        lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False),
        lambda user: revoke_api_tokens(user=user),
    ],
    ids=["role-removed", "deactivated", "token-revoked"],
)
def test_a_stream_ends_within_a_heartbeat_when_its_user_loses_access(
    web_process, open_stream, air_defense_user, withdraw
):
    server = web_process(AIR_DEFENSE_STREAM_HEARTBEAT_S="0.5")
    raw = open_stream(server, token=token_of(air_defense_user))
    assert ": connected" in raw.next_block()
    assert raw.next_block(timeout=5) == ": heartbeat"

    withdraw(air_defense_user)

    assert raw.blocks_until_closed(timeout=5)[-1].startswith(": closed: ")


def test_a_browser_stream_ends_within_a_heartbeat_when_its_session_ends(
    web_process, open_stream, air_defense_user, settings
):
    server = web_process(AIR_DEFENSE_STREAM_HEARTBEAT_S="0.5")
    settings.SECRET_KEY = SECRET_KEY  # the session is signed here and read there
    browser = Client()
    browser.force_login(air_defense_user)
    raw = open_stream(server, session=browser.cookies["sessionid"].value)
    assert raw.status == 200
    assert ": connected" in raw.next_block()
    assert raw.next_block(timeout=5) == ": heartbeat"

    Session.objects.all().delete()  # signed out, here or in another tab

    assert raw.blocks_until_closed(timeout=5)[-1] == ": closed: signed out"


@pytest.mark.parametrize("through", ["header", "query"])
def test_replay_after_the_last_event_seen_then_heartbeats(web_process, open_stream, air_defense_user, through):
    server = web_process(AIR_DEFENSE_STREAM_HEARTBEAT_S="0.5")
    now = timezone.now()
    created = []
    for minutes in (3, 2, 1):
        notification = record_notification(kind="track.hostile", severity="critical", payload={"n": minutes})
        type(notification).objects.filter(pk=notification.pk).update(created_at=now - timedelta(minutes=minutes))
        created.append(notification)
    seen = str(created[0].pk)

    if through == "header":  # EventSource reconnecting by itself
        raw = open_stream(server, token=token_of(air_defense_user), Last_Event_ID=seen)
    else:  # the console reopening a stream the server had refused
        raw = open_stream(server, token=token_of(air_defense_user), query=f"last_event_id={seen}")

    assert ": connected" in raw.next_block()
    assert [fields(raw.next_block())["id"] for _ in range(2)] == [str(n.pk) for n in created[1:]]
    assert raw.next_block(timeout=5) == ": heartbeat"


def test_embedded_web_process_streams_what_it_delivers_in_process_and_what_the_clock_delivered(
    web_process, open_stream, tmp_path
):
    """The demo of `make run` with no environment: SQLite, no Redis, Celery tasks in-process. An
    alert delivered inside the web process reaches its streams through the in-process fan-out; one
    delivered by another process (the clock) through the stream's catch-up from the database."""
    tokens = run_embedded(
        """
        import json
        import django
        django.setup()
        from django.core.management import call_command
        from airspace.accounts.services import add_user_with_role, get_api_token

        call_command("migrate", verbosity=0)
        users = {role: add_user_with_role(username=role, role=role, password="embedded-demo-pw")[0]
                 for role in ("air_defense", "sensor")}
        print(json.dumps({role: get_api_token(user=user).key for role, user in users.items()}))
        """,
        tmp_path,
    )
    server = web_process("Procfile.embedded", DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", REDIS_URL=None)
    raw = open_stream(server, token=tokens["air_defense"])
    assert raw.status == 200 and ": connected" in raw.next_block()

    report = requests.post(
        f"{server.url}/api/v1/tracks/reports/",
        json=hostile_report("embedded-intruder"),
        headers={"Authorization": f"Token {tokens['sensor']}"},
        timeout=30,
    )
    assert report.status_code == 200, report.text
    event = next_event(raw, timeout=10)
    assert json.loads(event["data"])["payload"]["track"]["sensor_track_id"] == "embedded-intruder"

    elsewhere = run_embedded(
        """
        import json
        import django
        django.setup()
        from airspace.air_defense.notifications import record_notification
        from airspace.air_defense.tasks import deliver_notification

        notification = record_notification(kind="permit.revoked", severity="warning", payload={"by": "clock"})
        deliver_notification(str(notification.pk))
        print(json.dumps(str(notification.pk)))
        """,
        tmp_path,
    )
    assert next_event(raw, timeout=10)["id"] == elsewhere
