"""Where the pilot is, on the incident's page: a drone whose Remote ID reports its operator's position
opens an incident, and the page names the pilot's place (in words and MGRS) beside the track — what
a patrol is sent to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.incidents.models import Incident
from airspace.web.places import where

pytestmark = pytest.mark.django_db


def test_the_incident_page_says_where_the_pilot_is(make_user, client_for, client):
    radar = make_user(roles.SENSOR)
    report = {
        "sensor_track_id": "rid-77",
        "observed_at": (timezone.now() - timedelta(seconds=2)).isoformat(),
        "lat": 33.30,
        "lon": 44.40,
        "altitude_m": 80,
        "operator": {"lat": 33.26, "lon": 44.31},
    }
    response = client_for(radar).post("/api/v1/tracks/reports/", {"reports": [report]}, format="json")
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()

    client.force_login(make_user(roles.AIR_DEFENSE))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    pilot = where(33.26, 44.31)
    assert "Pilot" in page
    assert pilot["place"] in page and pilot["mgrs"] in page
    assert "33.26000, 44.31000" in page


def test_an_incident_without_a_reported_pilot_says_nothing_of_one(make_user, client_for, client):
    radar = make_user(roles.SENSOR)
    report = {
        "sensor_track_id": "radar-5",
        "observed_at": (timezone.now() - timedelta(seconds=2)).isoformat(),
        "lat": 33.30,
        "lon": 44.40,
        "altitude_m": 80,
    }
    assert client_for(radar).post("/api/v1/tracks/reports/", {"reports": [report]}, format="json").status_code == 200
    client.force_login(make_user(roles.AIR_DEFENSE))
    page = client.get(f"/incidents/{Incident.objects.get().pk}/").content.decode()
    assert 'class="pilot"' not in page
