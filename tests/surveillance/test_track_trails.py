"""The tracks' trails (`GET /api/v1/tracks/trails/`): each track's last positions from the evidence,
oldest first, with the track list's filters — what the console draws when it opens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from tests.surveillance.reports import REPORTS, report

pytestmark = pytest.mark.django_db
TRAILS = "/api/v1/tracks/trails/"


@pytest.fixture
def flown(sensor_user, client_for):
    """Two tracks flown east, 12 reports each a second apart, and one seen ten minutes ago."""
    sensor = client_for(sensor_user)
    start = timezone.now() - timedelta(seconds=20)
    for step in range(12):
        at = start + timedelta(seconds=step)
        batch = [report("east", lon=44.30 + step * 0.001, at=at), report("north", lat=33.25 + step * 0.001, at=at)]
        assert sensor.post(REPORTS, {"reports": batch}, format="json").status_code == 200
    old = report("old", lon=44.5, at=timezone.now() - timedelta(minutes=10))
    assert sensor.post(REPORTS, {"reports": [old]}, format="json").status_code == 200


def test_each_track_gets_its_last_positions_oldest_first(flown, air_defense_user, client_for):
    client = client_for(air_defense_user)
    tracks = {t["id"]: t["sensor_track_id"] for t in client.get("/api/v1/tracks/?active=true").json()["results"]}
    response = client.get(TRAILS, {"active": "true", "points": 5})
    assert response.status_code == 200, response.content
    trails = {tracks[trail["track"]]: trail["positions"] for trail in response.json()["results"]}
    assert set(trails) == {"east", "north"}  # the old one is not active
    east = trails["east"]
    assert [round(p["lon"], 3) for p in east] == [44.307, 44.308, 44.309, 44.310, 44.311]
    assert [p["observed_at"] for p in east] == sorted(p["observed_at"] for p in east)
    assert {round(p["lat"], 3) for p in east} == {33.25}
    assert len(client.get(TRAILS, {"active": "true"}).json()["results"][0]["positions"]) == 10  # the default


@pytest.mark.parametrize("points", ["1", "51", "many"])
def test_a_bad_number_of_points_is_a_400_naming_it(air_defense_user, client_for, points):
    response = client_for(air_defense_user).get(TRAILS, {"points": points})
    assert response.status_code == 400
    assert "points" in response.json()


def test_operators_do_not_read_trails(make_user, client_for):
    assert client_for(make_user(roles.OPERATOR)).get(TRAILS).status_code == 403
