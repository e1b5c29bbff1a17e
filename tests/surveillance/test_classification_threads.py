"""The classification index is shared by the threads of a web worker: several threads classify
against the same, freshly built index at once. A GEOS structure that is not safe for that (prepared
geometries were not) corrupts memory and aborts the whole worker, every request in it lost."""

import threading

import pytest
from django.utils import timezone

from airspace.surveillance.airspace_index import build_index
from airspace.surveillance.classification import classify
from airspace.surveillance.reports import parse_report_batch

pytestmark = pytest.mark.django_db

THREADS = 8


def test_threads_classify_against_one_fresh_index_at_once(make_zone):
    centres = [(44.20 + 0.01 * (n % 15), 33.20 + 0.01 * (n // 15)) for n in range(60)]
    for lon, lat in centres:
        make_zone(area={"type": "Point", "coordinates": [lon, lat]}, radius_m=400)
    now = timezone.now().isoformat()
    reports = [
        {"sensor_track_id": f"t{n}", "observed_at": now, "lon": lon + 0.001, "lat": lat, "altitude_m": 50}
        for n, (lon, lat) in enumerate(centres * 10)
    ]
    batch = parse_report_batch({"reports": reports}, now=timezone.now())

    for rebuild in range(30):
        index = build_index(version=("thread test", rebuild))  # new geometries, never used before
        start = threading.Barrier(THREADS)
        outcomes = []

        def classify_at_once(index=index, start=start, outcomes=outcomes):
            start.wait(timeout=10)
            for _ in range(3):
                outcomes.append(classify(batch, index, {}, altitude_tolerance_m=10, time_tolerance_s=5).zone.tolist())

        threads = [threading.Thread(target=classify_at_once) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(outcomes) == THREADS * 3
        assert all(zones == outcomes[0] for zones in outcomes)
        assert -1 not in outcomes[0]  # every report is inside its zone
