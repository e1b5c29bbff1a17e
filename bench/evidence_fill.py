"""Fill a database's evidence table with millions of reports, spread over several days (so several
partitions exist and today's already holds its share), then optionally time retention archiving and
dropping the oldest day. For the "ingest rate does not fall as the table grows" measurement of issue 16:
fill, then run bench/ingest.py against the same database (docs/PERFORMANCE.md, "Evidence storage").

The rows are made by PostgreSQL itself (INSERT … SELECT FROM generate_series), a day's share in
chunks of CHUNK rows, each committed: no row passes through Python. They belong to 10,000 made-up
tracks (the evidence has no foreign key constraint, so no track rows are needed) far above the ids
real tracks get, over the whole of each day.

    DATABASE_URL=postgres://…/airspace_evidence_big .venv/bin/python bench/evidence_fill.py --rows 20000000 --days 5
    DATABASE_URL=… .venv/bin/python bench/evidence_fill.py --rows 0 --days 5 --time-retention

Prints what it did, and for --time-retention the wall time, this process's CPU time and the CPU time
of the PostgreSQL backend that did the export (from /proc: the server runs on this machine).
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHUNK = 1_000_000
FIRST_TRACK_ID = 1_000_000_000
TRACKS = 10_000


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def backend_cpu_s(cursor):
    """User + system CPU seconds of this connection's PostgreSQL backend so far."""
    cursor.execute("SELECT pg_backend_pid()")
    (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(rows, days):
    from django.db import connection, transaction
    from django.utils import timezone

    from airspace.surveillance import evidence

    if not evidence.is_partitioned():
        sys.exit("The evidence is not partitioned here: run `manage.py migrate` on PostgreSQL first.")
    today = evidence.start_of_day(timezone.now())
    first = today - timedelta(days=days - 1)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if not any(partition.covers(day) for partition in evidence.partitions()):
            evidence.create_day_partition(day)
    per_day = rows // days
    table = connection.ops.quote_name(evidence.table())
    started = time.monotonic()
    for offset in range(days):
        day = first + timedelta(days=offset)
        # Today's reports up to now only; other days over all of their 24 hours.
        span_s = (timezone.now() - day).total_seconds() if day == today else 86_400
        done = 0
        while done < per_day:
            count = min(CHUNK, per_day - done)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute(
                    f"""
                    INSERT INTO {table} (track_id, sensor_id, sensor_track_id, remote_id, observed_at,
                        received_at, lat, lon, altitude_m, speed_mps, heading_deg, classification, permit_id)
                    SELECT %(first_track)s + n %% %(tracks)s, NULL, 'fill-' || (n %% %(tracks)s), '',
                        %(day)s + (n::float8 / %(per_day)s * %(span)s) * interval '1 second',
                        %(day)s + (n::float8 / %(per_day)s * %(span)s) * interval '1 second' + interval '1 second',
                        33.3 + (n %% 1000) / 10000.0, 44.4 + (n %% 777) / 10000.0, 50 + n %% 100,
                        12.5, n %% 360, 'authorized', NULL
                    FROM generate_series(%(start)s, %(stop)s) AS n
                    """,
                    {
                        "first_track": FIRST_TRACK_ID,
                        "tracks": TRACKS,
                        "day": day,
                        "per_day": per_day,
                        "span": span_s,
                        "start": done,
                        "stop": done + count - 1,
                    },
                )
            done += count
            print(f"{day:%Y-%m-%d}: {done:,} / {per_day:,} ({time.monotonic() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT count(*) FROM {table}")
        print(f"The evidence holds {cursor.fetchone()[0]:,} reports ({time.monotonic() - started:.0f} s)")


def time_retention(days, archive_dir):
    """Archive and drop the oldest filled day: a retention that makes exactly that day expire."""
    from django.conf import settings
    from django.db import connection

    from airspace.surveillance import evidence

    settings.EVIDENCE_RETENTION_DAYS = days - 2
    settings.EVIDENCE_ARCHIVE_DIR = archive_dir
    with connection.cursor() as cursor:
        cpu_before = backend_cpu_s(cursor)
    wall, own = time.monotonic(), time.process_time()
    outcome = evidence.apply_retention()
    wall, own = time.monotonic() - wall, time.process_time() - own
    with connection.cursor() as cursor:
        backend = backend_cpu_s(cursor) - cpu_before
    for archived in outcome["archived"]:
        size = Path(archived["archive"]).stat().st_size
        print(f"archived {archived['partition']}: {archived['rows']:,} reports, {size / 1e6:.0f} MB gzip CSV")
    print(f"failed: {outcome['failed']}")
    print(
        f"retention: {wall:.1f} s wall, {own:.1f} s CPU in this process, {backend:.1f} s CPU in the PostgreSQL backend"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="reports to add (0: none)")
    parser.add_argument("--days", type=int, default=5, help="over this many days, ending today")
    parser.add_argument(
        "--time-retention",
        action="store_true",
        help="then archive and drop the oldest of those days, and time it",
    )
    parser.add_argument("--archive-dir", default=None, help="for --time-retention (default: a temporary folder)")
    args = parser.parse_args()
    if args.days < 3 and args.time_retention:
        parser.error("--time-retention needs --days 3 or more (the oldest day must be past a retention of days - 2)")
    setup_django()
    if args.rows:
        fill(args.rows, args.days)
    if args.time_retention:
        time_retention(args.days, args.archive_dir or tempfile.mkdtemp(prefix="evidence-archive-"))


if __name__ == "__main__":
    main()
