"""Live streams benchmark against the real stack (`make run` with DATABASE_URL and REDIS_URL set).

Opens `--streams` (default 1,000) air defense streams at once on 127.0.0.1 from this one process
(aiohttp), `--per-user` of them per air defense account (the per-user cap), and while they are open:

1. sensor ingest: bench/ingest.py's sensor processes post batches of 1,000 reports for `--duration`
   seconds — first with no stream open, then with all of them open, so the two runs share the
   machine's noise;
2. the API: an air defense user reads the inbox (`GET /api/v1/air-defense/notifications/?limit=10`)
   every `--api-interval` seconds during both runs: latency p50/p99/max and failures;
3. the fan-out: one hostile report, whose alert must reach every open stream (how many did, and
   p50/p99/max from the POST to its arrival).

It also prints, from /proc, the threads and resident memory of the server's web processes before
and with the streams open. Needs `ulimit -n` above the stream count, here and in the shell that
started the stack (this script raises its own soft limit to the hard one). The exact command and
the results are in docs/PERFORMANCE.md.
"""

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import queue
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import ingest  # noqa: E402 - bench/ingest.py, beside this file

STREAM_USER = "bench-stream-{:04d}"


def seed_listeners(count):
    """`count` air defense accounts with API tokens (ORM, no password hashing: they never sign in)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from airspace import roles
    from airspace.accounts.services import get_api_token

    User = get_user_model()
    names = [STREAM_USER.format(n) for n in range(count)]
    known = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=name, password="!") for name in names if name not in known])
    users = list(User.objects.filter(username__in=names).order_by("username"))
    Group.objects.get(name=roles.ROLE_GROUPS[roles.AIR_DEFENSE]).user_set.add(*users)
    tokens = [get_api_token(user=user).key for user in users]
    connection.close()
    return tokens


def web_processes(port):
    """{pid: (threads, resident MB, CPU seconds so far)} of the gunicorn processes serving `port`
    (the master and its workers)."""
    found = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "status").read_text()
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "gunicorn" in command and f":{port}" in command:
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            cpu_s = (int(stat[11]) + int(stat[12])) / ticks  # utime + stime
            found[int(entry.name)] = (int(fields["Threads"]), int(fields["VmRSS"].split()[0]) // 1024, cpu_s)
    return found


def shown(processes):
    return ", ".join(f"{pid}: {threads} threads, {mb} MB" for pid, (threads, mb, _) in sorted(processes.items()))


async def idle_cost(port, seconds):
    """Share of one core the web processes use while the streams only beat."""
    before = web_processes(port)
    await asyncio.sleep(seconds)
    after = web_processes(port)
    used = sum(after[pid][2] - before[pid][2] for pid in after if pid in before)
    return used / seconds


class Listeners:
    """What the open streams have seen."""

    def __init__(self):
        self.connected = 0
        self.refused = Counter()
        self.closed = 0
        self.failed = Counter()
        self.heartbeats = 0
        self.arrivals = defaultdict(list)  # hostile track id -> arrival times
        self.all_connected = asyncio.Event()
        self.expected = 0


async def hold_stream(session, url, token, listeners):
    headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
    try:
        async with session.get(url, headers=headers) as response:
            if response.status != 200:
                listeners.refused[response.status] += 1
                return
            event = None
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith(": connected"):
                    listeners.connected += 1
                    if listeners.connected == listeners.expected:
                        listeners.all_connected.set()
                elif line == ": heartbeat":
                    listeners.heartbeats += 1
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "track.hostile":
                    track_id = json.loads(line[6:])["payload"]["track"]["sensor_track_id"]
                    listeners.arrivals[track_id].append(time.time())
            listeners.closed += 1
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
        listeners.failed[type(error).__name__] += 1


async def probe_api(url, token, interval_s, stop):
    """Read the inbox every `interval_s` until `stop`; latencies in ms and failures."""
    latencies, failures = [], Counter()
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(headers={"Authorization": f"Token {token}"}, timeout=timeout) as session:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with session.get(f"{url}/api/v1/air-defense/notifications/?limit=10") as response:
                    await response.read()
                    if response.status == 200:
                        latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        failures[f"HTTP {response.status}"] += 1
            except (TimeoutError, aiohttp.ClientError) as error:
                failures[type(error).__name__] += 1
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass
    return latencies, failures


def run_sensors(args, drones, tokens, run):
    """bench/ingest.py's sensor processes for `args.duration` s; reports/s, POST p50/p99, errors."""
    context = multiprocessing.get_context("spawn")  # this process runs an event loop: no fork
    results = context.Queue()
    processes = [
        context.Process(
            target=ingest.sensor_process,
            args=(args.url, token, drones[n :: len(tokens)], 1000, args.hostile_per_batch, args.duration, n, run)
            + (results,),
        )
        for n, token in enumerate(tokens)
    ]
    started = time.time()
    for process in processes:
        process.start()
    outcomes = []
    for _ in processes:
        try:  # a sensor whose POST got no answer dies of its read timeout: count it, do not wait forever
            outcomes.append(results.get(timeout=args.duration + 90))
        except queue.Empty:
            outcomes.append({"reports": 0, "errors": 1, "request_s": []})
    elapsed = time.time() - started
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
    reports = sum(outcome["reports"] for outcome in outcomes)
    request_s = [s for outcome in outcomes for s in outcome["request_s"]] or [math.nan]
    return {
        "reports_per_s": reports / elapsed,
        "post_p50_ms": statistics.median(request_s) * 1000,
        "post_p99_ms": ingest.percentile(request_s, 0.99) * 1000,
        "errors": sum(outcome["errors"] for outcome in outcomes),
    }


async def measured_load(args, drones, sensor_tokens, watcher_token, run):
    stop = asyncio.Event()
    prober = asyncio.create_task(probe_api(args.url, watcher_token, args.api_interval, stop))
    ingest_result = await asyncio.to_thread(run_sensors, args, drones, sensor_tokens, run)
    stop.set()
    latencies, failures = await prober
    return ingest_result, latencies, failures


def describe(label, ingest_result, latencies, failures):
    print(
        f"{label}: {ingest_result['reports_per_s']:,.0f} reports/s, POST p50 {ingest_result['post_p50_ms']:.0f} ms, "
        f"p99 {ingest_result['post_p99_ms']:.0f} ms, {ingest_result['errors']} errors"
    )
    if not latencies:
        print(f"  API GET: never answered {dict(failures)}")
        return
    print(
        f"  API GET: {len(latencies)} answered, {sum(failures.values())} failed {dict(failures)}; "
        f"p50 {ingest.percentile(latencies, 0.5):.0f} ms, p99 {ingest.percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )


async def main(args, tokens, drones, sensor_tokens, watcher_token):
    marker_token, sensor_tokens = sensor_tokens[-1], sensor_tokens[:-1]
    port = args.url.rsplit(":", 1)[1].split("/")[0]
    print(f"Seeded {len(tokens)} air defense listeners, {len(drones)} permits in effect, {args.sensors} sensors")
    print(f"web processes, no stream open: {shown(web_processes(port))}")
    print(f"  CPU while idle: {await idle_cost(port, args.idle):.1%} of a core")
    run = int(time.time())

    if not args.skip_baseline:
        describe("ingest, no stream open", *await measured_load(args, drones, sensor_tokens, watcher_token, run))

    listeners = Listeners()
    listeners.expected = args.streams
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        url = f"{args.url}/api/v1/air-defense/stream/"
        opening = time.perf_counter()
        holders = [
            asyncio.create_task(hold_stream(session, url, tokens[n // args.per_user], listeners))
            for n in range(args.streams)
        ]
        try:
            await asyncio.wait_for(listeners.all_connected.wait(), args.connect_timeout)
        except TimeoutError:
            pass
        print(
            f"{listeners.connected} of {args.streams} streams connected in {time.perf_counter() - opening:.1f} s "
            f"(refused: {dict(listeners.refused)}, failed: {dict(listeners.failed)})"
        )
        print(f"web processes, streams open: {shown(web_processes(port))}")
        print(f"  CPU while the streams only beat: {await idle_cost(port, args.idle):.1%} of a core")

        describe(
            f"ingest, {listeners.connected} streams open",
            *await measured_load(args, drones, sensor_tokens, watcher_token, run + 1),
        )

        # The fan-out: one new hostile track, on every open stream.
        track_id = f"fan-out-{run}"
        body = {
            "reports": [
                {
                    "sensor_track_id": track_id,
                    "observed_at": datetime.now(UTC).isoformat(),
                    "lat": 33.22,
                    "lon": 44.27,
                    "altitude_m": 150,
                }
            ]
        }
        open_now = listeners.connected - listeners.closed
        marker = aiohttp.ClientSession(
            headers={"Authorization": f"Token {marker_token}"}, timeout=aiohttp.ClientTimeout(total=30)
        )
        async with marker as poster:
            posted = time.time()
            try:
                async with poster.post(f"{args.url}/api/v1/tracks/reports/", json=body) as response:
                    assert response.status == 200, await response.text()
            except TimeoutError:
                print("fan-out: the hostile report got no answer in 30 s")
        deadline = time.monotonic() + 30
        while len(listeners.arrivals[track_id]) < open_now and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        arrivals_ms = [(at - posted) * 1000 for at in listeners.arrivals[track_id]]
        print(
            f"fan-out: the alert reached {len(arrivals_ms)} of {open_now} open streams; POST to arrival "
            + (
                f"p50 {ingest.percentile(arrivals_ms, 0.5):.0f} ms, p99 {ingest.percentile(arrivals_ms, 0.99):.0f} ms, "
                f"max {max(arrivals_ms):.0f} ms"
                if arrivals_ms
                else "never"
            )
        )
        print(
            f"streams closed by the server during the run: {listeners.closed}; failed: {dict(listeners.failed)}; "
            f"heartbeats received: {listeners.heartbeats}"
        )
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
    complete = len(arrivals_ms) == open_now == args.streams and not listeners.closed
    return 0 if complete else 1


def raise_file_limit(needed):
    """Each stream is a socket: raise this process's soft limit on open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < needed:
        sys.exit(f"This needs about {needed} open files, the limit is {hard}: run `ulimit -n {needed}` first (as root)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--streams", type=int, default=1000, help="concurrent streams to hold open")
    parser.add_argument("--per-user", type=int, default=10, help="streams per account (the per-user cap)")
    parser.add_argument("--permits", type=int, default=500, help="permits in effect for the sensor load")
    parser.add_argument("--sensors", type=int, default=2, help="concurrent sensor processes")
    parser.add_argument("--hostile-per-batch", type=int, default=0, help="new hostile tracks per batch during ingest")
    parser.add_argument("--duration", type=float, default=10, help="seconds of sensor load, each run")
    parser.add_argument("--api-interval", type=float, default=0.2, help="seconds between API reads")
    parser.add_argument("--connect-timeout", type=float, default=60, help="seconds to wait for every stream to open")
    parser.add_argument("--idle", type=float, default=30, help="seconds to measure the CPU of idle streams")
    parser.add_argument("--skip-baseline", action="store_true", help="no ingest run before the streams open")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        parser.error("set DATABASE_URL and REDIS_URL to those of the running stack (make run)")
    raise_file_limit(args.streams + 200)
    ingest.setup_django()
    listener_tokens = seed_listeners(-(-args.streams // args.per_user))
    seeded = ingest.seed(args.permits, args.sensors + 1)  # drones, sensor tokens (one for the fan-out), watcher
    sys.exit(asyncio.run(main(args, listener_tokens, *seeded)))
