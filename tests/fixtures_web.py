"""Fixtures of the tests that need the web process as `make run` starts it: the `web:` line of the
Procfile (or Procfile.embedded) run by a shell, on a port of its own, against the test database and
Redis — so that these tests fail if the process layout goes back to one that a stream can starve.
And a reader of live streams over real sockets.

Tests that use it must be `@pytest.mark.django_db(transaction=True)`: the server only sees committed rows.
"""

import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.fixtures_celery import ROOT, database_url_of_tests, free_port, wait_for

# Ports of the web processes these tests start (the other fixtures use 18410-18469).
WEB_PORTS = range(18470, 18500)
STREAM = "/api/v1/air-defense/stream/"
# The web process's secret key: a test that signs a session for it must sign with the same one.
SECRET_KEY = "test-web-process-secret-key-not-the-demo-one"


def procfile_web_command(procfile):
    [line] = [line for line in (ROOT / procfile).read_text().splitlines() if line.startswith("web:")]
    return line.removeprefix("web:").strip()


class WebProcess:
    """`procfile`'s web process; `env` on top of the test database, Redis and stream channel."""

    def __init__(self, procfile="Procfile", env=None):
        self.port = free_port(WEB_PORTS)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="web-", suffix=".log", delete=False)  # noqa: SIM115
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "BIND_ADDRESS": "127.0.0.1",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url_of_tests(),
            "REDIS_URL": settings.REDIS_URL,
            "AIR_DEFENSE_STREAM_CHANNEL": settings.AIR_DEFENSE_STREAM_CHANNEL,
            "WEB_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.env = {name: value for name, value in self.env.items() if value is not None}
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {procfile_web_command(procfile)}"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._answers, timeout=60, message=f"the web process on port {self.port}")

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f"The web process exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            return requests.get(f"{self.url}/api/v1/zones/", timeout=2).status_code
        except requests.RequestException:
            return None

    def log_text(self):
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@pytest.fixture
def web_process(django_db_setup):
    """web_process(procfile="Procfile", **env) -> a running WebProcess, stopped after the test."""
    processes = []

    def start(procfile="Procfile", **env):
        process = WebProcess(procfile, env)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()


class RawStream:
    """One stream over a plain socket: the status line and headers as sent, then its blocks (events
    and comments) as they come. `abort()` resets the connection, as a client that vanishes does."""

    def __init__(self, url, headers):
        host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
        path = "/" + url.removeprefix("http://").split("/", 1)[1]
        self.socket = socket.create_connection((host, int(port)), timeout=30)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        self.status = int(head[0].split()[1])
        self.headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if line}
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.text = ""

    def _until(self, marker):
        while marker not in self.buffer:
            data = self.socket.recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self.buffer += data
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _more(self):
        """Decoded body text as it arrives; raises EOFError at the end of the stream."""
        if not self.chunked:
            data = self.buffer or self.socket.recv(65536)
            self.buffer = b""
            if not data:
                raise EOFError("the server closed the connection")
            return data.decode()
        size = int(self._until(b"\r\n"), 16)
        if size == 0:
            raise EOFError("the stream ended")
        while len(self.buffer) < size + 2:
            data = self.socket.recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self.buffer += data
        chunk, self.buffer = self.buffer[:size], self.buffer[size + 2 :]
        return chunk.decode()

    def body(self):
        """The whole body of a response that is not a stream (a refusal)."""
        if "content-length" in self.headers:
            length = int(self.headers["content-length"])
            while len(self.buffer) < length:
                self.buffer += self.socket.recv(65536)
            return self.buffer[:length].decode()
        text = ""
        try:
            while True:
                text += self._more()
        except EOFError:
            return text

    def next_block(self, timeout=30):
        """The next event or comment block, without its blank line."""
        self.socket.settimeout(timeout)
        while "\n\n" not in self.text:
            self.text += self._more()
        block, self.text = self.text.split("\n\n", 1)
        return block

    def blocks_until_closed(self, timeout=30):
        """Every block until the server ends the stream (EOFError if it does not within `timeout`)."""
        deadline = time.monotonic() + timeout
        blocks = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the stream was still open after {timeout} s: {blocks}")
            try:
                blocks.append(self.next_block(timeout=remaining))
            except EOFError:
                return blocks

    def abort(self):
        # SO_LINGER 0: close() sends a reset at once, no orderly goodbye.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.socket.close()

    def close(self):
        try:
            self.socket.close()
        except OSError:
            pass


@pytest.fixture
def open_stream():
    """open_stream(server, token=... | session=..., query=..., **headers) -> a RawStream; all closed
    after the test. Header names are written with underscores: Last_Event_ID=..."""
    streams = []

    def start(server, token=None, session=None, query="", **headers):
        if token:
            headers["Authorization"] = f"Token {token}"
        if session:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}"
        url = f"{server.url}{STREAM}" + (f"?{query}" if query else "")
        raw = RawStream(url, {name.replace("_", "-"): value for name, value in headers.items()})
        streams.append(raw)
        return raw

    yield start
    for raw in streams:
        raw.close()
