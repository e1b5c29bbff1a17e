"""A national airspace (issue 16 item 3): 100,000 permits in the table (20,000 in effect), 2,000 zones.
Seeds them with bulk SQL, then measures, on that database:

- the airspace index: a cold build in a fresh process (wall and CPU time, RSS growth, what
  tracemalloc sees of it), a warm full rebuild, and what each kind of change costs a process that
  applies it from the change log (approve, activate, complete, revoke a permit; edit a zone);
- the review queue (`GET /api/v1/permits/queue/`, `/review/`) and the air defense console (the page
  and the API calls console.js makes on load) through Django's test client in this process: p50/p99
  of wall time, the median CPU time of the process (not PostgreSQL's), the median time in SQL (wall,
  as the client waits for PostgreSQL) and SQL statements per request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/airspace_index_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/national.py --requests 60

The first run seeds (about a minute); later runs reuse the seed (`--reseed` to start again). It
writes into that database: use a scratch one."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The console asks for the active tracks (seen in the last TRACK_ACTIVE_S): the bench's 400 tracks are
# refreshed before each tracks endpoint, and stay active through its requests on a busy machine.
os.environ.setdefault("TRACK_ACTIVE_S", "900")

PERMITS, IN_EFFECT, ZONES, AIRCRAFT, OPERATORS = 100_000, 20_000, 2_000, 5_000, 1_000
# Of the rest: a queue of applications, completed flights (some in the last day: the index keeps
# them), and the decided and abandoned ones.
QUEUE, RECENTLY_COMPLETED = 600, 2_000
NOTIFICATIONS = 100_000
TRACKS, REPORTS_PER_TRACK = 400, 10
# Iraq, roughly: where the permits and zones are drawn.
WEST, SOUTH, EAST, NORTH = 39.0, 29.5, 48.0, 37.0


def rss_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def seeded():
    from permits.models import FlightPermit

    return FlightPermit.objects.count() >= PERMITS


def seed():
    """Everything in a few INSERT … SELECT generate_series statements: no per-row Python."""
    from django.db import connection, transaction

    from airspace.accounts.services import add_user_with_role
    from airspace.surveillance.airspace_index import note_airspace_change

    users = {}
    for role in ("senior_officer", "air_defense", "operator", "sensor"):
        users[role], _ = add_user_with_role(username=f"national-{role}", role=role, password="national-bench-pw")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO airspace_operator (name, contact_email, verified_at, created_at) "
            "SELECT 'National operator ' || g, 'op' || g || '@example.org', now(), now() "
            "FROM generate_series(1, %s) g",
            [OPERATORS],
        )
        cursor.execute("SELECT min(id) FROM airspace_operator WHERE name LIKE 'National operator %%'")
        (first_operator,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO airspace_aircraft (serial_number, remote_id, manufacturer, model, category, mtow_kg, status,"
            " status_changed_at, created_at, operator_id) "
            "SELECT 'NAT-SN-' || g, 'NAT-RID-' || g, 'DJI', 'Mavic 3', 'multirotor', 0.9, 'registered', now(), now(),"
            " %s + (g %% %s) FROM generate_series(1, %s) g",
            [first_operator, OPERATORS, AIRCRAFT],
        )
        cursor.execute("SELECT min(id) FROM airspace_aircraft WHERE serial_number LIKE 'NAT-SN-%%'")
        (first_aircraft,) = cursor.fetchone()
        # Permit g: in effect when g % 5 = 0 (half active now, half approved for the next two days);
        # then the queue, the recently completed, and the rest decided long ago. A square of 0.5–2 km
        # scattered over the country (a multiplicative hash spreads g).
        cursor.execute(
            f"""
            WITH p AS (
              SELECT g,
                CASE
                  WHEN g %% 5 = 0 AND g %% 10 = 0 THEN 'active'
                  WHEN g %% 5 = 0 THEN 'approved'
                  WHEN g %% 5 = 1 AND g <= 5 * %(queue)s
                    THEN (CASE WHEN g %% 2 = 0 THEN 'under_review' ELSE 'submitted' END)
                  WHEN g %% 5 = 2 AND g <= 5 * %(recent)s THEN 'completed_recent'
                  ELSE (ARRAY['completed', 'rejected', 'cancelled', 'expired', 'revoked', 'completed'])[1 + g %% 6]
                END AS state,
                {WEST} + (((g::bigint * 2654435761) %% 1000003) / 1000003.0) * {EAST - WEST} AS lon,
                {SOUTH} + (((g::bigint * 40503) %% 999983) / 999983.0) * {NORTH - SOUTH} AS lat,
                0.0025 + (g %% 4) * 0.0025 AS half
              FROM generate_series(1, %(permits)s) g
            ), w AS (
              SELECT *,
                CASE state
                  WHEN 'active' THEN now() - interval '1 hour' * (1 + g %% 3)
                  WHEN 'approved' THEN now() + interval '1 minute' * (10 + g %% 2880)
                  WHEN 'submitted' THEN now() + interval '1 hour' * (2 + g %% 200)
                  WHEN 'under_review' THEN now() + interval '1 hour' * (2 + g %% 200)
                  WHEN 'completed_recent' THEN now() - interval '1 minute' * (60 + g %% 1200)
                  ELSE now() - interval '1 hour' * (30 + g %% 8000)
                END AS starts_at,
                jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
                  jsonb_build_array(lon - half, lat - half), jsonb_build_array(lon + half, lat - half),
                  jsonb_build_array(lon + half, lat + half), jsonb_build_array(lon - half, lat + half),
                  jsonb_build_array(lon - half, lat - half)))) AS polygon
              FROM p
            )
            INSERT INTO permits_flightpermit (reference, purpose, description, area, radius_m, boundary,
              min_altitude_m, max_altitude_m, starts_at, ends_at, state, decided_at, decision_reason,
              created_at, updated_at, aircraft_id, created_by_id, operator_id, reviewer_id, needs_senior)
            SELECT 'NAT-' || lpad(g::text, 6, '0'), 'survey', '', polygon, NULL, polygon,
              0, 60 + (g %% 3) * 30, starts_at, starts_at + interval '2 hours' + interval '1 minute' * (g %% 240),
              CASE WHEN state = 'completed_recent' THEN 'completed' ELSE state END,
              CASE WHEN state IN ('submitted', 'under_review') THEN NULL ELSE starts_at - interval '1 day' END, '',
              starts_at - interval '3 days', starts_at - interval '1 day',
              %(first_aircraft)s + (g %% %(aircraft)s), %(creator)s,
              %(first_operator)s + (((g %% %(aircraft)s) + 1) %% %(operators)s),
              CASE WHEN state = 'under_review' THEN %(reviewer)s END, false
            FROM w
            """,
            {
                "queue": QUEUE,
                "recent": RECENTLY_COMPLETED,
                "permits": PERMITS,
                "first_aircraft": first_aircraft,
                "aircraft": AIRCRAFT,
                "operators": OPERATORS,
                "first_operator": first_operator,
                "creator": users["operator"].pk,
                "reviewer": users["senior_officer"].pk,
            },
        )
        # Each decision left its record; a cancelled permit was cancelled after its approval.
        cursor.execute(
            "INSERT INTO permits_permittransitionlog (transition, from_state, to_state, reason, at, actor_id,"
            " permit_id) "
            "SELECT CASE WHEN state = 'cancelled' THEN 'cancel' ELSE 'approve' END,"
            " CASE WHEN state = 'cancelled' THEN 'approved' ELSE 'under_review' END,"
            " CASE WHEN state = 'cancelled' THEN 'cancelled' ELSE 'approved' END, '', decided_at, %s, id "
            "FROM permits_flightpermit WHERE reference LIKE 'NAT-%%' AND decided_at IS NOT NULL",
            [users["senior_officer"].pk],
        )
        cursor.execute(
            f"""
            WITH z AS (
              SELECT g, {WEST} + (((g::bigint * 7919) %% 100003) / 100003.0) * {EAST - WEST} AS lon,
                {SOUTH} + (((g::bigint * 104729) %% 99991) / 99991.0) * {NORTH - SOUTH} AS lat,
                0.01 + (g %% 5) * 0.01 AS half
              FROM generate_series(1, %s) g
            ), s AS (
              SELECT *, jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
                jsonb_build_array(lon - half, lat - half), jsonb_build_array(lon + half, lat - half),
                jsonb_build_array(lon + half * 1.2, lat), jsonb_build_array(lon + half, lat + half),
                jsonb_build_array(lon - half, lat + half), jsonb_build_array(lon - half, lat - half)))) AS polygon
              FROM z
            )
            INSERT INTO airspace_restrictedzone (name, kind, description, area, radius_m, boundary, min_altitude_m,
              max_altitude_m, active, created_at, updated_at, identifier, schedule)
            SELECT 'National zone ' || g, CASE WHEN g %% 4 = 0 THEN 'prohibited' ELSE 'restricted' END, '',
              polygon, NULL, polygon, 0, 3000, true, now(), now(), '', '[]'::jsonb
            FROM s
            """,
            [ZONES],
        )
        # What air defense was told: a notification per approval, activation, completion… delivered
        # and (the warnings) acknowledged long ago.
        cursor.execute(
            "INSERT INTO airspace_airdefensenotification (id, kind, severity, payload, created_at, delivered_at,"
            " delivery_attempts, acknowledged_at, permit_id, fanned_out_at, tak_fanned_out_at) "
            "SELECT gen_random_uuid(), (ARRAY['permit.approved', 'permit.activated', 'permit.completed'])[1 + n %% 3],"
            " 'info', jsonb_build_object('reference', p.reference), p.decided_at + interval '1 second' * n,"
            " p.decided_at + interval '1 second' * n, 1, NULL, p.id, now(), now() "
            "FROM (SELECT id, reference, decided_at, row_number() OVER (ORDER BY id) AS n FROM permits_flightpermit"
            "      WHERE decided_at IS NOT NULL AND reference LIKE 'NAT-%%') p LIMIT %s",
            [NOTIFICATIONS],
        )
        note_airspace_change()  # a bulk load: every process rebuilds its index
    print(f"seeded {PERMITS:,} permits ({IN_EFFECT:,} in effect), {ZONES:,} zones, {NOTIFICATIONS:,} notifications "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    seed_tracks(users["sensor"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_tracks(sensor_user):
    """Tracks and their trails the real way (ingest_reports): unregistered and authorized flights."""
    from django.utils import timezone

    from airspace.surveillance import tracks
    from airspace.surveillance.models import Sensor
    from airspace.surveillance.reports import parse_report_batch
    from permits.models import FlightPermit

    sensor = Sensor.objects.get(user=sensor_user)
    flying = list(
        FlightPermit.objects.filter(state="active")
        .select_related("aircraft")
        .values_list("aircraft__remote_id", "boundary")[: TRACKS // 2]
    )
    tag = "national"  # the same tracks every run: fresh positions keep them active for the console
    for step in range(REPORTS_PER_TRACK):
        now = timezone.now()
        reports = []
        for n in range(TRACKS):
            if n < len(flying):
                remote_id, boundary = flying[n]
                lon, lat = boundary["coordinates"][0][0]
                report = {"remote_id": remote_id, "lon": lon + 0.001 + step * 1e-4, "lat": lat + 0.001}
            else:
                report = {"lon": WEST + (n * 0.02) % (EAST - WEST), "lat": 33.0 + step * 1e-3}
            report.update(sensor_track_id=f"{tag}-{n}", observed_at=now.isoformat(), altitude_m=50)
            reports.append(report)
        tracks.ingest_reports(sensor=sensor, batch=parse_report_batch({"reports": reports}, now=now))


def measure_cold_index(traced):
    """In this fresh process: build the index from nothing, as a web or worker process starts. Timed
    and its RSS growth measured without tracemalloc (which slows every allocation); with `traced`,
    what tracemalloc sees it keep (the Python objects: GEOS allocates outside its sight)."""
    import gc

    from airspace.surveillance import airspace_index

    version = airspace_index.airspace_version()
    gc.collect()
    rss_before = rss_kib()
    if traced:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    index = airspace_index.build_index(version)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    kept, peak = tracemalloc.get_traced_memory() if traced else (0, 0)
    gc.collect()
    print(json.dumps({
        "permits": len(index.permits), "zones": len(index.zones), "wall_s": wall, "cpu_s": cpu,
        "rss_growth_mib": (rss_kib() - rss_before) / 1024, "tracemalloc_mib": kept / 2**20,
        "tracemalloc_peak_mib": peak / 2**20, "rss_mib": rss_kib() / 1024,
    }))  # fmt: skip


def cost(call, rounds=1):
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        result = call()
    return result, (time.perf_counter() - started) * 1000 / rounds, (time.process_time() - cpu_started) * 1000 / rounds


def measure_index():
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from airspace.surveillance import airspace_index
    from airspace.zones.models import RestrictedZone
    from permits import services
    from permits.models import FlightPermit

    def fresh_process(*flags):
        run = subprocess.run([sys.executable, __file__, "--cold-index", *flags], check=True, capture_output=True,
                             text=True)  # fmt: skip
        return json.loads(run.stdout.splitlines()[-1])

    colds = [fresh_process() for _ in range(3)]
    cold = min(colds, key=lambda run: run["cpu_s"])
    traced = fresh_process("--traced")
    print(f"\nindex, cold build in a fresh process (best of 3): {cold['permits']:,} permits (in effect and recently"
          f" completed), {cold['zones']:,} zones: {cold['wall_s'] * 1000:.0f} ms wall, {cold['cpu_s'] * 1000:.0f} ms"
          f" CPU; RSS +{cold['rss_growth_mib']:.0f} MiB (process {cold['rss_mib']:.0f} MiB); tracemalloc"
          f" {traced['tracemalloc_mib']:.1f} MiB kept (peak {traced['tracemalloc_peak_mib']:.1f}; GEOS memory is"
          " not traced)")  # fmt: skip

    index = airspace_index.current_index()  # this process: built once
    version = airspace_index.airspace_version()
    _, wall, cpu = cost(lambda: airspace_index.build_index(version), rounds=3)
    print(
        f"index, full rebuild with the geometries cached (before: every change): {wall:.0f} ms wall, {cpu:.0f} ms CPU"
    )
    _, wall, cpu = cost(airspace_index.airspace_version, rounds=200)
    print(f"airspace version read (every batch): {wall:.2f} ms wall, {cpu:.2f} ms CPU")

    officer = get_user_model().objects.get(username="national-senior_officer")

    def applied(change):
        """Make the change as the services do (committed), then bring this process's index up to date."""
        with transaction.atomic():
            change()
        return cost(airspace_index.current_index)

    rows = []
    waiting = list(FlightPermit.objects.filter(state="under_review").order_by("pk").values_list("pk", flat=True)[:5])
    for pk in waiting:
        _, wall, cpu = applied(lambda pk=pk: services.approve_permit(permit_id=pk, officer=officer))
        rows.append(("approve", wall, cpu))
    for pk in waiting[:3]:

        def activate(pk=pk):
            permit = FlightPermit.objects.get(pk=pk)
            permit.activate()
            permit.save()

        rows.append(("activate", *applied(activate)[1:]))

        def complete(pk=pk):
            permit = FlightPermit.objects.get(pk=pk)
            permit.complete()
            permit.save()

        rows.append(("complete", *applied(complete)[1:]))
    for pk in waiting[3:]:
        rows.append(("revoke", *applied(
            lambda pk=pk: services.make_transition(permit_id=pk, user=officer, transition_name="revoke",
                                                   reason="bench")
        )[1:]))  # fmt: skip
    for zone in RestrictedZone.objects.order_by("pk")[:3]:

        def edit(zone=zone):
            zone.max_altitude_m = zone.max_altitude_m + 1
            zone.save()

        rows.append(("zone edit", *applied(edit)[1:]))
    index = airspace_index.current_index()
    print(
        f"index, a change applied from the log (index of {len(index.permits):,} permits, {len(index.zones):,} zones):"
    )
    for kind in dict.fromkeys(kind for kind, *_ in rows):
        walls = [wall for name, wall, _ in rows if name == kind]
        cpus = [cpu for name, _, cpu in rows if name == kind]
        print(f"  {kind:>10}: median {statistics.median(walls):.1f} ms wall, {statistics.median(cpus):.1f} ms CPU"
              f" ({len(walls)} changes)")  # fmt: skip


CONSOLE_CALLS = [
    "/console/",
    "/api/v1/permits/map/?limit=1000&ends_after={now}&starts_before={ahead}&state=approved&state=active",
    "/api/v1/tracks/trails/?active=true&limit=1000&points=20",
    "/api/v1/tracks/?active=true&limit=1000",
    "/api/v1/tracks/?contact_lost=true&limit=500",
    "/api/v1/sensors/?health=stale&health=offline&active=true&limit=500",
    "/api/v1/swarms/?active=true&limit=100",
    "/api/v1/air-defense/notifications/?limit=100",
    "/api/v1/air-defense/notifications/?unacknowledged=true&limit=1&kind=track.hostile&kind=swarm",
]
REVIEW_CALLS = ["/api/v1/permits/queue/", "/review/"]


def measure_endpoints(requests):
    from urllib.parse import quote

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from airspace.air_defense.views import PERMITS_AHEAD_S

    users = get_user_model().objects
    print(f"\nendpoints: {requests} requests each after one to warm up, Django test client in this process;"
          " CPU = this process (Django, serializers), not PostgreSQL")  # fmt: skip
    print(f"{'path':<84} {'p50 ms':>7} {'p99 ms':>7} {'CPU p50':>8} {'SQL p50':>8} {'SQL':>4} {'bytes':>9}")
    for username, calls in (("national-senior_officer", REVIEW_CALLS), ("national-air_defense", CONSOLE_CALLS)):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users.get(username=username))
        for template in calls:
            now = timezone.now()
            path = template.format(
                now=quote(now.isoformat()), ahead=quote((now + timezone.timedelta(seconds=PERMITS_AHEAD_S)).isoformat())
            )
            if "/tracks/" in path:
                seed_tracks(users.get(username="national-sensor"))  # fresh positions: the tracks are active
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            walls, cpus, sql = [], [], []
            for _ in range(requests):
                started, cpu_started = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path)
                cpus.append((time.process_time() - cpu_started) * 1000)
                sql.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
                walls.append((time.perf_counter() - started) * 1000)
            walls.sort()
            p99 = walls[min(len(walls) - 1, int(len(walls) * 0.99))]
            shown = template.split("&ends_after")[0] + ("&…" if "ends_after" in template else "")
            print(f"{shown:<84} {statistics.median(walls):>7.1f} {p99:>7.1f} {statistics.median(cpus):>8.1f}"
                  f" {statistics.median(sql):>8.1f}"
                  f" {len(queries):>4} {len(response.content):>9,}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reseed", action="store_true", help="flush the database and seed again")
    parser.add_argument("--cold-index", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--skip-endpoints", action="store_true")
    options = parser.parse_args()
    import django

    django.setup()
    if options.cold_index:
        return measure_cold_index(options.traced)
    if options.reseed:
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    if not seeded():
        seed()
    if not options.skip_index:
        measure_index()
    if not options.skip_endpoints:
        from django.contrib.auth import get_user_model

        seed_tracks(get_user_model().objects.get(username="national-sensor"))
        measure_endpoints(options.requests)


if __name__ == "__main__":
    main()
