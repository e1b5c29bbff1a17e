"""Fixtures of the air defense delivery tests: real Celery worker and beat processes on the test
database and a real Redis, a separate redis-server that a test may stop and start, local webhook
receivers (the only webhook destination tests allow: 127.0.0.1), and pointing this process's Celery
app at another broker.

Tests that use a worker must be `@pytest.mark.django_db(transaction=True)` (the worker only sees
committed rows) and `@pytest.mark.worker`.
"""

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kombu.pools
import pytest
import requests
from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Ports this engineer's tests may use (18400-18499): webhook receivers and the separate Redis.
RECEIVER_PORTS = range(18410, 18450)
REDIS_PORTS = range(18450, 18470)

# The worker's delivery settings in tests: short backoff and timeouts so retries finish quickly.
WORKER_ENV = {
    "WEBHOOK_BACKOFF_BASE_S": "0.2",
    "WEBHOOK_BACKOFF_MAX_S": "2",
    "WEBHOOK_TIMEOUT_S": "3",
    "WEBHOOK_MAX_ATTEMPTS": "5",
    "WEBHOOK_ALLOWED_DESTINATIONS": "127.0.0.1",
    "LOG_LEVEL": "INFO",
}
# The queues of the Procfile's two workers, and all of them for a test that runs one worker.
ALERT_QUEUES = "air_defense,default"
WEBHOOK_QUEUES = "webhooks,evidence"
FOLLOWING_QUEUES = "following"
ALL_QUEUES = f"{ALERT_QUEUES},{WEBHOOK_QUEUES},{FOLLOWING_QUEUES}"


@pytest.fixture(autouse=True)
def _webhooks_to_local_receivers_only(settings):
    """Tests post webhooks to receivers on 127.0.0.1 and nowhere else (the workers get the same)."""
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["127.0.0.1"]


def wait_for(condition, timeout=60, interval=0.2, message="condition"):
    """Poll until `condition()` is truthy and return its value; generous timeouts, no fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def free_port(ports):
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {ports}")


def database_url_of_tests():
    """The URL of the database pytest-django created, for child processes."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# --- Celery workers -------------------------------------------------------------------------


class WorkerProcess:
    """A `celery worker` child process consuming `queues`."""

    def __init__(self, redis_url, stream_channel, extra_env=None, queues=ALL_QUEUES):
        self.name = f"h4test-{uuid.uuid4().hex[:8]}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"{self.name}-", suffix=".log", delete=False)  # noqa: SIM115
        env = {
            **os.environ,
            **WORKER_ENV,
            "DATABASE_URL": database_url_of_tests(),
            "REDIS_URL": redis_url,
            "AIR_DEFENSE_STREAM_CHANNEL": stream_channel,
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--queues",
                queues,
                "--pool",
                "solo",
                "--hostname",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=60, message=f"worker {self.name} to be ready")

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Worker exited with {self.process.returncode}:\n{self.log_text()}")
        return " ready." in self.log_text()

    def log_text(self):
        return Path(self.log.name).read_text(errors="replace")

    def kill(self):
        """SIGKILL: no warm shutdown, in-flight tasks are not acknowledged."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


class WorkerGroup:
    """The workers of a deployment, as the Procfile runs them: one for alerts (air_defense, default),
    one for webhook posts (webhooks)."""

    def __init__(self, alerts, webhooks):
        self.alerts, self.webhooks = alerts, webhooks

    def log_text(self):
        return f"--- alerts worker ---\n{self.alerts.log_text()}\n--- webhooks worker ---\n{self.webhooks.log_text()}"


@pytest.fixture(scope="module")
def worker_factory(django_db_setup, stream_channel):
    """start(redis_url=..., extra_env=..., queues=...) -> a running WorkerProcess (all queues unless
    told); all are stopped at the end."""
    workers = []

    def start(redis_url=None, extra_env=None, queues=ALL_QUEUES):
        worker = WorkerProcess(redis_url or settings.REDIS_URL, settings.AIR_DEFENSE_STREAM_CHANNEL, extra_env, queues)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


class BeatProcess:
    """A `celery beat` child process sending the periodic jobs of CELERY_BEAT_SCHEDULE (its own
    schedule file, so that several can run at once, as two beat processes by mistake would)."""

    def __init__(self, redis_url, extra_env=None):
        self.name = f"h4beat-{uuid.uuid4().hex[:8]}"
        self.directory = tempfile.mkdtemp(prefix=f"{self.name}-")
        self.log = Path(self.directory) / "beat.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of_tests(),
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(Path(self.directory) / "schedule"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._ready, timeout=60, message=f"beat {self.name} to be ready")

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"Beat exited with {self.process.returncode}:\n{self.log_text()}")
        return "Sending due task" in self.log_text()

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def pause(self):
        """SIGSTOP: it sends nothing until resume() (a test's database is flushed in between)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def beat_factory(django_db_setup):
    """start(extra_env=...) -> a running BeatProcess on the test Redis; all are stopped at the end."""
    beats = []

    def start(extra_env=None):
        beat = BeatProcess(settings.REDIS_URL, extra_env)
        beats.append(beat)
        return beat

    yield start
    for beat in beats:
        beat.stop()


@pytest.fixture(scope="module")
def stream_channel():
    """A stream channel of this test module alone (pub/sub channels are shared by all Redis dbs)."""
    with override_settings(AIR_DEFENSE_STREAM_CHANNEL=f"airspace:test:{uuid.uuid4().hex}"):
        yield settings.AIR_DEFENSE_STREAM_CHANNEL


@pytest.fixture(scope="module")
def celery_worker(worker_factory):
    """The deployment's two workers on the test Redis for the module, started on empty queues."""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # leftovers of earlier runs (this test Redis db only)
    return WorkerGroup(alerts=worker_factory(queues=ALERT_QUEUES), webhooks=worker_factory(queues=WEBHOOK_QUEUES))


# --- a Redis of our own, which a test may stop ------------------------------------------------


class RedisServer:
    def __init__(self):
        self.port = free_port(REDIS_PORTS)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="h4-redis-")
        self.process = None

    def start(self):
        import redis

        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, timeout=30, message=f"redis-server on port {self.port}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture
def redis_server():
    """A separate, running redis-server on a port of our own; `.stop()` and `.start()` it at will."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


@contextlib.contextmanager
def celery_broker(url):
    """Point this process's Celery app (what `.delay()` publishes to) at another broker."""
    from config.celery import app

    def reconnect(broker_url):
        app.conf.broker_url = broker_url
        app.conf.broker_write_url = None
        # Drop every cached connection and producer, Celery's and kombu's (kombu keys its pools by
        # URL, and a restarted redis-server on the same port would otherwise get a dead pool).
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None
        kombu.pools.reset()

    previous = app.conf.broker_url
    reconnect(url)
    try:
        yield app
    finally:
        reconnect(previous)


# --- webhook receivers ----------------------------------------------------------------------


class WebhookReceiver:
    """A C2 system's endpoint on loopback: records each POST and answers from a script.

    `statuses`: the status of each request in turn (then 200). `hold()` makes requests wait until
    `release()`, so a delivery stays in flight. `address`/`port`: where it listens (127.0.0.1 and a
    free port unless told). `tls`: an ssl.SSLContext to serve https with."""

    def __init__(self, statuses=(), address="127.0.0.1", port=None, tls=None):
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.released.set()
        self.port = port or free_port(RECEIVER_PORTS)
        self.url = f"{'https' if tls else 'http'}://{address}:{self.port}/airspace-hook"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.released.wait(timeout=120)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"status": status}).encode())
                except OSError:
                    pass  # the sender is gone (the killed worker)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, self.port), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hold(self):
        self.released.clear()

    def release(self):
        self.released.set()

    def received(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    """webhook_receiver(statuses=(500, 500)) -> a running WebhookReceiver, closed after the test."""
    receivers = []

    def start(statuses=(), **where):
        receiver = WebhookReceiver(statuses, **where)
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.close()


# --- the live stream, read like a C2 client ----------------------------------------------


class StreamReader:
    """Reads a live SSE response in a thread and hands over complete events."""

    def __init__(self, url, token):
        self.response = requests.get(
            url, headers={"Authorization": f"Token {token}", "Accept": "text/event-stream"}, stream=True, timeout=60
        )
        self.response.raise_for_status()
        self.blocks = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        block = []
        try:
            # chunk_size=1: hand over each line as it comes, not when 512 bytes have piled up.
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line:
                    block.append(line)
                elif block:
                    self.blocks.put("\n".join(block))
                    block = []
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def next_event(self, timeout=60):
        """The next `id/event/data` event, skipping comments (connected, heartbeat)."""
        while True:
            block = self.blocks.get(timeout=timeout)
            lines = [line for line in block.splitlines() if not line.startswith(":") and ": " in line]
            fields = dict(line.split(": ", 1) for line in lines)
            if "data" in fields:
                return fields["id"], fields["event"], json.loads(fields["data"])

    def wait_connected(self, timeout=30):
        assert ": connected" in self.blocks.get(timeout=timeout)

    def close(self):
        self.response.close()
