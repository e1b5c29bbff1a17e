"""The demo that `make run` starts with no environment (DESIGN.md, "Embedded default") is a product
mode of its own: no Redis and no worker process. Everything else in the suite runs on the real
PostgreSQL, Redis and Celery worker; this one test starts that demo configuration in a child
process, on a throw-away SQLite file, and checks it works end to end: migrate, the demo data, a
sensor batch classified and stored, and its alert delivered with no worker running."""

import json
import os
import signal
import subprocess
import sys
import textwrap

from tests.fixtures_celery import ROOT


def run_embedded(code, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_demo_classifies_reports_and_delivers_in_process(tmp_path):
    outcome = run_embedded(
        """
        import json
        import django
        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.utils import timezone
        from rest_framework.test import APIClient

        from airspace.accounts.services import get_api_token
        from airspace.models import AirDefenseNotification, Aircraft, PositionReport, Sensor, Track
        from permits.models import FlightPermit

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")

        sensor = Sensor.objects.get(user__username="radar1")
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION="Token " + get_api_token(user=sensor.user).key)
        registered = Aircraft.objects.filter(status="registered").first()
        now = timezone.now().isoformat()
        batch = {"reports": [
            {"sensor_track_id": "e-1", "observed_at": now, "lat": 33.30, "lon": 44.50, "altitude_m": 80},
            {"sensor_track_id": "e-2", "observed_at": now, "lat": 33.30, "lon": 44.50, "altitude_m": 80,
             "remote_id": registered.remote_id},
        ]}
        first = client.post("/api/v1/tracks/reports/", batch, format="json")
        again = client.post("/api/v1/tracks/reports/", batch, format="json")
        hostile = AirDefenseNotification.objects.filter(kind="track.hostile")
        print(json.dumps({
            "status": [first.status_code, again.status_code],
            "classifications": [r["classification"] for r in first.json()["results"]],
            "tracks": Track.objects.count(),
            "reports": PositionReport.objects.count(),
            "hostile": hostile.count(),
            "undelivered": hostile.filter(delivered_at=None).count(),
            "demo_permits": FlightPermit.objects.count(),
        }))
        """,
        tmp_path,
    )
    assert outcome["status"] == [200, 200]
    assert outcome["classifications"][0] == "unregistered"
    assert outcome["classifications"][1] in ("unauthorized", "nonconforming")
    assert (outcome["tracks"], outcome["reports"]) == (2, 4)
    # No worker runs, yet the alert is delivered by the time the request returns.
    assert outcome["hostile"] >= 1 and outcome["undelivered"] == 0
    assert outcome["demo_permits"] > 0


def embedded_env(tmp_path, **extra):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings")
    env.update(extra)
    return env


def test_one_client_works_through_the_permit_workflow_while_the_clock_writes(tmp_path):
    """Two writer processes on one SQLite file, as `make run` starts the demo: the clock activating and
    completing permits (and delivering their notifications) several times a second, and a client
    applying, submitting, reviewing, approving and cancelling through the API. Without WAL and
    write transactions that take the lock up front, the client met "database is locked" (a 503)."""
    seeded = run_embedded(
        """
        import json
        from datetime import timedelta
        import django
        django.setup()
        from django.core.management import call_command
        from django.utils import timezone
        from airspace import roles
        from airspace.accounts.services import get_api_token
        from airspace.geometry import parse_area
        from airspace.accounts.services import add_user_with_role
        from airspace.registry.models import Aircraft
        from permits.models import FlightPermit, State

        call_command("migrate", verbosity=0)
        pilot, _ = add_user_with_role(username="pilot", role=roles.OPERATOR, password="embedded-pw-1!")
        senior, _ = add_user_with_role(username="senior", role=roles.SENIOR_OFFICER, password="embedded-pw-1!")
        operator = pilot.operator_membership.operator
        aircraft = Aircraft.objects.create(
            operator=operator, serial_number="SN-E1", remote_id="RID-E1", manufacturer="DJI", model="M3",
            category="multirotor", mtow_kg="0.9", status="registered",
        )
        area = parse_area({"type": "Point", "coordinates": [44.3, 33.25]}, 300)
        # Work for the clock: approved permits whose windows open and close one after another
        # over the next half minute, each activation and completion a write of its own.
        soon = timezone.now() + timedelta(seconds=8)
        FlightPermit.objects.bulk_create(
            FlightPermit(
                operator=operator, aircraft=aircraft, created_by=pilot, purpose="survey", area=area.geojson,
                radius_m=area.radius_m, boundary=area.boundary_geojson, min_altitude_m=0, max_altitude_m=100,
                starts_at=soon + timedelta(seconds=0.06 * n), ends_at=soon + timedelta(seconds=0.06 * n + 1),
                state=State.APPROVED, reference=f"FP-SEED-{n:04d}",
            )
            for n in range(300)
        )
        print(json.dumps({
            "pilot": get_api_token(user=pilot).key,
            "senior": get_api_token(user=senior).key,
            "aircraft": aircraft.pk,
        }))
        """,
        tmp_path,
    )
    fast_clock = {"PERMIT_CLOCK_INTERVAL_S": "0.05", "NOTIFICATION_SWEEP_INTERVAL_S": "0.05", "LOG_LEVEL": "INFO"}
    clock = subprocess.Popen(
        [sys.executable, "manage.py", "run_clock"],
        cwd=ROOT,
        env=embedded_env(tmp_path, **fast_clock),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        outcome = run_embedded(
            f"""
            import json, time
            from datetime import timedelta
            import django
            django.setup()
            from django.utils import timezone
            from rest_framework.test import APIClient
            from permits.models import FlightPermit

            tokens = {json.dumps(seeded)}
            pilot, senior = APIClient(HTTP_HOST="127.0.0.1"), APIClient(HTTP_HOST="127.0.0.1")
            pilot.credentials(HTTP_AUTHORIZATION="Token " + tokens["pilot"])
            senior.credentials(HTTP_AUTHORIZATION="Token " + tokens["senior"])
            refused, workflows = [], 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (workflows < 8 or FlightPermit.objects.filter(
                    reference__startswith="FP-SEED", state="completed").count() < 50):
                starts_at = timezone.now() + timedelta(hours=2)
                body = {{
                    "aircraft": tokens["aircraft"], "purpose": "survey", "description": "Roof survey",
                    "area": {{"type": "Point", "coordinates": [44.31, 33.26]}}, "radius_m": 200,
                    "min_altitude_m": 0, "max_altitude_m": 100,
                    "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
                }}
                created = pilot.post("/api/v1/permits/", body, format="json")
                steps = [("create", created)]
                if created.status_code == 201:
                    url = f"/api/v1/permits/{{created.json()['id']}}/"
                    steps.append(("submit", pilot.post(url + "submit/")))
                    steps.append(("start-review", senior.post(url + "start-review/")))
                    steps.append(("approve", senior.post(url + "approve/", {{"reason": "ok"}}, format="json")))
                    steps.append(("cancel", pilot.post(url + "cancel/", {{"reason": "rain"}}, format="json")))
                    steps.append(("read", pilot.get(url)))
                refused += [(name, r.status_code, r.content.decode()[:200]) for name, r in steps
                            if r.status_code >= 300]
                workflows += 1
            seeded = FlightPermit.objects.filter(reference__startswith="FP-SEED")
            print(json.dumps({{
                "workflows": workflows,
                "refused": refused,
                "clock_completed": seeded.filter(state="completed").count(),
            }}))
            """,
            tmp_path,
        )
    finally:
        clock.send_signal(signal.SIGTERM)
        try:
            _, clock_log = clock.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            clock.kill()
            _, clock_log = clock.communicate()
    assert outcome["refused"] == [], outcome["refused"][:5]
    assert outcome["workflows"] >= 8
    # The clock wrote all along: permits activated and completed while the client worked.
    assert outcome["clock_completed"] >= 50, outcome
    assert "database is locked" not in clock_log, clock_log[-3000:]
    assert "failed" not in clock_log, clock_log[-3000:]


def test_embedded_demo_follows_flights_on_its_clock(tmp_path):
    # SQLite has no row locks to skip: the demo's single clock process is the only one that claims.
    outcome = run_embedded(
        """
        import json
        from datetime import timedelta
        import django
        django.setup()
        from django.core.management import call_command
        from django.utils import timezone
        from rest_framework.test import APIClient

        from airspace.accounts.services import get_api_token
        from airspace.models import AirDefenseNotification, Sensor
        from airspace.surveillance.following import follow_flights
        from airspace.surveillance.models import FollowingRun

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("run_clock", "--once")
        sensor = Sensor.objects.get(user__username="radar1")
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION="Token " + get_api_token(user=sensor.user).key)
        now = timezone.now()
        batch = {"reports": [
            {"sensor_track_id": f"s-{n}", "observed_at": now.isoformat(), "lat": 33.30, "lon": 44.50 + n / 1000,
             "altitude_m": 80}
            for n in range(3)
        ]}
        posted = client.post("/api/v1/tracks/reports/", batch, format="json")
        done = follow_flights(now=now + timedelta(seconds=1))
        follow_flights(now=now + timedelta(seconds=200))
        notifications = AirDefenseNotification.objects.filter(kind__in=["swarm", "sensor.offline"])
        print(json.dumps({
            "status": posted.status_code,
            "done": done,
            "kinds": sorted(notifications.values_list("kind", flat=True)),
            "undelivered": notifications.filter(delivered_at=None).count(),
            "clock_ran": FollowingRun.objects.exclude(last_run_at=None).exists(),
        }))
        """,
        tmp_path,
    )
    assert outcome["status"] == 200
    assert outcome["kinds"] == ["sensor.offline", "swarm"]
    assert outcome["undelivered"] == 0
    assert outcome["clock_ran"] is True
    assert outcome["done"]["swarms"] == {"new": 1}
