"""Two web processes, as `--scale web=2` runs them: the Procfile's `web:` command on two ports, one
PostgreSQL, one Redis, the live Celery worker. Sensors post batches for the SAME tracks to both at
once, in rounds that move each drone in and out of its permit's volume (authorized, nonconforming,
authorized again...). Whichever process takes a track's round first announces the change; the
other finds it announced (or its report late): every expected alert once in the outbox and once on
the air defense stream, none lost, none doubled."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.models import PositionReport
from permits.models import FlightPermit, State
from tests.fixtures_celery import StreamReader, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REPORTS = "/api/v1/tracks/reports/"
DRONES = 8
# In, out, in, out, in: two excursions per drone, each announced, and two returns.
ROUNDS = ["inside", "outside", "inside", "outside", "inside"]
INSIDE_LON, OUTSIDE_LON, LAT = 44.30, 44.30 + 0.005 + 100 / 93_200, 33.25


def flying_permits(make_permit):
    permits = [make_permit(state=State.ACTIVE) for _ in range(DRONES)]
    now = timezone.now()
    FlightPermit.objects.filter(pk__in=[p.pk for p in permits]).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), updated_at=now
    )
    return permits


def batch(permits, where, at):
    lon = INSIDE_LON if where == "inside" else OUTSIDE_LON
    return {
        "reports": [
            {
                "sensor_track_id": f"drone-{n}",
                "remote_id": permit.aircraft.remote_id,
                "observed_at": at.isoformat(),
                "lat": LAT,
                "lon": lon,
                "altitude_m": 60,
            }
            for n, permit in enumerate(permits)
        ]
    }


def post_together(posts):
    """Each (url, body, token) posted in a thread of its own, released at once; their responses."""
    barrier = threading.Barrier(len(posts))
    responses = [None] * len(posts)

    def post(index, url, body, token):
        barrier.wait(timeout=30)
        responses[index] = requests.post(url, json=body, headers={"Authorization": f"Token {token}"}, timeout=60)

    threads = [threading.Thread(target=post, args=(i, *p)) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def test_two_web_processes_taking_the_same_tracks_announce_each_change_once(
    web_process, celery_worker, make_permit, make_user, air_defense_user
):
    permits = flying_permits(make_permit)
    first, second = web_process(), web_process()
    assert first.port != second.port
    radar, rf = (get_api_token(user=make_user(roles.SENSOR)).key for _ in range(2))
    # Remote ID makes one track of a drone whichever sensor sees it: the two sensors' batches meet on
    # the same rows, through different processes.
    reader = StreamReader(f"{second.url}/api/v1/air-defense/stream/", get_api_token(user=air_defense_user).key)
    try:
        reader.wait_connected()
        start = timezone.now() - timedelta(seconds=30)
        for number, where in enumerate(ROUNDS):
            at = start + timedelta(seconds=5 * number)
            responses = post_together(
                [
                    (f"{first.url}{REPORTS}", batch(permits, where, at), radar),
                    # The same round through the other process, half a second later in the sky.
                    (f"{second.url}{REPORTS}", batch(permits, where, at + timedelta(milliseconds=500)), rf),
                ]
            )
            assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
            expected = "authorized" if where == "inside" else "nonconforming"
            assert {result["classification"] for r in responses for result in r.json()["results"]} == {expected}

        excursions = ROUNDS.count("outside")
        returns = sum(1 for a, b in zip(ROUNDS, ROUNDS[1:], strict=False) if (a, b) == ("outside", "inside"))
        expected_kinds = {"track.nonconforming": excursions * DRONES, "track.conforming_again": returns * DRONES}

        def outbox():
            return list(AirDefenseNotification.objects.filter(kind__in=expected_kinds).order_by("created_at"))

        # Every report kept as evidence, from both processes.
        assert PositionReport.objects.count() == 2 * DRONES * len(ROUNDS)
        notifications = outbox()
        assert Counter(n.kind for n in notifications) == expected_kinds
        # Per drone: its changes in order, each once.
        by_track = {}
        for notification in notifications:
            by_track.setdefault(notification.track_id, []).append(notification.kind)
        assert len(by_track) == DRONES
        assert set(map(tuple, by_track.values())) == {
            ("track.nonconforming", "track.conforming_again", "track.nonconforming", "track.conforming_again")
        }

        # All delivered by the worker, and each heard once on the stream through the second process.
        wait_for(lambda: not AirDefenseNotification.objects.filter(delivered_at=None).exists(), message="delivery")
        heard = []  # (event id, kind) of the expected kinds, as the stream gave them
        deadline = time.monotonic() + 60
        while len(heard) < len(notifications):
            event_id, kind, _ = reader.next_event(timeout=max(deadline - time.monotonic(), 0.1))
            if kind in expected_kinds:
                heard.append((event_id, kind))
        assert Counter(event_id for event_id, _ in heard).most_common(1)[0][1] == 1  # none doubled
        assert {event_id for event_id, _ in heard} == {str(n.pk) for n in notifications}  # none lost
    finally:
        reader.close()
