"""Position reports as a sensor posts them, around the fixtures' default permit area: shared by the
tests of classification (test_tracks.py) and of flight following (test_following.py)."""

import math

from django.utils import timezone
from rest_framework.test import APIClient

from airspace.accounts.services import get_api_token

REPORTS = "/api/v1/tracks/reports/"
TRACKS = "/api/v1/tracks/"
# The fixtures' default permit area: a square of ±0.005° around 44.30 E, 33.25 N, 0-120 m.
CENTRE_LON, CENTRE_LAT, HALF_SIDE = 44.30, 33.25, 0.005
EAST_EDGE = CENTRE_LON + HALF_SIDE
METRES_PER_DEGREE_LON = 111_320 * math.cos(math.radians(CENTRE_LAT))


def east_of_edge(metres):
    return EAST_EDGE + metres / METRES_PER_DEGREE_LON


def report(track="t-1", *, lon=CENTRE_LON, lat=CENTRE_LAT, altitude_m=60, at=None, remote_id=None, **extra):
    body = {
        "sensor_track_id": track,
        "observed_at": (at or timezone.now()).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": altitude_m,
        **extra,
    }
    if remote_id is not None:
        body["remote_id"] = remote_id
    return body


def poster(user):
    """A sensor's POST of reports with its API token: returns the results, asserting a 200."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {get_api_token(user=user).key}")

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post
