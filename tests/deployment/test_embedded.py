"""The demo that `make run` starts with no environment (DESIGN.md, "Embedded default") is a product
mode of its own: no Redis and no worker process. Everything else in the suite runs on the real
PostgreSQL, Redis and Celery worker; this one test starts that demo configuration in a child
process, on a throw-away SQLite file, and checks it works end to end: migrate, the demo data, a
sensor batch classified and stored, and its alert delivered with no worker running."""

import json
import os
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
        from rest_framework.authtoken.models import Token
        from rest_framework.test import APIClient

        from airspace.models import AirDefenseNotification, Aircraft, PositionReport, Sensor, Track
        from permits.models import FlightPermit

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")

        sensor = Sensor.objects.get(user__username="radar1")
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=sensor.user)[0].key)
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
        from rest_framework.authtoken.models import Token
        from rest_framework.test import APIClient

        from airspace.models import AirDefenseNotification, Sensor
        from airspace.surveillance.following import follow_flights
        from airspace.surveillance.models import FollowingRun

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("run_clock", "--once")
        sensor = Sensor.objects.get(user__username="radar1")
        client = APIClient(HTTP_HOST="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=sensor.user)[0].key)
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
