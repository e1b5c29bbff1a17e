"""Alerts open and join incidents, through the real report API and the clock's passes: a hostile
report opens one, the next alert of the same track joins it, another track opens its own, a closed
incident is not joined, and a swarm's tracks share one — against PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.incidents import services
from airspace.incidents.models import Incident, IncidentTrack, State
from airspace.surveillance.following import follow_flights
from airspace.surveillance.models import Swarm, Track
from tests.conftest import square

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tracks/reports/"
LON, LAT = 44.45, 33.36


def report(track, *, lon=LON, lat=LAT, at=None):
    return {
        "sensor_track_id": track,
        "observed_at": (at or timezone.now()).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 90,
    }


@pytest.fixture
def sensor_api(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post


def hostile_alerts():
    return list(AirDefenseNotification.objects.filter(kind="track.hostile").order_by("created_at"))


def test_a_hostile_report_opens_an_incident_and_its_alert_names_it(sensor_api):
    [result] = sensor_api(report("intruder"))

    [incident] = Incident.objects.all()
    assert incident.state == State.OPEN and incident.alerts == 1
    assert (incident.lat, incident.lon) == (LAT, LON)
    assert list(incident.tracks.values_list("track_id", flat=True)) == [result["track"]]
    [alert] = hostile_alerts()
    assert alert.payload["incident"] == {"id": incident.pk}


def test_the_next_alert_of_the_same_track_joins_its_incident(sensor_api, make_zone):
    zone = make_zone(area=square(LON + 0.02, LAT), name="Green Zone")
    sensor_api(report("intruder", at=timezone.now() - timedelta(seconds=2)))
    # Into a prohibited zone: a second alert (raised to critical) for the same track.
    sensor_api(report("intruder", lon=LON + 0.02))

    [incident] = Incident.objects.all()
    assert incident.alerts == 2
    assert incident.tracks.get().alerts == 2
    first, second = hostile_alerts()
    assert first.payload["incident"] == second.payload["incident"] == {"id": incident.pk}
    assert second.payload["zone"]["name"] == zone.name


def test_reports_that_raise_no_alert_open_nothing(sensor_api):
    now = timezone.now()
    sensor_api(report("intruder", at=now - timedelta(seconds=3)))
    sensor_api(report("intruder", at=now - timedelta(seconds=2), lon=LON + 0.0001))
    sensor_api(report("intruder", at=now, lon=LON + 0.0002))
    assert Incident.objects.get().alerts == 1


def test_another_track_opens_its_own_incident(sensor_api):
    sensor_api(report("intruder-1"), report("intruder-2", lon=LON + 0.3))
    assert Incident.objects.count() == 2
    assert IncidentTrack.objects.values("incident").distinct().count() == 2


def test_a_closed_incident_is_not_joined(sensor_api, make_zone, air_defense_user):
    make_zone(area=square(LON + 0.02, LAT))
    sensor_api(report("intruder", at=timezone.now() - timedelta(seconds=2)))
    first = Incident.objects.get()
    services.dismiss(incident_id=first.pk, user=air_defense_user, reason="a kite")
    sensor_api(report("intruder", lon=LON + 0.02))

    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.state == State.OPEN and second.alerts == 1
    first.refresh_from_db()
    assert first.alerts == 1


def test_a_swarm_shares_one_incident(sensor_api):
    sensor_api(report("i-1"), report("i-2", lon=LON + 0.002), report("i-3", lat=LAT + 0.002))
    assert Incident.objects.count() == 3

    follow_flights()

    swarm = Swarm.objects.get()
    [incident] = Incident.objects.filter(merged_into=None)
    assert incident.swarm == swarm
    assert sorted(incident.tracks.values_list("track_id", flat=True)) == sorted(swarm.track_ids)
    assert incident.alerts == 4  # three hostile alerts and the swarm's
    [alert] = AirDefenseNotification.objects.filter(kind="swarm")
    assert alert.payload["incident"] == {"id": incident.pk}
    # The other two were folded into it: their alerts, which name them, lead there.
    folded = Incident.objects.exclude(pk=incident.pk)
    assert [row.merged_into_id for row in folded] == [incident.pk, incident.pk]


def test_a_folded_incident_leads_to_the_swarms(sensor_api, client_for, air_defense_user, client):
    sensor_api(report("i-1"), report("i-2", lon=LON + 0.002), report("i-3", lat=LAT + 0.002))
    follow_flights()
    target = Incident.objects.get(merged_into=None)
    folded = Incident.objects.exclude(pk=target.pk).first()
    api = client_for(air_defense_user)

    assert [row["id"] for row in api.get("/api/v1/incidents/").json()["results"]] == [target.pk]
    assert api.get(f"/api/v1/incidents/{folded.pk}/").json()["merged_into"] == target.pk
    refused = api.post(f"/api/v1/incidents/{folded.pk}/respond/", {}, format="json")
    assert refused.status_code == 409 and f"incident {target.pk}" in refused.json()["detail"]
    client.force_login(air_defense_user)
    assert client.get(f"/incidents/{folded.pk}/").url == f"/incidents/{target.pk}/"


def test_an_incident_already_worked_keeps_its_track_out_of_the_swarm(sensor_api, make_unit, air_defense_user):
    sensor_api(report("i-1"), report("i-2", lon=LON + 0.002), report("i-3", lat=LAT + 0.002))
    worked = Track.objects.get(sensor_track_id="i-1").incident_links.get().incident
    services.assign_unit(incident_id=worked.pk, user=air_defense_user, unit_id=make_unit().pk)

    follow_flights()

    worked.refresh_from_db()
    assert worked.state == State.RESPONDING and worked.tracks.count() == 1
    swarm_incident = Incident.objects.exclude(pk=worked.pk).get(merged_into=None)
    assert swarm_incident.tracks.count() == 2 and swarm_incident.swarm is not None


def test_an_escalated_flight_opens_an_incident(make_permit, client_for, sensor_user, settings):
    """A permitted flight outside its volume past the grace: the clock's escalation opens one."""
    settings.NONCONFORMING_GRACE_S = 1
    permit = make_permit(state="active")
    client = client_for(sensor_user)
    remote_id = permit.aircraft.remote_id
    outside = {**report("p-1", lon=44.30 + 0.0065, lat=33.25), "remote_id": remote_id, "altitude_m": 60}
    assert client.post(REPORTS, {"reports": [outside]}, format="json").status_code == 200
    assert not Incident.objects.exists()  # nonconforming: a warning, no incident yet

    follow_flights(now=timezone.now() + timedelta(seconds=5))

    [incident] = Incident.objects.all()
    [alert] = AirDefenseNotification.objects.filter(kind="track.hostile")
    assert alert.payload["incident"] == {"id": incident.pk}


def test_staff_read_the_alerts_incident_through_the_api(sensor_api, client_for, make_user):
    sensor_api(report("intruder"))
    incident = Incident.objects.get()
    body = client_for(make_user(roles.AIR_DEFENSE)).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["state"] == "open"
    [track] = body["tracks"]
    assert track["identity"].endswith(":intruder") and track["identified_as"] == "not identified"
