"""Tracks against committed data: two batches for the same track at once (two real database
connections), and a hostile report reaching the live stream through a real Celery worker."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.models import PositionReport, Track
from permits.models import State
from tests.conftest import run_together
from tests.fixtures_celery import StreamReader

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/api/v1/tracks/reports/"


def batch(track_ids, *, lat=33.30, lon=44.40):
    now = timezone.now().isoformat()
    return {
        "reports": [
            {"sensor_track_id": track_id, "observed_at": now, "lat": lat, "lon": lon, "altitude_m": 80}
            for track_id in track_ids
        ]
    }


def post_at_once(token, bodies):
    """POST each body at the same moment, each from its own thread and database connection."""

    def poster(body):
        def post():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            return client.post(REPORTS, body, format="json").status_code

        return post

    return run_together(*[poster(body) for body in bodies])


@pytest.mark.parametrize("round_", range(5))
def test_two_batches_for_one_new_track_at_once_raise_one_alert(sensor_user, round_):
    token = get_api_token(user=sensor_user).key
    shared = f"ghost-{round_}"
    # Overlapping tracks in opposite orders: the lock order, not the batch order, must decide.
    first = [shared] + [f"a{round_}-{i}" for i in range(50)] + [f"both{round_}-{i}" for i in range(50)]
    second = [f"both{round_}-{i}" for i in reversed(range(50))] + [f"b{round_}-{i}" for i in range(50)] + [shared]

    assert post_at_once(token, [batch(first), batch(second)]) == [200, 200]

    assert Track.objects.count() == 151
    assert PositionReport.objects.count() == 202
    assert AirDefenseNotification.objects.filter(kind="track.hostile").count() == 151
    ghost = Track.objects.get(sensor_track_id=shared)
    assert ghost.notifications.count() == 1
    assert ghost.reports.count() == 2


@pytest.mark.parametrize("round_", range(3))
def test_two_batches_changing_one_known_track_at_once_raise_one_alert(sensor_user, make_permit, round_):
    permit = make_permit(state=State.ACTIVE)
    token = get_api_token(user=sensor_user).key
    remote_id = permit.aircraft.remote_id

    def report(lon):
        return {
            "sensor_track_id": "friendly",
            "remote_id": remote_id,
            "observed_at": timezone.now().isoformat(),
            "lat": 33.25,
            "lon": lon,
            "altitude_m": 80,
        }

    assert post_at_once(token, [{"reports": [report(44.30)]}]) == [200]
    assert Track.objects.get().classification == "authorized"
    # Both batches see the drone leave its volume; only one of them may report the change.
    outside = [{"reports": [report(44.32 + i / 1000) for i in range(20)]} for _ in range(2)]
    assert post_at_once(token, outside) == [200, 200]

    assert Track.objects.get().classification == "nonconforming"
    assert AirDefenseNotification.objects.filter(kind="track.nonconforming").count() == 1
    assert PositionReport.objects.count() == 41


@pytest.mark.worker
def test_hostile_report_reaches_the_live_stream_through_the_worker(
    celery_worker, live_server, sensor_user, air_defense_user, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    sensor_token = get_api_token(user=sensor_user).key
    reader = StreamReader(f"{live_server.url}/api/v1/air-defense/stream/", get_api_token(user=air_defense_user).key)
    try:
        reader.wait_connected()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {sensor_token}")
        response = client.post(REPORTS, batch(["intruder-1"]), format="json")
        assert response.status_code == 200
        assert response.json()["results"][0]["classification"] == "unregistered"

        event_id, kind, data = reader.next_event()
        notification = AirDefenseNotification.objects.get(kind="track.hostile")
        assert (event_id, kind) == (str(notification.pk), "track.hostile")
        assert data["payload"]["track"]["sensor_track_id"] == "intruder-1"
        assert data["payload"]["track"]["position"]["lat"] == 33.30
    finally:
        reader.close()
