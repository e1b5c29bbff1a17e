"""What flight following's clock costs: one pass of each periodic check (`airspace/surveillance/
following.py`) over a national picture — by default 20,000 active tracks (half of them permitted
drones, half hostile), 500 sensors with their coverage, and the day's finished flights behind them.

Seeds a database of its own (its name must end in `_bench`: the tables are emptied first), then
times:

- a *busy* pass, in which a few hundred drones have just gone silent, a hundred excursions passed
  their grace, sensors went stale and offline and twenty swarms formed — every notification written;
- *steady* passes, in which nothing new happened (the usual tick): what every tick costs.

Run against PostgreSQL and Redis (the notifications are queued for delivery, nothing consumes them;
the Redis db is flushed at the end). The command and the results are in docs/PERFORMANCE.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(*, tracks, sensors, history, lost, due, offline, stale, swarms, now):
    """The picture, with bulk inserts (the service's own code paths would take minutes)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from airspace.air_defense.models import AirDefenseNotification
    from airspace.geometry import parse_area
    from airspace.registry.models import Aircraft, Operator
    from airspace.surveillance.models import FollowingRun, PositionReport, Sensor, Swarm, Track
    from permits.models import FlightPermit, PermitExcursion, State

    rng = random.Random(11)
    user_model = get_user_model()
    with transaction.atomic():
        tables = [
            model._meta.db_table
            for model in (
                PermitExcursion,
                AirDefenseNotification,
                PositionReport,
                Track,
                Swarm,
                FollowingRun,
                FlightPermit,
                Aircraft,
                Operator,
                Sensor,
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        user_model.objects.filter(username__startswith="bench-").delete()

        owner = user_model.objects.create(username="bench-owner")
        operator = Operator.objects.create(name="Bench Following Aerial")
        permitted = tracks // 2
        aircraft = Aircraft.objects.bulk_create(
            Aircraft(
                operator=operator,
                serial_number=f"BF-SN-{n:06d}",
                remote_id=f"BF-RID-{n:06d}",
                manufacturer="DJI",
                model="Matrice 350",
                category=Aircraft.Category.MULTIROTOR,
                mtow_kg="6.470",
                status=Aircraft.Status.REGISTERED,
            )
            for n in range(permitted)
        )
        # Permits over the whole country (Iraq: 39-48 E, 29-37 N), 300 m circles.
        centres = [(39 + rng.random() * 9, 29 + rng.random() * 8) for _ in range(permitted)]
        permits = FlightPermit.objects.bulk_create(
            FlightPermit(
                reference=f"FP-BF-{n:06d}",  # random references collide among 10,000
                operator=operator,
                aircraft=drone,
                created_by=owner,
                purpose="survey",
                **_volume(parse_area({"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}, 300)),
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=3),
                state=State.ACTIVE,
            )
            for n, (drone, (lon, lat)) in enumerate(zip(aircraft, centres, strict=True))
        )

        users = user_model.objects.bulk_create(user_model(username=f"bench-sensor-{n}") for n in range(sensors))
        sensor_rows = []
        for n, user in enumerate(users):
            lon, lat = 39 + rng.random() * 9, 29 + rng.random() * 8
            coverage = parse_area({"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}, 15_000)
            silent_s = 150 if n < offline else 40 if n < offline + stale else rng.random() * 5
            sensor_rows.append(
                Sensor(
                    user=user,
                    name=f"bench-radar-{n}",
                    lat=lat,
                    lon=lon,
                    coverage_area=coverage.geojson,
                    coverage_radius_m=coverage.radius_m,
                    coverage_boundary=coverage.boundary_geojson,
                    health=Sensor.Health.ONLINE,
                    last_heard_at=now - timedelta(seconds=silent_s),
                )
            )
        sensor_rows = Sensor.objects.bulk_create(sensor_rows)

        rows = []
        for n, (permit, (lon, lat)) in enumerate(zip(permits, centres, strict=True)):
            silent_s = 20 + rng.random() * 20 if n < lost else rng.random() * 10
            straying = lost <= n < lost + due
            rows.append(
                Track(
                    identity=f"rid:BF-RID-{n:06d}",
                    sensor=sensor_rows[n % sensors],
                    sensor_track_id=f"f-{n}",
                    remote_id=f"BF-RID-{n:06d}",
                    aircraft_id=permit.aircraft_id,
                    permit=permit,
                    classification="nonconforming" if straying else "authorized",
                    classification_changed_at=now - timedelta(minutes=30),
                    last_lat=lat,
                    last_lon=lon + (0.004 if straying else 0),
                    last_altitude_m=80,
                    last_observed_at=now - timedelta(seconds=2 if straying else silent_s),
                    first_seen_at=now - timedelta(minutes=30),
                )
            )
        hostile = tracks - permitted
        clustered = swarms * 4
        for n in range(hostile):
            if n < clustered:  # swarms of four, 100 m apart
                group_lon, group_lat = 40 + (n // 4) * 0.3, 31.0
                lon, lat = group_lon + (n % 4) * 0.001, group_lat
            else:
                lon, lat = 39 + rng.random() * 9, 29 + rng.random() * 8
            rows.append(
                Track(
                    identity=f"sensor:{sensor_rows[n % sensors].pk}:h-{n}",
                    sensor=sensor_rows[n % sensors],
                    sensor_track_id=f"h-{n}",
                    classification="unregistered",
                    classification_changed_at=now - timedelta(minutes=5),
                    last_lat=lat,
                    last_lon=lon,
                    last_altitude_m=150,
                    last_observed_at=now - timedelta(seconds=rng.random() * 10),
                    first_seen_at=now - timedelta(minutes=5),
                )
            )
        # The day's finished flights: authorized tracks of permits completed since, not seen for hours.
        for n in range(history):
            permit = permits[n % permitted]
            rows.append(
                Track(
                    identity=f"rid:BF-OLD-{n:06d}",
                    sensor=sensor_rows[n % sensors],
                    sensor_track_id=f"old-{n}",
                    classification="authorized",
                    classification_changed_at=now - timedelta(hours=20),
                    permit=permit if n % 10 == 0 else None,
                    last_lat=33.0,
                    last_lon=44.0,
                    last_altitude_m=50,
                    last_observed_at=now - timedelta(hours=1 + rng.random() * 22),
                    first_seen_at=now - timedelta(hours=23),
                )
            )
        created = Track.objects.bulk_create(rows, batch_size=5000)
        PermitExcursion.objects.bulk_create(
            PermitExcursion(
                permit_id=track.permit_id, track=track, started_at=now - timedelta(seconds=70), farthest_m=80
            )
            for track in created[lost : lost + due]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _volume(area):
    return {
        "area": area.geojson,
        "radius_m": area.radius_m,
        "boundary": area.boundary_geojson,
        "min_altitude_m": 0,
        "max_altitude_m": 120,
    }


def timed(check, now):
    started = time.perf_counter()
    result = check(now=now)
    return (time.perf_counter() - started) * 1000, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20_000, help="active tracks (half permitted, half hostile)")
    parser.add_argument("--sensors", type=int, default=500)
    parser.add_argument("--history", type=int, default=20_000, help="the day's finished flights (inactive tracks)")
    parser.add_argument("--lost", type=int, default=300, help="permitted drones gone silent for the busy pass")
    parser.add_argument("--due", type=int, default=100, help="excursions past their grace for the busy pass")
    parser.add_argument("--offline", type=int, default=20, help="sensors silent past their offline time")
    parser.add_argument("--stale", type=int, default=20, help="sensors silent past their stale time")
    parser.add_argument("--swarms", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=20, help="steady passes to time")
    options = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.db import connection

    from airspace.surveillance import following

    name = settings.DATABASES["default"]["NAME"]
    if connection.vendor != "postgresql" or not str(name).endswith("_bench"):
        sys.exit(f"Run against a PostgreSQL database of its own whose name ends in _bench (not {name}).")

    now = datetime.now(UTC)
    started = time.perf_counter()
    seed(
        tracks=options.tracks,
        sensors=options.sensors,
        history=options.history,
        lost=options.lost,
        due=options.due,
        offline=options.offline,
        stale=options.stale,
        swarms=options.swarms,
        now=now,
    )
    print(
        f"Seeded {options.tracks:,} active tracks, {options.history:,} finished ones and {options.sensors} sensors "
        f"in {time.perf_counter() - started:.1f} s"
    )
    following.FollowingRun.objects.get_or_create(name=following.FOLLOWING_RUN)
    following.current_index()  # the process's airspace index, built once as in a running worker

    checks = {
        "contacts lost": following.announce_lost_contacts,
        "escalations": following.escalate_persistent_excursions,
        "excursions closed": following.close_unseen_excursions,
        "sensor health": following.check_sensor_health,
        "swarms": following.follow_swarms,
    }
    print("\nBusy pass (everything announced once):")
    busy_total = 0.0
    for label, check in checks.items():
        elapsed, result = timed(check, now)
        busy_total += elapsed
        print(f"  {label:18} {elapsed:8.1f} ms   {result}")
    print(f"  {'total':18} {busy_total:8.1f} ms")

    steady = {label: [] for label in checks}
    totals = []
    for _ in range(options.ticks):
        total = 0.0
        for label, check in checks.items():
            elapsed, result = timed(check, now)
            steady[label].append(elapsed)
            total += elapsed
        totals.append(total)
    print(f"\nSteady passes (nothing new), {options.ticks} of them: median / p95 / max")
    for label, times in steady.items():
        print(f"  {label:18} {_summary(times)}")
    print(f"  {'total':18} {_summary(totals)}")

    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()


def _summary(times):
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"{statistics.median(ordered):7.1f} / {p95:7.1f} / {ordered[-1]:7.1f} ms"


if __name__ == "__main__":
    main()
