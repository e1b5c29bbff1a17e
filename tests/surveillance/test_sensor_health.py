"""Sensor health and coverage: a sensor that stops posting goes stale, then offline, and online when
heard again (reports or heartbeats); its coverage and reporting expectation set by command staff
through the API and the admin; the tracks it saw last — against PostgreSQL, the clock moved by `now`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.following import follow_flights
from airspace.surveillance.models import Sensor
from tests.conftest import square

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tracks/reports/"
HEARTBEAT = "/api/v1/sensors/heartbeat/"
SENSORS = "/api/v1/sensors/"
TRACKS = "/api/v1/tracks/"


def report(track="t-1", *, lon=44.30, lat=33.25, at=None):
    return {
        "sensor_track_id": track,
        "observed_at": (at or timezone.now()).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 80,
    }


@pytest.fixture
def sensor_client(sensor_user, client_for):
    return client_for(sensor_user)


@pytest.fixture
def sensor(sensor_user):
    return Sensor.objects.get(user=sensor_user)


def notifications(kind):
    return list(AirDefenseNotification.objects.filter(kind=kind).order_by("created_at"))


def health_after(seconds, sensor):
    follow_flights(now=timezone.now() + timedelta(seconds=seconds))
    sensor.refresh_from_db()
    return sensor.health


def test_a_sensor_that_stops_posting_goes_stale_then_offline_then_online(sensor_client, sensor, settings):
    assert sensor.health == "unknown"
    assert sensor_client.post(REPORTS, {"reports": [report()]}, format="json").status_code == 200
    sensor.refresh_from_db()
    assert sensor.health == "online" and sensor.last_heard_at is not None

    assert health_after(settings.SENSOR_STALE_S - 2, sensor) == "online"
    assert health_after(settings.SENSOR_STALE_S + 1, sensor) == "stale"
    assert health_after(settings.SENSOR_STALE_S + 2, sensor) == "stale"
    assert health_after(settings.SENSOR_OFFLINE_S + 1, sensor) == "offline"
    assert health_after(settings.SENSOR_OFFLINE_S + 60, sensor) == "offline"
    [stale] = notifications("sensor.stale")
    [offline] = notifications("sensor.offline")
    assert (stale.severity, offline.severity) == ("info", "warning")
    assert offline.payload["sensor"]["name"] == sensor.name
    assert offline.payload["sensor"]["previous_health"] == "stale"
    assert offline.payload["tracks_last_seen"] == 1

    answer = sensor_client.post(HEARTBEAT, format="json")
    assert answer.status_code == 200
    assert answer.json()["health"] == "online"
    sensor.refresh_from_db()
    assert sensor.health == "online"
    [online] = notifications("sensor.online")
    assert online.severity == "info"
    assert online.payload["sensor"]["previous_health"] == "offline"
    # Heard again: no second notification for the next heartbeat, nor the next tick.
    sensor_client.post(HEARTBEAT, format="json")
    follow_flights(now=timezone.now())
    assert len(notifications("sensor.online")) == 1


def test_heartbeats_keep_a_quiet_sensor_online(sensor_client, sensor, settings):
    sensor_client.post(HEARTBEAT, format="json")
    sensor.refresh_from_db()
    assert sensor.health == "online"
    assert health_after(settings.SENSOR_STALE_S - 1, sensor) == "online"


def test_a_bad_batch_still_says_the_sensor_is_on_the_air(sensor_client, sensor):
    response = sensor_client.post(REPORTS, {"reports": [{"sensor_track_id": "x"}]}, format="json")
    assert response.status_code == 400
    sensor.refresh_from_db()
    assert sensor.health == "online"


def test_a_sensor_never_heard_or_deactivated_is_not_watched(sensor_client, sensor, make_user):
    quiet = Sensor.objects.get(user=make_user(roles.SENSOR))
    sensor_client.post(HEARTBEAT, format="json")
    Sensor.objects.filter(pk=sensor.pk).update(active=False)
    follow_flights(now=timezone.now() + timedelta(hours=1))
    quiet.refresh_from_db()
    sensor.refresh_from_db()
    assert (quiet.health, sensor.health) == ("unknown", "online")
    assert not AirDefenseNotification.objects.filter(kind__startswith="sensor.").exists()


def test_a_sensor_of_its_own_expectation(sensor_client, sensor):
    Sensor.objects.filter(pk=sensor.pk).update(stale_after_s=300, offline_after_s=900)
    sensor_client.post(HEARTBEAT, format="json")
    assert health_after(200, sensor) == "online"
    assert health_after(301, sensor) == "stale"
    assert health_after(901, sensor) == "offline"


def test_offline_is_critical_where_the_coverage_overlaps_a_prohibited_zone(
    sensor_client, sensor, officer, client_for, make_zone, settings
):
    make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    make_zone(name="Airport approach", kind="restricted", area=square(44.40, 33.32, 0.01))
    coverage = {"coverage_area": {"type": "Point", "coordinates": [44.38, 33.30]}, "coverage_radius_m": 5000}
    answer = client_for(officer).patch(f"{SENSORS}{sensor.pk}/", coverage, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["coverage_boundary"]["type"] == "Polygon"
    sensor_client.post(HEARTBEAT, format="json")

    follow_flights(now=timezone.now() + timedelta(seconds=settings.SENSOR_OFFLINE_S + 1))
    [offline] = notifications("sensor.offline")
    assert offline.severity == "critical"
    assert offline.payload["prohibited_zones_covered"] == [{"name": "Green Zone", "kind": "prohibited"}]
    assert offline.payload["sensor"]["coverage"]["radius_m"] == 5000


def test_offline_far_from_any_prohibited_zone_is_a_warning(sensor_client, sensor, make_zone, settings):
    make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    Sensor.objects.filter(pk=sensor.pk).update(
        coverage_area={"type": "Point", "coordinates": [43.0, 32.0]},
        coverage_radius_m=1000,
        coverage_boundary=square(43.0, 32.0, 0.01),
    )
    sensor_client.post(HEARTBEAT, format="json")
    follow_flights(now=timezone.now() + timedelta(seconds=settings.SENSOR_OFFLINE_S + 1))
    [offline] = notifications("sensor.offline")
    assert offline.severity == "warning"
    assert offline.payload["prohibited_zones_covered"] == []


def test_the_tracks_api_says_which_tracks_a_now_offline_sensor_saw_last(
    sensor_client, sensor, air_defense_user, client_for, make_user, settings
):
    other = make_user(roles.SENSOR)
    sensor_client.post(REPORTS, {"reports": [report("seen-by-offline")]}, format="json")
    client_for(other).post(REPORTS, {"reports": [report("seen-by-other", lat=33.26)]}, format="json")
    Sensor.objects.filter(pk=sensor.pk).update(last_heard_at=timezone.now() - timedelta(hours=1))
    follow_flights(now=timezone.now())
    sensor.refresh_from_db()
    assert sensor.health == "offline"

    api = client_for(air_defense_user)
    tracks = {track["sensor_track_id"]: track for track in api.get(TRACKS).json()["results"]}
    assert tracks["seen-by-offline"]["sensor_offline"] is True
    assert tracks["seen-by-offline"]["sensor_health"] == "offline"
    assert tracks["seen-by-other"]["sensor_offline"] is False
    [only] = api.get(TRACKS, {"sensor_offline": "true"}).json()["results"]
    assert only["sensor_track_id"] == "seen-by-offline"


# --- the heartbeat and sensors API ----------------------------------------------------------


def test_only_sensors_send_heartbeats(client_for, air_defense_user, sensor_client):
    assert client_for(air_defense_user).post(HEARTBEAT).status_code == 403
    assert client_for(None).post(HEARTBEAT).status_code in (401, 403)
    answer = sensor_client.post(HEARTBEAT, {"anything": "ignored"}, format="json").json()
    assert set(answer) == {"sensor", "health", "last_heard_at", "stale_after_s", "offline_after_s"}


def test_a_deactivated_sensor_cannot_send_heartbeats(sensor_client, sensor):
    Sensor.objects.filter(pk=sensor.pk).update(active=False)
    answer = sensor_client.post(HEARTBEAT)
    assert answer.status_code == 403
    assert "deactivated" in answer.json()["detail"]


def test_the_heartbeat_and_sensor_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/sensors/heartbeat/", "/api/v1/sensors/", "/api/v1/sensors/{id}/", "/api/v1/swarms/"} <= set(
        schema["paths"]
    )
    kinds = schema["components"]["schemas"]["NotificationKindEnum"]["enum"]
    assert {"track.contact_lost", "track.contact_regained", "track.conforming_again", "sensor.offline", "swarm"} <= set(
        kinds
    )


def test_staff_and_air_defense_read_the_sensors_others_do_not(
    sensor, officer, air_defense_user, operator_user, client_for
):
    for reader in (officer, air_defense_user):
        [row] = client_for(reader).get(SENSORS).json()["results"]
        assert (row["name"], row["health"]) == (sensor.name, "unknown")
    assert client_for(operator_user).get(SENSORS).status_code == 403
    assert client_for(sensor.user).get(SENSORS).status_code == 403


def test_only_command_staff_set_a_sensors_coverage(sensor, air_defense_user, officer, client_for):
    body = {"coverage_area": square(44.3, 33.3, 0.05)}
    assert client_for(air_defense_user).patch(f"{SENSORS}{sensor.pk}/", body, format="json").status_code == 403
    answer = client_for(officer).patch(f"{SENSORS}{sensor.pk}/", body, format="json")
    assert answer.status_code == 200
    sensor.refresh_from_db()
    assert sensor.coverage_boundary["type"] == "Polygon"
    # Cleared again.
    answer = client_for(officer).patch(f"{SENSORS}{sensor.pk}/", {"coverage_area": None}, format="json")
    assert answer.status_code == 200
    sensor.refresh_from_db()
    assert (sensor.coverage_area, sensor.coverage_boundary) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"coverage_area": {"type": "Point", "coordinates": [44.3, 33.3]}}, "coverage_radius_m"),
        (
            {"coverage_area": {"type": "Point", "coordinates": [44.3, 33.3]}, "coverage_radius_m": 10**9},
            "coverage_radius_m",
        ),
        ({"coverage_area": {"type": "LineString", "coordinates": [[44.3, 33.3], [44.4, 33.4]]}}, "coverage_area"),
        ({"coverage_area": "north of the river"}, "coverage_area"),
        ({"coverage_radius_m": 500}, "coverage_radius_m"),
        (
            {
                "coverage_area": {
                    "type": "Polygon",
                    "coordinates": [[[44 + n / 1e4, 33 + (n % 2) / 1e3] for n in range(1500)]],
                }
            },
            "coverage_area",
        ),
        ({"stale_after_s": 1}, "stale_after_s"),
        ({"stale_after_s": "soon"}, "stale_after_s"),
        ({"stale_after_s": 200, "offline_after_s": 100}, "offline_after_s"),
        ({"offline_after_s": 10}, "offline_after_s"),
        ({"lat": 200}, "lat"),
    ],
)
def test_bad_sensor_settings_are_a_400_naming_the_field(sensor, officer, client_for, body, field):
    answer = client_for(officer).patch(f"{SENSORS}{sensor.pk}/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()


def test_the_admin_checks_a_sensors_coverage(sensor, admin_client):
    url = f"/admin/airspace/sensor/{sensor.pk}/change/"
    form = {
        "user": sensor.user_id,
        "name": sensor.name,
        "kind": "radar",
        "active": "on",
        "coverage_area": '{"type": "Point", "coordinates": [44.3, 33.3]}',
        "coverage_radius_m": "",
        "stale_after_s": "",
        "offline_after_s": "",
    }
    answer = admin_client.post(url, form)
    assert answer.status_code == 200
    assert "A circle needs its radius in metres." in answer.content.decode()
    answer = admin_client.post(url, {**form, "coverage_radius_m": "3000"})
    assert answer.status_code == 302
    sensor.refresh_from_db()
    assert sensor.coverage_radius_m == 3000 and sensor.coverage_boundary["type"] == "Polygon"


def test_a_coverage_polygon_has_as_many_vertices_as_an_area_may(sensor, officer, client_for, settings):
    settings.MAX_AREA_VERTICES = 10
    ring = [[44.3 + 0.01 * n / 20, 33.3 + (0.01 if n % 2 else 0)] for n in range(20)]
    body = {"coverage_area": {"type": "Polygon", "coordinates": [ring + [ring[0]]]}}
    answer = client_for(officer).patch(f"{SENSORS}{sensor.pk}/", body, format="json")
    assert answer.status_code == 400
    assert "at most 10" in answer.json()["coverage_area"][0]


def test_a_sensor_heard_after_the_clock_read_it_is_not_declared_offline(sensor_client, sensor, settings):
    from airspace.surveillance.airspace_index import current_index
    from airspace.surveillance.following import move_sensor_health, sensors_due

    sensor_client.post(HEARTBEAT)
    # Last heard a while ago (a sensor's heartbeats are written at most once a second).
    Sensor.objects.filter(pk=sensor.pk).update(last_heard_at=timezone.now() - timedelta(seconds=5))
    later = timezone.now() + timedelta(seconds=settings.SENSOR_OFFLINE_S)
    [(read, health, silent_s)] = sensors_due(now=later)  # the clock reads the sensor...
    assert health == "offline"
    sensor_client.post(HEARTBEAT)  # ...the sensor is heard...
    # ...and the clock's change, made from what it read, does not happen.
    assert move_sensor_health(sensor=read, health=health, silent_s=silent_s, index=current_index(), now=later) is False
    sensor.refresh_from_db()
    assert sensor.health == "online"
    assert not notifications("sensor.offline")


def test_two_clocks_that_read_the_same_sensor_move_it_once(sensor_client, sensor, settings):
    from airspace.surveillance.airspace_index import current_index
    from airspace.surveillance.following import move_sensor_health, sensors_due

    sensor_client.post(HEARTBEAT)
    later = timezone.now() + timedelta(seconds=settings.SENSOR_OFFLINE_S + 1)
    first, second = sensors_due(now=later), sensors_due(now=later)
    index = current_index()
    moved = [move_sensor_health(sensor=s, health=h, silent_s=t, index=index, now=later) for s, h, t in first + second]
    assert moved == [True, False]
    assert len(notifications("sensor.offline")) == 1


def test_the_demo_radar_covers_central_baghdad_and_keeps_a_coverage_staff_set():
    import io

    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    radar = Sensor.objects.get(user__username="radar1")
    assert (radar.coverage_area["coordinates"], radar.coverage_radius_m) == ([44.38, 33.31], 12_000)
    Sensor.objects.filter(pk=radar.pk).update(coverage_radius_m=3000)
    call_command("seed_demo", stdout=io.StringIO())
    radar.refresh_from_db()
    assert radar.coverage_radius_m == 3000
