"""Swarms through the real report API and the clock's pass: several hostile tracks close together
make one alert naming them, followed while they last — against PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.following import follow_flights
from airspace.surveillance.models import Swarm, Track
from permits.models import State

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tracks/reports/"
SWARMS = "/api/v1/swarms/"
LON, LAT = 44.39, 33.31


def report(track, *, lon=LON, lat=LAT, at=None, remote_id=None):
    body = {
        "sensor_track_id": track,
        "observed_at": (at or timezone.now()).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 90,
    }
    if remote_id:
        body["remote_id"] = remote_id
    return body


@pytest.fixture
def sensor_api(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post


def swarm_alerts():
    return list(AirDefenseNotification.objects.filter(kind="swarm").order_by("created_at"))


def three_intruders(sensor_api, at=None):
    sensor_api(
        report("i-1", at=at),
        report("i-2", lon=LON + 0.002, at=at),
        report("i-3", lat=LAT + 0.002, at=at),
    )


def test_three_hostile_tracks_close_together_make_one_swarm_alert_naming_them(sensor_api):
    three_intruders(sensor_api)
    assert AirDefenseNotification.objects.filter(kind="track.hostile").count() == 3
    assert follow_flights(now=timezone.now())["swarms"] == {"new": 1}
    assert follow_flights(now=timezone.now())["swarms"] == {"ongoing": 1}

    [alert] = swarm_alerts()
    assert alert.severity == "critical"
    swarm = alert.payload["swarm"]
    assert swarm["size"] == 3
    assert sorted(track["sensor_track_id"] for track in swarm["tracks"]) == ["i-1", "i-2", "i-3"]
    assert swarm["radius_m"] < 300
    assert swarm["centre"]["lat"] == pytest.approx(LAT + 0.0007, abs=0.0001)


def test_a_track_joining_a_swarm_grows_it_without_a_new_alert(sensor_api):
    three_intruders(sensor_api)
    follow_flights(now=timezone.now())
    sensor_api(report("i-4", lon=LON - 0.002))
    follow_flights(now=timezone.now())
    assert len(swarm_alerts()) == 1
    swarm = Swarm.objects.get()
    assert (swarm.size, swarm.largest_size, swarm.ended_at) == (4, 4, None)
    assert sorted(swarm.track_ids) == sorted(Track.objects.values_list("pk", flat=True))


def test_a_swarm_no_longer_seen_together_ends_and_a_new_one_is_a_new_alert(sensor_api, settings):
    three_intruders(sensor_api)
    now = timezone.now()
    follow_flights(now=now)
    later = now + timedelta(seconds=settings.SWARM_WINDOW_S + 1)
    assert follow_flights(now=later)["swarms"] == {"ended": 1}
    assert Swarm.objects.get().ended_at == later
    three_intruders(sensor_api)
    assert follow_flights(now=timezone.now())["swarms"] == {"new": 1}
    assert len(swarm_alerts()) == 2


def test_hostile_tracks_far_apart_or_too_few_are_no_swarm(sensor_api):
    sensor_api(report("a"), report("b", lon=LON + 0.002), report("far", lon=LON + 0.2))
    follow_flights(now=timezone.now())
    assert not swarm_alerts()


def test_permitted_drones_flying_together_are_no_swarm(sensor_api, make_permit):
    drones = [make_permit(state=State.ACTIVE).aircraft.remote_id for _ in range(3)]
    results = sensor_api(*[report(f"p-{n}", lon=44.30, lat=33.25, remote_id=rid) for n, rid in enumerate(drones)])
    assert {result["classification"] for result in results} == {"authorized"}
    follow_flights(now=timezone.now())
    assert not swarm_alerts()


def test_escalated_flights_count_as_hostile_in_a_swarm(sensor_api, make_permit, settings):
    permit = make_permit(state=State.ACTIVE)
    # 44.30 E is the permit's centre; 0.005 + ~0.0027 east is ~250 m outside: escalated at once.
    sensor_api(
        report("friend", lon=44.3077, lat=33.25, remote_id=permit.aircraft.remote_id),
        report("x-1", lon=44.3085, lat=33.25),
        report("x-2", lon=44.3085, lat=33.251),
    )
    follow_flights(now=timezone.now())
    [alert] = swarm_alerts()
    assert sorted(track["sensor_track_id"] for track in alert.payload["swarm"]["tracks"]) == ["friend", "x-1", "x-2"]


def test_the_swarms_api_lists_the_active_swarms_with_their_tracks(sensor_api, air_defense_user, client_for):
    three_intruders(sensor_api)
    follow_flights(now=timezone.now())
    api = client_for(air_defense_user)
    [swarm] = api.get(SWARMS, {"active": "true"}).json()["results"]
    assert swarm["active"] is True and swarm["size"] == 3
    assert sorted(track["sensor_track_id"] for track in swarm["tracks"]) == ["i-1", "i-2", "i-3"]
    assert api.get(SWARMS, {"active": "false"}).json()["count"] == 0
    assert api.get(f"{SWARMS}{swarm['id']}/").json()["tracks"][0]["last_lat"] is not None
    assert api.get(SWARMS, {"active": "maybe"}).status_code == 400
