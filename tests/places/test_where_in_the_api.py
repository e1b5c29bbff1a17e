"""Every position the service shows says where it is in words and MGRS: tracks, alerts, permits,
zones — through the real API, pages and PostgreSQL."""

import re

import pytest
from pyproj import Geod

from airspace import places
from airspace.air_defense.models import AirDefenseNotification
from permits.models import State
from tests.conftest import square
from tests.surveillance.reports import REPORTS, TRACKS, report

pytestmark = pytest.mark.django_db

MGRS = re.compile(r"^\d{1,2}[C-X] [A-Z]{2} \d{5} \d{5}$")
HIT_LAT, HIT_LON = 33.63664, 42.82768
# 3.2 km north-east of Hit (Al Anbar).
NEAR_HIT_LON, NEAR_HIT_LAT, _ = Geod(ellps="WGS84").fwd(HIT_LON, HIT_LAT, 45, 3200)


def test_a_hostile_alert_and_its_track_say_where_the_track_is(sensor_user, air_defense_user, client_for):
    response = client_for(sensor_user).post(
        REPORTS, {"reports": [report("bogey-1", lat=NEAR_HIT_LAT, lon=NEAR_HIT_LON)]}, format="json"
    )
    assert response.status_code == 200, response.content

    [alert] = AirDefenseNotification.objects.filter(kind="track.hostile")
    assert alert.payload["place"] == "3.2 km NE of Hit, Al Anbar"
    assert alert.payload["mgrs"] == places.to_mgrs(NEAR_HIT_LAT, NEAR_HIT_LON)
    assert MGRS.match(alert.payload["mgrs"])
    # The notifications API hands the payload on as it was written.
    [listed] = client_for(air_defense_user).get("/api/v1/air-defense/notifications/").json()["results"]
    assert (listed["payload"]["place"], listed["payload"]["mgrs"]) == (alert.payload["place"], alert.payload["mgrs"])

    [track] = client_for(air_defense_user).get(TRACKS).json()["results"]
    assert track["place"] == "3.2 km NE of Hit, Al Anbar"
    assert track["mgrs"] == alert.payload["mgrs"]


def test_a_permit_says_where_its_volume_is_in_the_api_its_page_and_its_notification(make_permit, client_for, client):
    permit = make_permit(state=State.APPROVED, area=square(44.3885, 33.3035, 0.002))  # the Green Zone
    owner = permit.operator.memberships.get().user

    body = client_for(owner).get(f"/api/v1/permits/{permit.pk}/").json()
    assert body["place"] == "at the Green Zone, Baghdad"
    assert body["mgrs"] == places.to_mgrs(33.3035, 44.3885)

    approved = AirDefenseNotification.objects.get(kind="permit.approved", permit=permit)
    assert approved.payload["place"] == "at the Green Zone, Baghdad"

    client.force_login(owner)
    page = client.get(f"/permits/{permit.pk}/").content.decode()
    assert "at the Green Zone, Baghdad" in page
    assert places.to_mgrs(33.3035, 44.3885) in page


def test_zones_say_where_they_are_in_the_api_and_on_their_page(officer, client_for, client, make_zone):
    make_zone(name="Hit bridge", area=square(NEAR_HIT_LON, NEAR_HIT_LAT, 0.001))

    [zone] = client_for(officer).get("/api/v1/zones/").json()["results"]
    assert zone["place"] == "3.2 km NE of Hit, Al Anbar"
    assert MGRS.match(zone["mgrs"])

    client.force_login(officer)
    assert "3.2 km NE of Hit, Al Anbar" in client.get("/zones/").content.decode()


def test_a_sensors_and_a_swarms_notification_say_where_they_are():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from airspace.air_defense.notifications import sensor_payload, swarm_payload

    sensor = SimpleNamespace(
        pk=1, name="radar-hit", kind="radar", health="offline", last_heard_at=None, lat=NEAR_HIT_LAT,
        lon=NEAR_HIT_LON, coverage_boundary=None, coverage_area=None, coverage_radius_m=None,
    )  # fmt: skip
    placed = sensor_payload(sensor=sensor, previous_health="ok", silent_s=90)
    assert placed["place"] == "3.2 km NE of Hit, Al Anbar" and MGRS.match(placed["mgrs"])
    unplaced = sensor_payload(sensor=SimpleNamespace(**{**vars(sensor), "lat": None, "lon": None}),
                              previous_health="ok", silent_s=90)  # fmt: skip
    assert (unplaced["place"], unplaced["mgrs"]) == (None, None)

    swarm = SimpleNamespace(
        pk=1, size=3, centre_lat=33.3035, centre_lon=44.3885, radius_m=120.0, detected_at=datetime.now(UTC)
    )
    assert swarm_payload(swarm=swarm, tracks=[])["place"] == "at the Green Zone, Baghdad"
