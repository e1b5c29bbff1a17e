"""The health checks a load balancer calls: 200 when the database, Redis, the alerts worker and the
outbox are fine, 503 naming what is not; the liveness check asks nothing; the embedded demo has no
Redis nor worker to check. On the real PostgreSQL, Redis and a live Celery worker."""

import subprocess
import sys
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.test import Client

from airspace.air_defense.models import AirDefenseNotification
from airspace.operations.heartbeat import heartbeat_key
from airspace.operations.tasks import air_defense_heartbeat
from tests.fixtures_celery import ROOT, free_port, wait_for

HEALTH, READY, LIVE = "/health/", "/health/ready/", "/health/live/"


def probe(path=HEALTH):
    # As a load balancer: by address, no account, a Host header that ALLOWED_HOSTS does not list.
    response = Client().get(path, HTTP_HOST="10.1.2.3")
    return response.status_code, response.json()


def closed_redis_url():
    return f"redis://127.0.0.1:{free_port(range(18455, 18470))}/0"


def stuck_notification(age_s):
    notification = AirDefenseNotification.objects.create(kind="track.hostile", severity="warning", payload={})
    AirDefenseNotification.objects.filter(pk=notification.pk).update(
        created_at=notification.created_at - timedelta(seconds=age_s)
    )
    return notification


@pytest.fixture
def no_heartbeat():
    redis.Redis.from_url(settings.REDIS_URL).delete(heartbeat_key())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_all_is_well_when_the_worker_beats_through_the_alerts_queue(celery_worker, no_heartbeat):
    status, body = probe()
    assert status == 503
    assert body["failing"] == ["worker"]
    assert "no heartbeat" in body["checks"]["worker"]

    air_defense_heartbeat.delay()  # as beat sends it: the live worker of the air_defense queue writes it

    status, body = wait_for(lambda: (probe()[0] == 200) and probe(), message="the worker's heartbeat")
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "ok", "outbox": "ok (0 undelivered)"}


@pytest.mark.django_db
def test_a_stale_heartbeat_is_named_with_its_age(settings):
    redis.Redis.from_url(settings.REDIS_URL).set(heartbeat_key(), "1000.0")
    status, body = probe()
    assert status == 503
    assert "last heartbeat is" in body["checks"]["worker"]


@pytest.mark.django_db
def test_redis_unreachable_is_a_503_naming_redis_and_the_liveness_check_still_answers(settings):
    settings.REDIS_URL = closed_redis_url()
    status, body = probe()
    assert status == 503
    assert body["checks"]["redis"] == "unreachable (ConnectionError)"
    assert body["checks"]["worker"] == "unknown: Redis is unreachable"
    assert body["checks"]["database"] == "ok"
    # No secret: the URL, its port and the database's name are nowhere in the answer.
    assert settings.REDIS_URL not in str(body) and settings.DATABASES["default"]["NAME"] not in str(body)

    assert probe(READY)[0] == 503
    assert probe(LIVE) == (200, {"status": "ok", "failing": [], "checks": {}})


@pytest.mark.django_db
def test_an_outbox_that_is_behind_is_a_503_naming_the_oldest_age(settings):
    redis.Redis.from_url(settings.REDIS_URL).set(heartbeat_key(), "9999999999.0")  # a worker beating
    stuck_notification(age_s=300)
    status, body = probe()
    assert status == 503
    assert body["failing"] == ["outbox"]
    assert body["checks"]["outbox"].startswith("1 undelivered, the oldest 30")
    assert "(limit 60 s)" in body["checks"]["outbox"]
    # Not this node's fault: the readiness check leaves it in the load balancer.
    assert probe(READY)[0] == 200


@pytest.mark.django_db
def test_a_backlog_past_its_limit_is_a_503(settings):
    settings.HEALTH_OUTBOX_MAX_BACKLOG = 2
    redis.Redis.from_url(settings.REDIS_URL).set(heartbeat_key(), "9999999999.0")
    for _ in range(3):
        AirDefenseNotification.objects.create(kind="track.hostile", severity="warning", payload={})
    status, body = probe()
    assert status == 503
    assert body["checks"]["outbox"] == "3 undelivered (limit 2)"


@pytest.mark.django_db
def test_without_redis_the_embedded_checks_say_not_used(settings):
    settings.REDIS_URL = ""
    status, body = probe()
    assert status == 200
    assert body["checks"]["redis"] == "not used"
    assert body["checks"]["worker"].startswith("not used")


def test_the_embedded_demo_answers_its_health_on_sqlite(tmp_path):
    """`manage.py` with no DATABASE_URL nor REDIS_URL: SQLite, no Redis, no worker."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    script = (
        "import django, json; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.test import Client; r = Client().get('/health/');"
        "print(r.status_code, json.dumps(r.json()['checks']))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    status, checks = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "200"
    assert '"redis": "not used"' in checks and '"database": "ok"' in checks
