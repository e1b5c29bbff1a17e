"""Flight following end to end on the real stack: PostgreSQL, Redis, two Celery workers and TWO Celery
beat processes (as a deployment that started beat twice by mistake), each beat sending the
following pass every second. The sensors post through the API; the clock's notifications are written
by the workers and delivered to the live stream. Each behaviour happens exactly once:

- a drone flying then silent: one contact lost, then one regained;
- a drone 61 s outside its volume: escalated once;
- a sensor that stops posting: stale, offline, then online when it is back;
- three hostile tracks close together: one swarm alert.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.models import Sensor
from permits.models import FlightPermit, State
from tests.fixtures_celery import StreamReader, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REPORTS = "/api/v1/tracks/reports/"
HEARTBEAT = "/api/v1/sensors/heartbeat/"
# The clock of this module's workers and beats: a pass every second, short silences.
FOLLOWING_ENV = {
    "FOLLOWING_CHECK_INTERVAL_S": "1",
    "CONTACT_LOST_S": "5",
    "SENSOR_STALE_S": "3",
    "SENSOR_OFFLINE_S": "6",
}
# The permits' default square: ±0.005° around 44.30 E, 33.25 N, 0-120 m. ~100 m east of its edge:
OUTSIDE_LON = 44.30 + 0.005 + 100 / 93_200


@pytest.fixture(scope="module")
def following_stack(worker_factory, beat_factory):
    """Two workers and two beats with the short following clock."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this test Redis db only
    workers = [worker_factory(extra_env=FOLLOWING_ENV) for _ in range(2)]
    beats = [beat_factory(extra_env=FOLLOWING_ENV) for _ in range(2)]
    return workers, beats


@pytest.fixture(autouse=True)
def running_clock(following_stack, transactional_db):
    """The beats run during a test only: the test database is flushed after each one (TRUNCATE),
    which would deadlock with a pass in flight. Paused, their last tasks expire (1 s) or finish."""
    workers, beats = following_stack
    for beat in beats:
        beat.resume()
    yield
    for beat in beats:
        beat.pause()
    time.sleep(2)


@pytest.fixture(autouse=True)
def same_clock_here(settings):
    for name, value in FOLLOWING_ENV.items():
        setattr(settings, name, float(value))


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {get_api_token(user=user).key}")
    return client


def report(track, *, seconds_ago=0.0, lon=44.30, lat=33.25, remote_id=None):
    body = {
        "sensor_track_id": track,
        "observed_at": (timezone.now() - timedelta(seconds=seconds_ago)).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 60,
    }
    if remote_id:
        body["remote_id"] = remote_id
    return body


def next_event_of(reader, kind, timeout=30):
    """The next stream event of this kind, passing over others (the radar going stale, say)."""
    deadline = time.monotonic() + timeout
    while True:
        event_id, event_kind, data = reader.next_event(timeout=max(deadline - time.monotonic(), 0.1))
        if event_kind == kind:
            return event_id, data


def delivered(kind, **filters):
    """Notifications of this kind the workers have delivered (to the stream and webhooks)."""
    return list(
        AirDefenseNotification.objects.filter(kind=kind, delivered_at__isnull=False, **filters).order_by("created_at")
    )


def flying_permit(make_permit):
    permit = make_permit(state=State.ACTIVE)
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), updated_at=now
    )
    return permit


def test_a_drone_flying_then_silent_gets_one_contact_lost_and_one_regained(
    following_stack, live_server, make_permit, make_user, air_defense_user
):
    permit = flying_permit(make_permit)
    radar = client_of(make_user(roles.SENSOR))
    reader = StreamReader(f"{live_server.url}/api/v1/air-defense/stream/", get_api_token(user=air_defense_user).key)
    try:
        reader.wait_connected()
        for _ in range(3):
            post = radar.post(REPORTS, {"reports": [report("drone", remote_id=permit.aircraft.remote_id)]}, "json")
            assert post.json()["results"][0]["classification"] == "authorized"
            time.sleep(0.5)
        # Silent: the beats' pass (every second) declares it lost after CONTACT_LOST_S.
        [lost] = wait_for(lambda: delivered("track.contact_lost"), timeout=30, message="contact lost")
        assert lost.permit_id == permit.pk
        event_id, _ = next_event_of(reader, "track.contact_lost")
        assert event_id == str(lost.pk)
        time.sleep(3)  # three more passes of each beat: nothing more
        radar.post(REPORTS, {"reports": [report("drone", remote_id=permit.aircraft.remote_id)]}, "json")
        [regained] = wait_for(lambda: delivered("track.contact_regained"), timeout=30, message="regained")
        event_id, _ = next_event_of(reader, "track.contact_regained")
        assert event_id == str(regained.pk)
        time.sleep(2)
        assert AirDefenseNotification.objects.filter(kind="track.contact_lost").count() == 1
        assert AirDefenseNotification.objects.filter(kind="track.contact_regained").count() == 1
    finally:
        reader.close()


def test_a_drone_61_s_outside_its_volume_is_escalated_once(following_stack, make_permit, make_user):
    permit = flying_permit(make_permit)
    radar = client_of(make_user(roles.SENSOR))
    remote_id = permit.aircraft.remote_id
    # Outside from 61 s ago; the reports themselves show 59 s, so it is the clock that escalates.
    for seconds_ago in (61, 45, 30, 15, 2):
        body = {"reports": [report("stray", seconds_ago=seconds_ago, lon=OUTSIDE_LON, remote_id=remote_id)]}
        assert radar.post(REPORTS, body, "json").json()["results"][0]["classification"] == "nonconforming"
    [escalated] = wait_for(lambda: delivered("track.hostile"), timeout=30, message="the escalation")
    assert escalated.severity == "critical"
    assert escalated.payload["escalation"]["reason"] == "grace"
    for _ in range(4):  # still outside, under two beats: no second escalation
        radar.post(REPORTS, {"reports": [report("stray", lon=OUTSIDE_LON, remote_id=remote_id)]}, "json")
        time.sleep(0.5)
    assert AirDefenseNotification.objects.filter(kind="track.hostile").count() == 1
    assert AirDefenseNotification.objects.filter(kind="track.nonconforming").count() == 1


def test_a_sensor_that_stops_posting_goes_stale_offline_then_online(following_stack, make_user):
    user = make_user(roles.SENSOR)
    radar = client_of(user)
    assert radar.post(HEARTBEAT).status_code == 200
    [stale] = wait_for(lambda: delivered("sensor.stale"), timeout=30, message="stale")
    [offline] = wait_for(lambda: delivered("sensor.offline"), timeout=30, message="offline")
    assert offline.created_at > stale.created_at
    assert Sensor.objects.get(user=user).health == "offline"
    assert radar.post(HEARTBEAT).json()["health"] == "online"
    [online] = wait_for(lambda: delivered("sensor.online"), timeout=30, message="online")
    assert online.payload["sensor"]["previous_health"] == "offline"
    radar.post(HEARTBEAT)
    time.sleep(2)
    kinds = list(
        AirDefenseNotification.objects.filter(kind__startswith="sensor.")
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == ["sensor.stale", "sensor.offline", "sensor.online"]


def test_three_hostile_tracks_close_together_make_one_swarm_alert(following_stack, make_user):
    radar = client_of(make_user(roles.SENSOR))
    body = {
        "reports": [
            report("s-1", lon=44.39, lat=33.31),
            report("s-2", lon=44.392, lat=33.31),
            report("s-3", lon=44.39, lat=33.312),
        ]
    }
    assert radar.post(REPORTS, body, "json").status_code == 200
    [swarm] = wait_for(lambda: delivered("swarm"), timeout=30, message="the swarm alert")
    assert sorted(track["sensor_track_id"] for track in swarm.payload["swarm"]["tracks"]) == ["s-1", "s-2", "s-3"]
    time.sleep(3)
    assert AirDefenseNotification.objects.filter(kind="swarm").count() == 1
    assert AirDefenseNotification.objects.filter(kind="track.hostile").count() == 3
