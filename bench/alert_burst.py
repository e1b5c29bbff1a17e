"""Alert latency right after a burst, against the real stack (`make run` with DATABASE_URL and REDIS_URL).

Each round, one sensor POST brings 1,000 new hostile tracks (no identifier, outside every zone), and
right after it a lone report of an unidentified drone inside the Baghdad Green Zone (a prohibited
zone: a critical `track.hostile` alert). A reader on the air defense stream measures that lone
alert's latency, from the start of its POST to its event on the stream. About 40 webhook
subscriptions point at a receiver this script runs on 127.0.0.1, so every alert also fans out
to 40 webhook posts, as it would to the C2 systems of a real site.

Between rounds it waits until every alert is on the stream (at most --settle seconds) and, with
--settle-webhooks, until every webhook post is made too; without it the next burst comes while the
webhook workers still work through the last one, as on a busy day. Prints each round, the backlog
it started with, and p50/p99/max.
The exact command and the results are in docs/PERFORMANCE.md.
"""

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SUBSCRIPTION_PREFIX = "bench-c2-"
# Inside the demo's Baghdad Green Zone (seed_demo), and a patch of desert west of Baghdad outside every zone.
GREEN_ZONE = (33.3100, 44.3900)
OUTSIDE_ZONES = (33.10, 44.05)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(subscription_count, receiver_url):
    """A sensor and an air defense account, and the webhook subscriptions (ORM: no URL checks)."""
    from django.db import connection

    from airspace.accounts.services import add_user_with_role, get_api_token
    from airspace.air_defense.models import WebhookSubscription
    from airspace.air_defense.services import subscribe_webhook
    from airspace.zones.models import RestrictedZone

    if not RestrictedZone.objects.filter(name="Baghdad Green Zone", active=True).exists():
        sys.exit("The demo's Baghdad Green Zone is missing: `make run` loads it (seed_demo).")
    sensor, _ = add_user_with_role(username="bench-burst-radar", role="sensor", password="bench-only")
    watcher, _ = add_user_with_role(username="bench-burst-air-defense", role="air_defense", password="bench-only")
    WebhookSubscription.objects.filter(name__startswith=SUBSCRIPTION_PREFIX).delete()
    for n in range(subscription_count):
        subscribe_webhook(name=f"{SUBSCRIPTION_PREFIX}{n}", url=f"{receiver_url}/c2-{n}", user=watcher)
    tokens = get_api_token(user=sensor).key, get_api_token(user=watcher).key
    connection.close()
    return tokens


def backlog():
    """(alerts not yet on the stream, webhook posts not yet made): notifications not delivered, and
    pending webhook deliveries plus 40 for each delivered notification whose deliveries are not
    made yet (failed posts count as done)."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import connection

    from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery, WebhookSubscription

    alerts = AirDefenseNotification.objects.filter(delivered_at=None).count()
    posts = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count()
    try:
        AirDefenseNotification._meta.get_field("fanned_out_at")
        not_fanned_out = AirDefenseNotification.objects.filter(delivered_at__isnull=False, fanned_out_at=None).count()
        posts += not_fanned_out * WebhookSubscription.objects.filter(active=True).count()
    except FieldDoesNotExist:
        pass  # the code from before webhook deliveries were made on the webhooks queue
    connection.close()
    return alerts, posts


def receiver_process(port, posts, ready):
    """A C2 system's webhook endpoint: reads the body, answers 204. Its own process, so that its
    work does not delay the stream reader's clock."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with posts.get_lock():
                posts.value += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    ready.set()
    server.serve_forever()


def stream_reader(url, token, arrivals, ready, stop):
    """Record the arrival time of each track.hostile event, keyed by the report's sensor track id.
    Reads whatever the socket has (read1), not a byte at a time: a burst is ~1 MB of events, and
    parsing it byte by byte in Python took seconds, which the next alert's latency then counted."""
    headers = {"Authorization": f"Token {token}", "Accept": "text/event-stream"}
    with requests.get(f"{url}/api/v1/air-defense/stream/", headers=headers, stream=True, timeout=(5, 60)) as response:
        response.raise_for_status()
        event, pending = None, b""
        while not stop.is_set():
            data = response.raw.read1(1 << 16)
            if not data:
                return
            now = time.time()
            *lines, pending = (pending + data).split(b"\n")
            for line in (raw.decode().rstrip("\r") for raw in lines):
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "track.hostile":
                    track_id = json.loads(line[6:])["payload"]["track"]["sensor_track_id"]
                    arrivals.setdefault(track_id, now)


def report(track_id, position, altitude_m=120.0):
    lat, lon = position
    return {
        "sensor_track_id": track_id,
        "observed_at": datetime.now(UTC).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": altitude_m,
    }


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--burst", type=int, default=1000, help="new hostile tracks in the burst (one POST)")
    parser.add_argument("--subscriptions", type=int, default=40, help="webhook subscriptions to the local receiver")
    parser.add_argument("--receiver-port", type=int, default=18480)
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the lone alert")
    parser.add_argument("--settle", type=float, default=600, help="seconds to wait for the queues to empty")
    parser.add_argument("--settle-webhooks", action="store_true", help="also wait for the webhook posts between rounds")
    parser.add_argument("--pause", type=float, default=5, help="seconds between rounds")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        parser.error("set DATABASE_URL and REDIS_URL to those of the running stack (make run)")

    posts, receiver_ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    receiver = multiprocessing.Process(
        target=receiver_process, args=(args.receiver_port, posts, receiver_ready), daemon=True
    )
    receiver.start()
    if not receiver_ready.wait(10):
        sys.exit("The webhook receiver did not start")

    setup_django()
    sensor_token, watcher_token = seed(args.subscriptions, f"http://127.0.0.1:{args.receiver_port}")
    print(f"{args.subscriptions} webhook subscriptions to 127.0.0.1:{args.receiver_port}; loading {args.url}")

    arrivals, ready, stop = {}, threading.Event(), threading.Event()
    reader = threading.Thread(target=stream_reader, args=(args.url, watcher_token, arrivals, ready, stop), daemon=True)
    reader.start()
    if not ready.wait(30):
        sys.exit("The air defense stream did not connect")

    session = requests.Session()
    session.headers.update({"Authorization": f"Token {sensor_token}", "Content-Type": "application/json"})
    run = int(time.time())
    latencies_ms, missing = [], 0
    for number in range(args.rounds):
        alerts_waiting, posts_waiting = backlog()
        burst_ids = [f"burst-{run}-{number}-{n}" for n in range(args.burst)]
        burst = {"reports": [report(track_id, OUTSIDE_ZONES) for track_id in burst_ids]}
        posts_before = posts.value
        burst_started = time.time()
        answer = session.post(f"{args.url}/api/v1/tracks/reports/", json=burst, timeout=120)
        answer.raise_for_status()
        burst_answered = time.time()

        lone_id = f"green-zone-{run}-{number}"
        lone_started = time.time()
        answer = session.post(
            f"{args.url}/api/v1/tracks/reports/", json={"reports": [report(lone_id, GREEN_ZONE)]}, timeout=60
        )
        answer.raise_for_status()
        lone_answered = time.time()
        [result] = answer.json()["results"]
        assert result["classification"] == "unregistered" and result["zone"] == "Baghdad Green Zone", result
        deadline = time.time() + args.timeout
        while lone_id not in arrivals and time.time() < deadline:
            time.sleep(0.01)
        if lone_id in arrivals:
            latency_ms = (arrivals[lone_id] - lone_started) * 1000
            latencies_ms.append(latency_ms)
            lone = (
                f"Green Zone alert {latency_ms:,.0f} ms after its POST "
                f"(which was answered in {(lone_answered - lone_started) * 1000:,.0f} ms)"
            )
        else:
            missing += 1
            lone = f"Green Zone alert MISSING after {args.timeout:.0f} s"
        burst_seen = sum(1 for track_id in burst_ids if track_id in arrivals)
        print(
            f"round {number + 1} (webhook posts still to make from earlier rounds: {posts_waiting:,}): "
            f"burst POST {(burst_answered - burst_started) * 1000:,.0f} ms; {lone}; "
            f"burst alerts on the stream by then {burst_seen}/{args.burst}",
            flush=True,
        )

        settle_deadline = time.time() + args.settle
        while time.time() < settle_deadline:
            alerts_waiting, posts_waiting = backlog()
            if not alerts_waiting and not (args.settle_webhooks and posts_waiting):
                break
            time.sleep(1)
        else:
            print(f"  not settled after {args.settle:.0f} s: {alerts_waiting} alerts, {posts_waiting} posts to go")
            break
        print(
            f"  settled {time.time() - lone_started:,.0f} s after the alert; {posts.value - posts_before:,} "
            f"webhook posts received meanwhile, {posts_waiting:,} to go",
            flush=True,
        )
        time.sleep(args.pause)
    stop.set()
    if latencies_ms:
        print(
            f"lone Green Zone alert, POST to stream, {len(latencies_ms)} rounds: "
            f"p50 {percentile(latencies_ms, 0.5):,.0f} ms, p99 {percentile(latencies_ms, 0.99):,.0f} ms, "
            f"max {max(latencies_ms):,.0f} ms; {missing} missing"
        )
    receiver.terminate()
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
