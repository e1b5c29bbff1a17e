"""Remote ID in: the public examples of ASTM F3411 Network Remote ID (InterUSS monitoring's test
flights, as its mock USS serves them) and of the OpenDroneID message set (opendroneid-core-c's test
data) go through the sensor path — classified, the Remote ID the identifier, the pilot's position on
the track, in the tracks API and the hostile alert — and bad messages are a 400 naming the message
and field, storing nothing. Samples and their licences: tests/surveillance/samples/README.md."""

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.models import PositionReport, Track
from permits.models import State
from tests.conftest import square
from tests.surveillance.reports import REPORTS, TRACKS, report

pytestmark = pytest.mark.django_db

REMOTE_ID = "/api/v1/tracks/remote-id/"
SAMPLES = Path(__file__).parent / "samples"
STATE_FIELDS = ("timestamp_accuracy", "operational_status", "track", "speed", "speed_accuracy", "vertical_speed")


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def rid_flights(test_data, state_index, now):
    """F3411-22a GetFlightsResponse flights and RIDFlightDetails of InterUSS test flights, as its mock
    USS makes them (routes_ridsp_v22a.py): the state at `state_index` is the current_state, the
    times moved so that the flight's last state is a second ago. A flight with no state at that index
    has landed: it is left out."""
    flights, details = [], []
    for flight in test_data["flights"]:
        states = flight["states"]
        if state_index >= len(states):
            continue
        shift = now - timedelta(seconds=1) - datetime.fromisoformat(states[-1]["timestamp"])
        state = states[state_index]
        position = {key: value for key, value in state["position"].items()}
        current_state = {key: state[key] for key in STATE_FIELDS if key in state}
        if "timestamp" in state:
            moved = datetime.fromisoformat(state["timestamp"]) + shift
            current_state["timestamp"] = {"value": moved.isoformat(), "format": "RFC3339"}
        current_state["position"] = position
        flight_details = flight["flight_details"]
        flights.append(
            {
                "id": flight_details["id"],
                "aircraft_type": flight.get("aircraft_type", "NotDeclared"),
                "current_state": current_state,
                "simulated": True,
            }
        )
        operator_location = flight_details["operator_location"]
        details.append(
            {
                "id": flight_details["id"],
                "uas_id": {
                    "serial_number": flight_details.get("serial_number", ""),
                    "registration_id": flight_details.get("registration_number", ""),
                    "utm_id": flight_details["id"],
                },
                "operator_id": flight_details["operator_id"],
                "operation_description": flight_details["operation_description"],
                "operator_location": {
                    "position": {"lat": operator_location["lat"], "lng": operator_location["lng"]},
                    "altitude": {"value": 412.5, "reference": "W84", "units": "M"},
                    "altitude_type": "Takeoff",
                },
            }
        )
    return {"flights": flights, "flight_details": details}


@pytest.fixture
def receiver(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(body, expect=200, path=REMOTE_ID):
        response = client.post(path, body, format="json")
        assert response.status_code == expect, response.content
        return response.json()

    return post


def nothing_stored():
    return not Track.objects.exists() and not PositionReport.objects.exists()


# --- ASTM F3411 Network Remote ID --------------------------------------------------------------


def test_interuss_zurich_flights_become_tracks_keyed_by_their_serial_numbers(receiver):
    zurich = sample("interuss_monitoring_zurich.json")
    now = timezone.now()
    for state_index in range(17):
        results = receiver(rid_flights(zurich, state_index, now))["results"]
        assert {result["classification"] for result in results} == {"unregistered"}

    u_turn = Track.objects.get(identity="rid:1AKGAAN8G70R7JS")
    circle = Track.objects.get(identity="rid:ULYK563L5G")
    last_u_turn = zurich["flights"][0]["states"][-1]["position"]
    assert (u_turn.last_lat, u_turn.last_lon) == (last_u_turn["lat"], last_u_turn["lng"])
    # Height above take-off, not the WGS 84 altitude.
    assert u_turn.last_altitude_m == pytest.approx(last_u_turn["height"]["distance"])
    assert u_turn.sensor_track_id == "d22a1cef-a3e0-437f-92b5-44c1453f4068"
    assert PositionReport.objects.filter(track=u_turn).count() == 17
    assert PositionReport.objects.filter(track=circle).count() == 13
    # Where the pilot is: the flight details' operator location.
    assert (u_turn.operator_lat, u_turn.operator_lon) == (47.37085983569079, 8.487908591798265)
    assert u_turn.operator_altitude_m == 412.5


def test_the_pilots_position_is_in_the_tracks_api_and_in_the_hostile_alert(receiver, client_for, air_defense_user):
    receiver(rid_flights(sample("interuss_monitoring_zurich.json"), 0, timezone.now()))
    tracks = client_for(air_defense_user).get(TRACKS, {"remote_id": "ULYK563L5G"}).json()["results"]
    assert tracks[0]["operator_position"]["lat"] == 47.370902783740675
    assert tracks[0]["operator_position"]["lon"] == 8.507979542766373
    assert tracks[0]["operator_position"]["altitude_m"] == 412.5

    alert = AirDefenseNotification.objects.get(kind="track.hostile", track__remote_id="ULYK563L5G")
    assert alert.payload["track"]["operator_position"]["lat"] == 47.370902783740675
    assert alert.payload["track"]["operator_position"]["lon"] == 8.507979542766373


def test_a_registered_drone_flying_its_permit_by_network_remote_id_is_authorized(
    receiver, make_permit, make_aircraft, operator_user
):
    zurich = sample("interuss_monitoring_zurich.json")
    first = zurich["flights"][0]["states"][0]["position"]
    permit = make_permit(state=State.ACTIVE, area=square(first["lng"], first["lat"], 0.01), max_altitude_m=120)
    permit.aircraft.remote_id = "1AKGAAN8G70R7JS"
    permit.aircraft.save()
    results = receiver(rid_flights(zurich, 0, timezone.now()))["results"]
    assert results[0]["classification"] == "authorized"
    assert results[0]["permit"] == permit.reference


def test_a_flight_without_details_is_placed_but_has_no_remote_id_nor_pilot(receiver):
    body = rid_flights(sample("interuss_monitoring_zurich.json"), 0, timezone.now())
    del body["flight_details"]
    receiver(body)
    track = Track.objects.get(sensor_track_id="d22a1cef-a3e0-437f-92b5-44c1453f4068")
    assert track.remote_id == "" and track.operator_position is None


@pytest.mark.parametrize(
    "name, field, words",
    [
        ("invalid_wrong_track", ["current_state", "track"], "between 0 and 360"),
        ("invalid_no_timestamp", ["current_state", "timestamp"], "RFC 3339"),
        ("invalid_wrong_speed", ["current_state", "speed"], "between 0"),
        ("invalid_no_height", ["current_state", "position", "height", "distance"], "required"),
    ],
)
def test_interuss_invalid_flights_are_a_400_naming_flight_and_field_and_store_nothing(receiver, name, field, words):
    body = rid_flights(sample(f"interuss_monitoring_{name}.json"), 0, timezone.now())
    errors = receiver(body, expect=400)
    error = errors["flights"]["0"]
    for key in field:
        error = error[key]
    assert words in error[0]
    # The second flight of the request was good: nothing of the request is stored.
    assert "1" not in errors["flights"]
    assert nothing_stored()


def test_bad_flight_details_are_named_and_store_nothing(receiver):
    body = rid_flights(sample("interuss_monitoring_zurich.json"), 0, timezone.now())
    body["flight_details"][1]["operator_location"]["position"]["lat"] = 91
    errors = receiver(body, expect=400)
    assert "between -90 and 90" in errors["flight_details"]["1"]["operator_location"]["position"]["lat"][0]
    assert nothing_stored()


# --- OpenDroneID message set -------------------------------------------------------------------


def received_after_the_vector_time(now):
    """A reception time a second after the test vector's Location TimeStamp (360.52 s after the
    hour), in the past."""
    at = now.replace(minute=6, second=1, microsecond=520000)
    return at if at <= now else at - timedelta(hours=1)


def test_opendroneid_test_vector_becomes_a_track_with_the_pilots_position(receiver):
    received_at = received_after_the_vector_time(timezone.now())
    body = {**sample("opendroneid_core_c_test_inout.json"), "received_at": received_at.isoformat()}
    [result] = receiver(body)["results"]
    assert result["classification"] == "unregistered"

    track = Track.objects.get(pk=result["track"])
    assert track.identity == "rid:12345678901234567890"
    assert (track.last_lat, track.last_lon, track.last_altitude_m) == (45.539309, -122.966389, 80)
    # TimeStamp is tenths of seconds after the receiver's hour.
    assert track.last_observed_at == received_at - timedelta(seconds=1)
    assert (track.operator_lat, track.operator_lon, track.operator_altitude_m) == (45.539319, -122.966379, 20.5)
    evidence = PositionReport.objects.get(track=track)
    assert evidence.heading_deg == pytest.approx(215.7) and evidence.speed_mps == pytest.approx(5.4)


def test_a_serial_number_basic_id_is_preferred_to_the_registration(receiver, make_permit):
    permit = make_permit(state=State.ACTIVE)
    body = sample("opendroneid_core_c_test_inout.json")
    uas = body["uas_data"][0]
    uas["BasicID"].append({"UAType": 2, "IDType": 1, "UASID": permit.aircraft.remote_id})
    uas["Location"].update({"Latitude": 33.25, "Longitude": 44.30, "Height": 60, "TimeStamp": 0xFFFF})
    [result] = receiver(body)["results"]
    assert result["classification"] == "authorized"


def test_a_later_report_without_a_pilot_keeps_the_last_known_one(receiver):
    body = sample("opendroneid_core_c_test_inout.json")
    body["uas_data"][0]["Location"]["TimeStamp"] = 0xFFFF
    receiver(body)
    del body["uas_data"][0]["System"]
    receiver(body)
    track = Track.objects.get(identity="rid:12345678901234567890")
    assert PositionReport.objects.filter(track=track).count() == 2
    assert track.operator_position["lat"] == 45.539319


def test_an_ordinary_sensor_report_may_carry_the_pilots_position(sensor_user, client_for):
    body = {"reports": [report("t-9", operator={"lat": 33.26, "lon": 44.31})]}
    assert client_for(sensor_user).post(REPORTS, body, format="json").status_code == 200
    assert Track.objects.get(sensor_track_id="t-9").operator_position["lon"] == 44.31


def broken(change):
    body = sample("opendroneid_core_c_test_inout.json")
    good = copy.deepcopy(body["uas_data"][0])
    good["BasicID"][0]["UASID"] = "OTHER-DRONE"
    change(body["uas_data"][0])
    body["uas_data"] = [good, body["uas_data"][0]]
    return body


@pytest.mark.parametrize(
    "change, path, words",
    [
        (lambda uas: uas.pop("BasicID"), ["BasicID"], "required"),
        (lambda uas: uas["BasicID"][0].pop("UASID"), ["BasicID", "0", "UASID"], "required"),
        (lambda uas: uas.pop("Location"), ["Location"], "required"),
        (lambda uas: uas["Location"].update(Latitude=0, Longitude=0), ["Location", "Latitude"], "no position"),
        (lambda uas: uas["Location"].update(Longitude=-190), ["Location", "Longitude"], "between -180 and 180"),
        (lambda uas: uas["Location"].update(Height=-1000), ["Location", "Height"], "Unknown"),
        (lambda uas: uas["Location"].update(Direction="south"), ["Location", "Direction"], "number"),
        (lambda uas: uas["System"].update(OperatorLatitude=95), ["System", "OperatorLatitude"], "between -90 and 90"),
        (lambda uas: uas["OperatorID"].update(OperatorId=7), ["OperatorID", "OperatorId"], "string"),
    ],
)
def test_bad_opendroneid_messages_are_a_400_naming_message_and_field_and_store_nothing(receiver, change, path, words):
    errors = receiver(broken(change), expect=400)
    error = errors["uas_data"]["1"]
    for key in path:
        error = error[key]
    assert words in error[0]
    assert "0" not in errors["uas_data"]
    assert nothing_stored()


def test_a_message_set_heard_too_long_ago_is_named_by_its_location_timestamp(receiver):
    body = sample("opendroneid_core_c_test_inout.json")
    body["received_at"] = (timezone.now() - timedelta(days=3)).isoformat()
    errors = receiver(body, expect=400)
    assert "older than" in errors["uas_data"]["0"]["Location"]["TimeStamp"][0]
    assert nothing_stored()


def test_a_flight_whose_serial_number_is_too_long_is_named_by_its_uas_id(receiver):
    body = rid_flights(sample("interuss_monitoring_zurich.json"), 0, timezone.now())
    body["flight_details"][0]["uas_id"]["serial_number"] = "ß" * 64  # 128 characters once upper-cased
    errors = receiver(body, expect=400)
    assert "At most 64" in errors["flights"]["0"]["uas_id"][0]
    assert nothing_stored()


@pytest.mark.parametrize(
    "body, key",
    [
        ({}, "non_field_errors"),
        ({"flights": [], "uas_data": []}, "non_field_errors"),
        ({"uas_data": "all of them"}, "uas_data"),
        ({"flights": []}, "flights"),
        ({"uas_data": [{}], "received_at": "yesterday"}, "received_at"),
        ({"uas_data": [{}], "received_at": "2099-01-01T00:00:00Z"}, "received_at"),
    ],
)
def test_a_request_of_neither_shape_is_a_400(receiver, body, key):
    assert key in receiver(body, expect=400)
    assert nothing_stored()


def test_only_sensors_may_post_remote_id(client_for, air_defense_user):
    body = sample("opendroneid_core_c_test_inout.json")
    assert client_for(air_defense_user).post(REMOTE_ID, body, format="json").status_code == 403
    assert client_for(None).post(REMOTE_ID, body, format="json").status_code == 401
    assert nothing_stored()


def test_more_flights_than_track_report_batch_max_is_a_400_before_any_is_read(receiver, settings):
    # A cap on what one request may hold in memory (docs/SIZING.md): checked on the list's length.
    settings.TRACK_REPORT_BATCH_MAX = 2
    body = receiver({"flights": [{}, {}, {}]}, expect=400)
    assert body["flights"] == ["At most 2 per request, got 3."]
