"""A sensor batch locks its tracks: two batches for the same tracks wait for each other and announce a
change once, whatever order their reports come in — against PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.surveillance.models import Track
from tests.conftest import hold_uncommitted, run_together, someone_waits_for_a_lock
from tests.surveillance.reports import poster, report


@pytest.mark.django_db(transaction=True)
def test_a_batch_waits_for_another_transaction_holding_its_track(sensor_user):
    post = poster(sensor_user)
    post(report("held"))
    written, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=hold_uncommitted,
        args=(lambda: list(Track.objects.select_for_update().filter(sensor_track_id="held")), written, release),
    )
    holder.start()
    assert written.wait(10)
    outcome = {}

    def batch_of_the_held_track():
        try:
            outcome["results"] = post(report("held"))
        finally:
            connections.close_all()

    batch = threading.Thread(target=batch_of_the_held_track)
    batch.start()
    try:
        for _ in range(100):
            if someone_waits_for_a_lock():
                break
            threading.Event().wait(0.05)
        assert someone_waits_for_a_lock(), "the batch did not wait for the track's lock"
        assert "results" not in outcome
    finally:
        release.set()
        holder.join(30)
        batch.join(30)
    assert outcome["results"][0]["classification"] == "unregistered"


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_for_the_same_new_tracks_announce_each_once(sensor_user):
    post = poster(sensor_user)
    names = [f"twin-{n}" for n in range(30)]
    now = timezone.now()
    first = [report(name, at=now) for name in names]
    # The other batch sends the same tracks in the reverse order: the locks are still taken in identity order.
    second = [report(name, at=now + timedelta(milliseconds=500)) for name in reversed(names)]
    results = run_together(lambda: post(*first), lambda: post(*second))
    assert all(isinstance(result, list) for result in results), results
    with transaction.atomic():
        assert Track.objects.filter(sensor_track_id__startswith="twin-").count() == len(names)
        alerts = AirDefenseNotification.objects.filter(kind="track.hostile", track__sensor_track_id__startswith="twin-")
        assert alerts.count() == len(names)
