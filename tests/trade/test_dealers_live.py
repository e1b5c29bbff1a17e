"""End to end on the real stack (the live server and a Celery worker), through the API as each party
would call it: a dealer imports and sells a drone, the buyer confirms it, staff verify it, it flies
under a permit and is authorized; another drone of the shipment, never sold, seen by a sensor, raises
a hostile alert that names its importer — delivered to air defense's live stream by the worker."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from permits.models import FlightPermit, State
from permits.services import activate_due_permits
from tests.conftest import square
from tests.fixtures_celery import StreamReader, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LON, LAT = 44.30, 33.25


class Party:
    """One user calling the live server's API with a token of their own."""

    def __init__(self, base_url, user):
        self.base_url, self.headers = base_url, {"Authorization": f"Token {get_api_token(user=user).key}"}

    def post(self, path, body=None, expect=200):
        response = requests.post(f"{self.base_url}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()

    def get(self, path, params=None):
        response = requests.get(f"{self.base_url}{path}", params=params, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def drone(number):
    return {
        "serial_number": f"DJI-M3E-{number:04d}",
        "remote_id": f"1581F5FKD{number:04d}",
        "manufacturer": "DJI",
        "model": "Mavic 3 Enterprise",
        "category": "multirotor",
        "mtow_kg": "0.915",
    }


def sighting(track_id, remote_id):
    at = timezone.now().isoformat()
    return {
        "sensor_track_id": track_id,
        "observed_at": at,
        "lat": LAT,
        "lon": LON,
        "altitude_m": 60,
        "remote_id": remote_id,
    }


def test_a_drones_life_from_customs_to_a_permitted_flight_and_an_unsold_one_traced_in_its_alert(
    celery_worker, live_server, make_user, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    dealer = Party(live_server.url, make_user(roles.DEALER, organization="Babylon Drone Imports"))
    pilot = Party(live_server.url, make_user(roles.OPERATOR, organization="Tigris Aerial Media"))
    officer = Party(live_server.url, make_user(roles.SENIOR_OFFICER))
    radar = Party(live_server.url, make_user(roles.SENSOR))
    watcher = make_user(roles.AIR_DEFENSE)
    stream = StreamReader(f"{live_server.url}/api/v1/air-defense/stream/", get_api_token(user=watcher).key)
    try:
        stream.wait_connected()

        # The dealer records the shipment and sells one drone to Tigris Aerial Media.
        shipment = dealer.post(
            "/api/v1/imports/shipments/",
            {"customs_reference": "IQ-CUS-2026-118", "imported_on": "2026-11-02", "drones": [drone(1), drone(2)]},
            expect=201,
        )
        sold, unsold = sorted(shipment["drones"], key=lambda item: item["serial_number"])
        dealer.post(
            f"/api/v1/imports/drones/{sold['id']}/sell/",
            {"buyer_name": "Tigris Aerial Media", "buyer_operator": "Tigris Aerial Media", "sold_on": "2026-11-20"},
            expect=201,
        )

        # The buyer confirms it (nothing typed again); staff verify it, seeing where it came from.
        [awaiting] = pilot.get("/api/v1/awaiting-registration/")["results"]
        assert awaiting["serial_number"] == sold["serial_number"]
        aircraft_id = pilot.post(f"/api/v1/awaiting-registration/{sold['id']}/confirm/", expect=201)["aircraft"]
        seen_by_staff = officer.get(f"/api/v1/aircraft/{aircraft_id}/")
        assert (seen_by_staff["status"], seen_by_staff["imported_by"]) == ("pending", "Babylon Drone Imports")
        assert officer.post(f"/api/v1/aircraft/{aircraft_id}/verify/")["status"] == "registered"

        # It flies under a permit: applied for, approved, and in effect when the radar sees it.
        starts_at = timezone.now() + timedelta(minutes=5)
        permit = pilot.post(
            "/api/v1/permits/",
            {
                "aircraft": aircraft_id,
                "purpose": "photography",
                "area": square(LON, LAT),
                "min_altitude_m": 0,
                "max_altitude_m": 120,
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            },
            expect=201,
        )
        pilot.post(f"/api/v1/permits/{permit['id']}/submit/", {})
        officer.post(f"/api/v1/permits/{permit['id']}/start-review/", {})
        officer.post(f"/api/v1/permits/{permit['id']}/approve/", {"reason": "Clear of the zones"})
        # Take-off now (the window moved to the present), then the clock activates it, as beat would.
        FlightPermit.objects.filter(pk=permit["id"]).update(starts_at=timezone.now() - timedelta(minutes=1))
        assert activate_due_permits() == 1
        flown = radar.post("/api/v1/tracks/reports/", {"reports": [sighting("r-1", sold["remote_id"])]})
        assert flown["results"][0]["classification"] == "authorized"
        assert flown["results"][0]["permit"] == FlightPermit.objects.get(pk=permit["id"]).reference

        # The other drone was never sold nor registered: the radar sees it, and the alert names its importer.
        seen = radar.post("/api/v1/tracks/reports/", {"reports": [sighting("r-2", unsold["remote_id"].lower())]})
        assert seen["results"][0]["classification"] == "unregistered"
        expected = "imported by Babylon Drone Imports on 2026-11-02, never sold"
        for _ in range(10):  # the permit's approval and activation come first on the stream
            event_id, kind, data = stream.next_event()
            if kind == "track.hostile":
                break
        assert data["payload"]["track"]["remote_id"] == unsold["remote_id"]
        assert data["payload"]["trace"] == expected
        alert = wait_for(
            lambda: AirDefenseNotification.objects.filter(pk=event_id, delivered_at__isnull=False).first(),
            message="the worker to mark the alert delivered",
        )
        assert alert.payload["trace"] == expected

        # Staff and air defense read the whole chain of either drone.
        chain = officer.get("/api/v1/trace/", {"identifier": sold["serial_number"]})
        assert [event["event"] for event in chain["events"]] == ["imported", "sold", "registered", "verified"]
        assert chain["operator"] == "Tigris Aerial Media" and chain["aircraft_status"] == "registered"
        assert FlightPermit.objects.get(pk=permit["id"]).state == State.ACTIVE
    finally:
        stream.close()
