"""Cursor on Target from the deployment's processes: a Celery worker on the `c2` queue and the beat
that ticks it, sending to a TAK listener on 127.0.0.1 that goes away and comes back. The alerts
written while it was away still arrive (at least once), and the tracks keep coming at the tick's
rate, not the sensors'."""

import socket
import time

import pytest
import redis
from django.conf import settings

from airspace.c2 import cot
from airspace.c2.models import TakDelivery, TakEndpoint
from airspace.surveillance.models import Track
from tests.c2.listeners import TcpListener
from tests.fixtures_celery import wait_for
from tests.surveillance.reports import CENTRE_LAT, REPORTS, report

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TICK_S = 0.5
C2_ENV = {"TAK_SEND_INTERVAL_S": str(TICK_S), "TAK_BACKOFF_MAX_S": "1", "TAK_TIMEOUT_S": "2"}


@pytest.fixture(scope="module")
def c2_processes(worker_factory, beat_factory):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # leftovers of earlier runs (this test Redis db only)
    worker = worker_factory(queues="c2", extra_env=C2_ENV)
    beat = beat_factory(extra_env=C2_ENV)
    return worker, beat


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hostile_drone(client, remote_id, lat):
    """A sensor sees an unregistered drone: a hostile track and its alert, committed."""
    response = client.post(REPORTS, {"reports": [report(remote_id, remote_id=remote_id, lat=lat)]}, format="json")
    assert response.status_code == 200, response.content
    track = Track.objects.get(remote_id=remote_id)
    return track, track.notifications.get(kind="track.hostile")


def endpoint_failed(endpoint):
    endpoint.refresh_from_db()
    return endpoint.consecutive_failures >= 1 and endpoint.last_error


def test_a_tak_server_that_goes_away_and_comes_back_gets_every_alert(c2_processes, sensor_user, client_for):
    worker, _ = c2_processes
    sensor = client_for(sensor_user)
    port = free_port()
    endpoint = TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{port}")

    # Nobody listens yet: the alert waits, the endpoint's failure is recorded.
    first_track, first_alert = hostile_drone(sensor, "ROGUE-1", CENTRE_LAT + 0.01)
    wait_for(lambda: endpoint_failed(endpoint), message=f"the refused send to be recorded\n{worker.log_text()}")
    assert TakDelivery.objects.get(endpoint=endpoint, notification=first_alert).delivered_at is None

    # The TAK server comes up: the worker connects again and the alert arrives, then is delivered.
    tak = TcpListener(port=port)
    try:
        event = tak.wait_for_uid(cot.alert_uid(first_alert.pk))
        assert event.get("type") == "b-a-g"
        assert tak.wait_for_uid(cot.track_uid(first_track.pk)).get("type") == "a-h-A-M-F-Q"
        wait_for(
            lambda: TakDelivery.objects.get(endpoint=endpoint, notification=first_alert).delivered_at,
            message="the delivery to be recorded",
        )
        # Rate limited: one position per tick, whatever the sensors send meanwhile.
        received_before = len(tak.by_uid(cot.track_uid(first_track.pk)))
        started = time.monotonic()
        for _ in range(20):
            sensor.post(
                REPORTS, {"reports": [report("ROGUE-1", remote_id="ROGUE-1", lat=CENTRE_LAT + 0.01)]}, format="json"
            )
        time.sleep(2)
        sends = len(tak.by_uid(cot.track_uid(first_track.pk))) - received_before
        assert 1 <= sends <= (time.monotonic() - started) / TICK_S + 2
    finally:
        tak.stop()

    # It goes away again; an alert written meanwhile arrives once it is back.
    second_track, second_alert = hostile_drone(sensor, "ROGUE-2", CENTRE_LAT - 0.01)
    TakEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0, last_error="")
    wait_for(lambda: endpoint_failed(endpoint), message="the send to the stopped listener to fail")
    tak = TcpListener(port=port)
    try:
        assert tak.wait_for_uid(cot.alert_uid(second_alert.pk)).find("detail/link").get("uid") == cot.track_uid(
            second_track.pk
        )
        wait_for(
            lambda: TakDelivery.objects.get(endpoint=endpoint, notification=second_alert).delivered_at,
            message="the second delivery to be recorded",
        )
    finally:
        tak.stop()
    assert TakDelivery.objects.filter(endpoint=endpoint, delivered_at=None).count() == 0
