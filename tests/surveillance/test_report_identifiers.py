"""A sensor reports a drone's Remote ID or serial number in whatever case it broadcasts: the one
normalization rule (airspace/registry/identifiers.py) applies as the report enters, so a legal drone
is not taken for a hostile one; the tracks list filters by Remote ID in any spelling."""

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.models import Aircraft
from airspace.surveillance.models import PositionReport, Track
from permits.models import State

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tracks/reports/"
# The fixtures' default permit area: a square of ±0.005° around 44.30 E, 33.25 N, 0-120 m.
INSIDE_THE_PERMIT = {"lat": 33.25, "lon": 44.30, "altitude_m": 60}
DRONE = {
    "serial_number": "sn-c0afa3",
    "remote_id": "rid-c0afa3",
    "manufacturer": "DJI",
    "model": "Mavic 3",
    "category": "multirotor",
    "mtow_kg": "0.895",
}


def report(remote_id, track="t-1"):
    at = timezone.now().isoformat()
    return {"sensor_track_id": track, "observed_at": at, "remote_id": remote_id, **INSIDE_THE_PERMIT}


@pytest.fixture
def registered_in_lower_case(client_for, operator_user, officer):
    """A drone registered through the API as typed in lower case, then verified by command staff."""
    response = client_for(operator_user).post("/api/v1/aircraft/", DRONE, format="json")
    assert response.status_code == 201, response.json()
    aircraft_id = response.json()["id"]
    assert client_for(officer).post(f"/api/v1/aircraft/{aircraft_id}/verify/").status_code == 200
    return Aircraft.objects.get(pk=aircraft_id)


@pytest.fixture
def flying_in_its_permit(registered_in_lower_case, make_permit, operator_user):
    return make_permit(state=State.ACTIVE, owner=operator_user, aircraft=registered_in_lower_case)


@pytest.fixture
def sensor_post(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post


# --- sensor reports: the headline -----------------------------------------------------------------


def test_a_legal_drone_reported_in_lower_case_is_authorized_and_raises_no_alert(sensor_post, flying_in_its_permit):
    [outcome] = sensor_post(report("rid-c0afa3"))

    assert outcome["classification"] == "authorized"
    assert outcome["permit"] == flying_in_its_permit.reference
    assert not AirDefenseNotification.objects.filter(kind__startswith="track.").exists()


@pytest.mark.parametrize("reported", ["sn-c0afa3", " Sn-C0AFA3 ", "SN-C0AFA3"])
def test_its_serial_number_in_any_case_identifies_it_too(sensor_post, flying_in_its_permit, reported):
    [outcome] = sensor_post(report(reported))
    assert outcome["classification"] == "authorized"


def test_every_spelling_of_a_remote_id_is_one_track_and_kept_in_the_registry_spelling(
    sensor_post, flying_in_its_permit
):
    outcomes = sensor_post(report("rid-c0afa3", track="a"), report("RID-C0AFA3", track="b"), report("Rid-C0afa3"))

    assert len({outcome["track"] for outcome in outcomes}) == 1
    assert {outcome["classification"] for outcome in outcomes} == {"authorized"}
    track = Track.objects.get()
    assert (track.identity, track.remote_id) == ("rid:RID-C0AFA3", "RID-C0AFA3")
    assert set(PositionReport.objects.values_list("remote_id", flat=True)) == {"RID-C0AFA3"}


def test_an_identifier_that_upper_casing_makes_too_long_is_a_400_naming_the_field(sensor_user, client_for):
    # "ß".upper() is "SS": 64 characters as sent, 128 as stored, which the column cannot hold.
    response = client_for(sensor_user).post(REPORTS, {"reports": [report("ß" * 64)]}, format="json")
    assert response.status_code == 400
    assert "remote_id" in response.json()["reports"]["0"]


# --- filters --------------------------------------------------------------------------------------


def test_the_track_list_filters_by_remote_id_in_any_spelling(
    sensor_post, client_for, air_defense_user, flying_in_its_permit
):
    sensor_post(report("RID-C0AFA3"), report(None, track="radar-7"))
    response = client_for(air_defense_user).get("/api/v1/tracks/", {"remote_id": "rid-c0afa3"})
    assert response.status_code == 200, response.json()
    assert [track["identity"] for track in response.json()["results"]] == ["rid:RID-C0AFA3"]
