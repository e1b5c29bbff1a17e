"""Ingest benchmark against the real stack (`make run` with DATABASE_URL and REDIS_URL set).

Seeds a few hundred permits in effect (one registered drone each), then several sensor processes post
batches of position reports as fast as the service answers: most reports are those drones flying
inside their volumes (authorized); a few per batch are new radar tracks with no identifier
(unregistered: a hostile alert each). A reader on the air defense stream measures, for each hostile
report, the time from the start of its POST to its `track.hostile` event on the stream.

Prints reports/s (classified and stored: the POST answered 200) and p50/p99/max alert latency.
The exact command and the results are in docs/PERFORMANCE.md.
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_OPERATOR = "Bench Aerial Survey"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(permit_count, sensor_count):
    """Permits in effect with their drones, sensor accounts and an air defense account (ORM, fast)."""
    from django.db import connection, transaction

    from airspace.accounts.services import add_user_with_role, get_api_token
    from airspace.geometry import circle_polygon, parse_area
    from airspace.registry.models import Aircraft, Operator
    from permits.models import FlightPermit, State

    now = datetime.now(UTC)
    rng = random.Random(7)
    # Idempotent: a second run reuses the drones and the permits still in effect for an hour
    # (deleting old ones would make PostgreSQL work through the evidence during the measurement).
    with transaction.atomic():
        operator, _ = Operator.objects.get_or_create(name=BENCH_OPERATOR)
        owner, _ = add_user_with_role(
            username="bench-operator", role="operator", password="bench-only", organization=BENCH_OPERATOR
        )
        serials = [f"BENCH-SN-{n:05d}" for n in range(permit_count)]
        known = set(Aircraft.objects.filter(serial_number__in=serials).values_list("serial_number", flat=True))
        Aircraft.objects.bulk_create(
            Aircraft(
                operator=operator,
                serial_number=serial,
                remote_id=serial.replace("-SN-", "-RID-"),
                manufacturer="DJI",
                model="Matrice 350",
                category=Aircraft.Category.MULTIROTOR,
                mtow_kg="6.470",
                status=Aircraft.Status.REGISTERED,
            )
            for serial in serials
            if serial not in known
        )
        in_effect = {
            permit.aircraft_id: permit
            for permit in FlightPermit.objects.filter(
                operator=operator, state=State.ACTIVE, starts_at__lte=now, ends_at__gte=now + timedelta(hours=1)
            ).select_related("aircraft")
        }
        new_permits = []
        for drone in Aircraft.objects.filter(serial_number__in=serials).order_by("serial_number"):
            if drone.pk in in_effect:
                continue
            # Spread over greater Baghdad, away from the demo's zones: 300 m circles.
            lon, lat = 44.20 + rng.random() * 0.15, 33.20 + rng.random() * 0.05
            area = parse_area({"type": "Point", "coordinates": [lon, lat]}, 300)
            new_permits.append(
                FlightPermit(
                    operator=operator,
                    aircraft=drone,
                    created_by=owner,
                    purpose="survey",
                    area=area.geojson,
                    radius_m=area.radius_m,
                    boundary=area.boundary_geojson,
                    min_altitude_m=0,
                    max_altitude_m=120,
                    starts_at=now - timedelta(minutes=10),
                    ends_at=now + timedelta(hours=12),
                    state=State.ACTIVE,
                )
            )
        for permit in FlightPermit.objects.bulk_create(new_permits):
            in_effect[permit.aircraft_id] = permit
    drones = []
    for permit in in_effect.values():
        lon, lat = permit.area["coordinates"]
        inner = circle_polygon(lon, lat, 200).exterior.coords
        drones.append({"remote_id": permit.aircraft.remote_id, "centre": [lon, lat], "ring": [list(p) for p in inner]})
    tokens = []
    for n in range(sensor_count):
        user, _ = add_user_with_role(username=f"bench-radar-{n}", role="sensor", password="bench-only")
        tokens.append(get_api_token(user=user).key)
    watcher, _ = add_user_with_role(username="bench-air-defense", role="air_defense", password="bench-only")
    watcher_token = get_api_token(user=watcher).key
    connection.close()  # the sensor processes are forked: they must not share this connection
    return drones, tokens, watcher_token


def stream_reader(url, token, received, ready, stop):
    """Record the arrival time of each track.hostile event, keyed by the report's sensor track id."""
    headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
    with requests.get(f"{url}/api/v1/air-defense/stream/", headers=headers, stream=True, timeout=(5, 30)) as response:
        response.raise_for_status()
        event = None
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):
            now = time.time()
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "track.hostile":
                track_id = json.loads(line[6:])["payload"]["track"]["sensor_track_id"]
                received.setdefault(track_id, now)
            if stop.is_set():
                return


BATCH_MARK = "__BATCH__"
# Each POST stamps its reports with the time it is sent, as a sensor does: flight following watches
# the time of the last report (a drone whose reports kept one old time would be contact lost).
OBSERVED_MARK = "__OBSERVED_AT__"
PREPARED_BODIES = 20


def prepared_bodies(rng, drones, batch_size, hostile_per_batch, run, worker_number):
    """Request bodies built before the clock starts, so that the load generator (on the same cores
    as the service) spends its CPU sending, not composing JSON. Each send puts the batch number
    into the intruders' track ids, so every batch brings new hostile tracks, and the time of sending
    into every report."""
    observed_at = OBSERVED_MARK
    bodies = []
    for _ in range(PREPARED_BODIES):
        reports = []
        for _ in range(batch_size - hostile_per_batch):
            drone = rng.choice(drones)
            lon, lat = drone["ring"][rng.randrange(len(drone["ring"]))]
            centre_lon, centre_lat = drone["centre"]
            share = rng.random()
            reports.append(
                {
                    "sensor_track_id": drone["remote_id"],
                    "remote_id": drone["remote_id"],
                    "observed_at": observed_at,
                    "lat": centre_lat + (lat - centre_lat) * share,
                    "lon": centre_lon + (lon - centre_lon) * share,
                    "altitude_m": rng.uniform(20, 110),
                }
            )
        for n in range(hostile_per_batch):
            reports.append(
                {
                    "sensor_track_id": f"intruder-{run}-{worker_number}-{BATCH_MARK}-{n}",
                    "observed_at": observed_at,
                    "lat": 33.22 + rng.random() * 0.02,
                    "lon": 44.25 + rng.random() * 0.05,
                    "altitude_m": rng.uniform(30, 300),
                }
            )
        rng.shuffle(reports)
        bodies.append(json.dumps({"reports": reports}))
    return bodies


def sensor_process(url, token, drones, batch_size, hostile_per_batch, duration_s, worker_number, run, results):
    """Post batches until the time is up; return counts, request latencies and hostile send times."""
    rng = random.Random(worker_number)
    bodies = prepared_bodies(rng, drones, batch_size, hostile_per_batch, run, worker_number)
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Content-Type": "application/json"})
    sent_hostile = {}
    request_s = []
    reports_ok = 0
    errors = 0
    batch_number = 0
    deadline = time.time() + duration_s
    while time.time() < deadline:
        body = (
            bodies[batch_number % len(bodies)]
            .replace(BATCH_MARK, str(batch_number))
            .replace(OBSERVED_MARK, datetime.now(UTC).isoformat())
        )
        hostile_ids = [f"intruder-{run}-{worker_number}-{batch_number}-{n}" for n in range(hostile_per_batch)]
        started = time.time()
        response = session.post(f"{url}/api/v1/tracks/reports/", data=body, timeout=60)
        request_s.append(time.time() - started)
        if response.status_code == 200:
            reports_ok += batch_size
            for track_id in hostile_ids:
                sent_hostile[track_id] = started
        else:
            errors += 1
            print(f"sensor {worker_number}: HTTP {response.status_code}: {response.text[:300]}", file=sys.stderr)
        batch_number += 1
    results.put({"reports": reports_ok, "errors": errors, "request_s": request_s, "sent_hostile": sent_hostile})


def backend_cpu_s(pid):
    """CPU seconds (user + system) a local process has used, from /proc: PostgreSQL's backend or a
    web server process. The machine is shared, so CPU per batch, not wall clock, is what compares."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def web_server_processes(url):
    """The processes serving `url`'s port on this machine (the server's master, found by the port on
    its command line, and every process under it): their CPU per batch is the web server's cost."""
    port = url.rsplit(":", 1)[-1].strip("/")
    parents, roots = {}, set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            parents[pid] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            words = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        text = " ".join(word.decode(errors="replace") for word in words)
        if f":{port} " in f"{text} " or f"--port {port} " in f"{text} ":
            roots.add(pid)
    # Not this benchmark, whose command line names the URL, nor what started it (`timeout …`).
    ancestor = os.getpid()
    while ancestor in parents:
        roots.discard(ancestor)
        ancestor = parents[ancestor]
    found = set(roots)
    while True:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        if not more:
            return sorted(found)
        found |= more


def in_process(args, drones, tokens):
    """Post batches through Django's request handler in this process (middleware, authentication,
    parsing, ingest, rendering: everything but the HTTP server) and report CPU per batch: this
    process's and its PostgreSQL backend's. With --profile, cProfile's top entries too."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    rng = random.Random(0)
    # The first sensor's share of the drones, as in a run with --sensors of them: the same tracks per batch.
    bodies = prepared_bodies(rng, drones[:: args.sensors], args.batch, args.hostile_per_batch, int(time.time()), 0)
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[0]}", HTTP_HOST="127.0.0.1")

    def post(number):
        body = (
            bodies[number % len(bodies)]
            .replace(BATCH_MARK, str(number))
            .replace(OBSERVED_MARK, datetime.now(UTC).isoformat())
        )
        response = client.post("/api/v1/tracks/reports/", data=body, content_type="application/json")
        if response.status_code != 200:
            sys.exit(f"HTTP {response.status_code}: {response.content[:300]!r}")

    for number in range(5):  # warm up: the index is built, the connection open, the tracks exist
        post(number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    profiler = cProfile.Profile() if args.profile else None
    cpu, database_cpu, wall = time.process_time(), backend_cpu_s(backend), time.perf_counter()
    if profiler:
        profiler.enable()
    for number in range(5, 5 + args.in_process):
        post(number)
    if profiler:
        profiler.disable()
    cpu, database_cpu = time.process_time() - cpu, backend_cpu_s(backend) - database_cpu
    wall = time.perf_counter() - wall
    batches = args.in_process
    print(
        f"{batches} batches of {args.batch} in process: CPU per batch {cpu / batches * 1000:.1f} ms here"
        f" + {database_cpu / batches * 1000:.1f} ms PostgreSQL backend"
        f" (wall {wall / batches * 1000:.1f} ms){' under cProfile' if profiler else ''}"
    )
    if profiler:
        profiler.dump_stats("/tmp/ingest.prof")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    return 0


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--permits", type=int, default=500, help="permits in effect (one drone each)")
    parser.add_argument("--sensors", type=int, default=4, help="concurrent sensor processes")
    parser.add_argument("--batch", type=int, default=1000, help="reports per POST")
    parser.add_argument("--hostile-per-batch", type=int, default=1, help="new unregistered tracks per POST")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--drain", type=float, default=15, help="seconds to wait for the last alerts")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        help="no server: post N batches through Django in this process and print CPU per batch",
    )
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile the batches")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        parser.error("set DATABASE_URL and REDIS_URL to those of the running stack (make run)")

    setup_django()
    drones, sensor_tokens, watcher_token = seed(args.permits, args.sensors)
    if args.in_process:
        return in_process(args, drones, sensor_tokens)
    print(f"Seeded {len(drones)} permits in effect and {len(sensor_tokens)} sensors; loading {args.url}")

    received, ready, stop = {}, threading.Event(), threading.Event()
    reader = threading.Thread(target=stream_reader, args=(args.url, watcher_token, received, ready, stop), daemon=True)
    reader.start()
    if not ready.wait(30):
        sys.exit("The air defense stream did not connect")

    # Each sensor watches its own part of the sky: drones are split between them, as radars' sectors are.
    server = web_server_processes(args.url)
    server_cpu = sum(backend_cpu_s(pid) for pid in server)
    results = multiprocessing.Queue()
    run = int(time.time())  # new intruder track ids every run, so each is a new hostile track
    processes = [
        multiprocessing.Process(
            target=sensor_process,
            args=(
                args.url,
                token,
                drones[n :: args.sensors],
                args.batch,
                args.hostile_per_batch,
                args.duration,
                n,
                run,
                results,
            ),
        )
        for n, token in enumerate(sensor_tokens)
    ]
    started = time.time()
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    elapsed = time.time() - started
    server_cpu = sum(backend_cpu_s(pid) for pid in server) - server_cpu
    for process in processes:
        process.join()

    sent_hostile = {}
    for outcome in outcomes:
        sent_hostile.update(outcome["sent_hostile"])
    deadline = time.time() + args.drain
    while time.time() < deadline and not set(sent_hostile) <= set(received):
        time.sleep(0.2)
    stop.set()

    total = sum(outcome["reports"] for outcome in outcomes)
    errors = sum(outcome["errors"] for outcome in outcomes)
    request_s = [s for outcome in outcomes for s in outcome["request_s"]]
    latencies_ms = [(received[t] - sent) * 1000 for t, sent in sent_hostile.items() if t in received]
    missing = len(sent_hostile) - len(latencies_ms)
    print(f"reports classified and stored: {total} in {elapsed:.1f} s = {total / elapsed:,.0f} reports/s")
    print(
        f"batches: {len(request_s)} of {args.batch} ({errors} errors); POST p50 "
        f"{statistics.median(request_s) * 1000:.0f} ms, p99 {percentile(request_s, 0.99) * 1000:.0f} ms"
    )
    if server:
        print(
            f"web server CPU: {server_cpu * 1000 / max(1, len(request_s)):.1f} ms per batch"
            f" ({len(server)} processes on this machine serving {args.url})"
        )
    if latencies_ms:
        print(
            f"hostile alerts: {len(latencies_ms)} on the stream, {missing} missing; POST-to-stream latency "
            f"p50 {percentile(latencies_ms, 0.5):.0f} ms, p99 {percentile(latencies_ms, 0.99):.0f} ms, "
            f"max {max(latencies_ms):.0f} ms"
        )
    else:
        print(f"hostile alerts: none arrived ({missing} sent)")
    return 1 if errors or missing else 0


if __name__ == "__main__":
    sys.exit(main())
