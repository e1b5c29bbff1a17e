"""A schema-driven fuzz run of the API (issue 10, "Done when"): schemathesis generates requests from
`/api/schema/` for every operation, as each role (operator, command staff, senior officer, air
defense, sensor: token auth), against gunicorn on 127.0.0.1 with a database of its own, and checks
that no response is a 5xx and that every response conforms to the schema.

Bounded: `--max-examples` per operation and `--max-time` seconds per role. Every request goes to
127.0.0.1: the service, and the webhook receiver that every subscription the fuzzer makes is
pointed at (fuzz/hooks.py rewrites the `url`; WEBHOOK_ALLOWED_DESTINATIONS, once the service has
it, allows only that receiver). Left out: the live stream (it never ends, by design) and revoking
the role's own token (the rest of the run would be 401s).

    make fuzz                       # or: .venv/bin/python fuzz/run.py --max-examples 20 --max-time 60
Results: fuzz/reports/ (JUnit XML and the output of each role); docs/FUZZ.md says what was found.
"""

import argparse
import http.server
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTS = ROOT / "fuzz" / "reports"
# The demo data's users (manage.py seed_demo), one per role, all with this password.
ROLES = {
    "operator": "pilot",
    "command_staff": "officer",
    "senior_officer": "senior",
    "air_defense": "airdefense",
    "sensor": "radar1",
    "dealer": "dealer",
}
DEMO_PASSWORD = "airspace-demo"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


class Receiver(http.server.BaseHTTPRequestHandler):
    """The only webhook destination of the run: takes every POST and counts it."""

    received = 0

    def do_POST(self):  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_database(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=20, help="examples per operation and role")
    parser.add_argument("--max-time", type=int, default=60, help="seconds per role")
    parser.add_argument("--port", type=int, default=0, help="of the service (default: a free one)")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated, of: " + ", ".join(ROLES))
    parser.add_argument("--seed", type=int, default=None, help="schemathesis' random seed, to replay a run")
    args = parser.parse_args()

    database_url = os.environ.get("FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/airspace_fuzz")
    if urlsplit(database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("The fuzz run only talks to 127.0.0.1: FUZZ_DATABASE_URL must be a local database.")
    fresh_database(database_url)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    port = args.port or free_port()

    # No REDIS_URL: Celery tasks (delivery, webhook posts) run inside the web process, so whatever
    # the fuzz run makes is delivered at once, to the receiver, with no broker or worker to clean up.
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="config.settings",
        WEBHOOK_ALLOWED_DESTINATIONS="127.0.0.1",
        # Thousands of failed sign-ins are the fuzzer's job, not an attack to lock out or slow down.
        SIGN_IN_MAX_FAILURES="1000000",
        SIGN_IN_ADDRESS_RATE="1000000/min",
        LOG_LEVEL="WARNING",
    )
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "-v", "0"], cwd=ROOT, env=env, check=True)

    REPORTS.mkdir(parents=True, exist_ok=True)
    server_log = open(REPORTS / "gunicorn.log", "w")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen(
        # The Procfile's web process: the API in its thread pool, the stream on the event loop.
        [str(BIN / "gunicorn"), "config.asgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--worker-class", "config.web_worker.WebWorker", "--workers", "1", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        for _ in range(120):
            if server.poll() is not None:
                sys.exit(f"gunicorn stopped; see {REPORTS / 'gunicorn.log'}")
            try:
                requests.get(f"{base}/login/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        for role in args.roles.split(","):
            answer = requests.post(
                f"{base}/api/v1/auth/token/", json={"username": ROLES[role], "password": DEMO_PASSWORD}, timeout=30
            )
            answer.raise_for_status()
            command = [
                str(BIN / "schemathesis"), "run", f"{base}/api/schema/",
                "--header", f"Authorization: Token {answer.json()['token']}",
                "--checks", CHECKS,
                "--max-examples", str(args.max_examples),
                "--max-time", str(args.max_time),
                "--workers", "1",
                "--request-timeout", "30",
                "--exclude-path", "/api/v1/air-defense/stream/",
                # Revoking the role's own token would leave the rest of its run at 401.
                "--exclude-path-regex", "^/api/v1/auth/token/revoke",
                "--report", "junit",
                "--report-junit-path", str(REPORTS / f"{role}.xml"),
                "--no-color",
            ] + (["--seed", str(args.seed)] if args.seed is not None else [])  # fmt: skip
            hooks_env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks", "FUZZ_WEBHOOK_RECEIVER_URL": receiver_url}
            hooks_env["PYTHONPATH"] = str(ROOT)
            print(f"== {role} ({ROLES[role]})", flush=True)
            with open(REPORTS / f"{role}.txt", "w") as output:
                run = subprocess.run(command, cwd=ROOT, env=hooks_env, stdout=output, stderr=subprocess.STDOUT)
            summary = (REPORTS / f"{role}.txt").read_text().strip().splitlines()[-12:]
            print("\n".join(summary), flush=True)
            results[role] = run.returncode
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server_log.close()
        receiver.shutdown()
    print(f"webhook posts received on 127.0.0.1: {Receiver.received}")
    print("roles with findings: " + (", ".join(role for role, code in results.items() if code) or "none"))
    sys.exit(1 if any(results.values()) else 0)


if __name__ == "__main__":
    main()
