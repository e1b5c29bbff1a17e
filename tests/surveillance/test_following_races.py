"""Flight following under concurrency, on real PostgreSQL connections: two clock passes at once (two
beat processes) announce each lost drone, escalation, sensor change and swarm exactly once, and a
batch seeing a drone while the clock declares it lost never leaves a loss without its regain."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.following import follow_flights, note_sensor_heard
from airspace.surveillance.models import Sensor, Track
from permits.models import FlightPermit, State
from tests.conftest import run_together
from tests.surveillance.reports import poster

pytestmark = pytest.mark.django_db(transaction=True)

# The permits' default square: ±0.005° around 44.30 E, 33.25 N; 0.0077° east is ~250 m outside it.
INSIDE_LON, OUTSIDE_LON, LAT = 44.30, 44.3077, 33.25


def report(track, *, seconds_ago=0, lon=INSIDE_LON, lat=LAT, remote_id=None):
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


def count(kind, **payload):
    rows = AirDefenseNotification.objects.filter(kind=kind)
    if payload.get("escalated"):
        rows = rows.filter(payload__has_key="escalation")
    return rows.count()


def long_window(permit):
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), updated_at=now
    )


@pytest.mark.parametrize("round_", range(3))
def test_two_clock_passes_at_once_announce_everything_once(make_permit, make_user, round_):
    radar, quiet_radars = make_user(roles.SENSOR), [make_user(roles.SENSOR) for _ in range(2)]
    post = poster(radar)
    lost = [make_permit(state=State.ACTIVE) for _ in range(3)]
    straying = [make_permit(state=State.ACTIVE) for _ in range(2)]
    for permit in lost + straying:
        long_window(permit)
    post(*[report(f"lost-{n}", seconds_ago=30, remote_id=p.aircraft.remote_id) for n, p in enumerate(lost)])
    # 100 m outside since 65 s (within the max excursion: only the grace escalates it), seen 8 s ago:
    # the reports show 57 s outside, so it is the clock that escalates.
    for seconds_ago in (65, 35, 8):
        post(
            *[
                report(f"stray-{n}", seconds_ago=seconds_ago, lon=44.3062, remote_id=p.aircraft.remote_id)
                for n, p in enumerate(straying)
            ]
        )
    assert count("track.hostile", escalated=True) == 0
    post(
        report("i-1", lon=44.39, lat=33.31), report("i-2", lon=44.392, lat=33.31), report("i-3", lon=44.39, lat=33.312)
    )
    for quiet in quiet_radars:
        note_sensor_heard(sensor=quiet.sensor, now=timezone.now() - timedelta(minutes=10))

    now = timezone.now()
    results = run_together(lambda: follow_flights(now=now), lambda: follow_flights(now=now))
    assert not [result for result in results if isinstance(result, Exception)], results

    assert count("track.contact_lost") == 3
    assert count("track.hostile", escalated=True) == 2
    assert count("sensor.offline") == 2
    assert count("swarm") == 1
    # Nothing left for a third pass.
    assert follow_flights(now=now) == {
        "contacts_lost": 0,
        "escalated": 0,
        "excursions_closed": 0,
        "sensors": {},
        "swarms": {"ongoing": 1},
    }


@pytest.mark.parametrize("round_", range(6))
def test_a_batch_and_the_clock_at_once_never_leave_a_loss_unregained(make_permit, make_user, round_):
    radar = make_user(roles.SENSOR)
    post = poster(radar)
    permit = make_permit(state=State.ACTIVE)
    long_window(permit)
    remote_id = permit.aircraft.remote_id
    post(report("drone", seconds_ago=20, remote_id=remote_id))

    results = run_together(
        lambda: post(report("drone", remote_id=remote_id)), lambda: follow_flights(now=timezone.now())
    )
    assert not [result for result in results if isinstance(result, Exception)], results

    lost, regained = count("track.contact_lost"), count("track.contact_regained")
    assert (lost, regained) in ((0, 0), (1, 1))
    assert Track.objects.get().contact_lost_at is None


@pytest.mark.parametrize("round_", range(3))
def test_a_sensor_heard_while_the_clock_declares_it_offline_is_announced_consistently(make_user, round_):
    sensor = make_user(roles.SENSOR).sensor
    note_sensor_heard(sensor=sensor, now=timezone.now() - timedelta(minutes=10))
    sensor = Sensor.objects.get(pk=sensor.pk)

    results = run_together(
        lambda: note_sensor_heard(sensor=sensor, now=timezone.now()), lambda: follow_flights(now=timezone.now())
    )
    assert not [result for result in results if isinstance(result, Exception)], results

    offline, online = count("sensor.offline"), count("sensor.online")
    assert (offline, online) in ((0, 0), (1, 1))
    assert Sensor.objects.get(pk=sensor.pk).health == "online"
