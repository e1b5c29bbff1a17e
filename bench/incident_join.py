"""What opening incidents adds to a sensor batch (issue 14): batches of N new hostile tracks (outside
every zone) through `ingest_reports`, in this process, with the incidents opened as shipped and with
`join_incidents` replaced by a no-op, alternately, on the same database. Prints the median of each.

    DATABASE_URL=postgres://… .venv/bin/python bench/incident_join.py --tracks 1000 --rounds 6

It writes tracks, reports, notifications and incidents into that database: use a scratch one."""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    options = parser.parse_args()
    import django

    django.setup()
    from django.utils import timezone

    from airspace.accounts.services import add_user_with_role
    from airspace.surveillance import tracks
    from airspace.surveillance.models import Sensor
    from airspace.surveillance.reports import parse_report_batch

    user, _ = add_user_with_role(
        username=f"bench-{uuid.uuid4().hex[:8]}", role="sensor", password=f"bench-{uuid.uuid4().hex}"
    )
    sensor = Sensor.objects.get(user=user)
    shipped = tracks.join_incidents

    def batch(prefix):
        now = timezone.now()
        reports = [
            {"sensor_track_id": f"{prefix}-{n}", "observed_at": now.isoformat(), "lat": 33.10 + n * 1e-4, "lon": 44.05,
             "altitude_m": 80}
            for n in range(options.tracks)
        ]  # fmt: skip
        return parse_report_batch({"reports": reports}, now=now)

    timings = {"with incidents": [], "without": []}
    for round_number in range(options.rounds):
        for name, join in (("with incidents", shipped), ("without", lambda notifications: {})):
            tracks.join_incidents = join
            reports = batch(f"{name[:4]}-{round_number}-{uuid.uuid4().hex[:6]}")
            start = time.perf_counter()
            tracks.ingest_reports(sensor=sensor, batch=reports)
            timings[name].append((time.perf_counter() - start) * 1000)
    tracks.join_incidents = shipped
    for name, values in timings.items():
        kept = values[1:]  # the first round warms the process's caches and the airspace index
        print(f"{name:>15}: median {statistics.median(kept):.0f} ms, min {min(kept):.0f} ms "
              f"({len(kept)} batches of {options.tracks} new hostile tracks)")  # fmt: skip


if __name__ == "__main__":
    main()
