"""/metrics: the project's counters after real report batches, the outbox and queue gauges read at
scrape time, who may read it, and the counters of every process added up (multiprocess mode): the
web process's and the live Celery worker's, read through the web process's /metrics."""

import os
import re
import shutil
import tempfile
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from tests.fixtures_celery import ALERT_QUEUES, wait_for

METRICS = "/metrics"
REPORTS = "/api/v1/tracks/reports/"


def samples(text):
    """{(name, frozenset(labels)): value} of a metrics page."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text, name, **labels):
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def unregistered(track, seconds_ago=0):
    at = (timezone.now() - timedelta(seconds=seconds_ago)).isoformat()
    return {"sensor_track_id": track, "observed_at": at, "lat": 33.30, "lon": 44.50, "altitude_m": 80}


@pytest.mark.django_db
def test_a_report_batch_shows_in_the_counters(client_for, sensor_user):
    before = Client().get(METRICS).content.decode()
    batch = {"reports": [unregistered("m-1", 2), unregistered("m-1", 1), unregistered("m-2")]}
    assert client_for(sensor_user).post(REPORTS, batch, format="json").status_code == 200

    after = Client().get(METRICS).content.decode()
    assert value(after, "airspace_report_batches_total") == value(before, "airspace_report_batches_total") + 1
    classified = ("airspace_reports_classified_total", {"classification": "unregistered"})
    assert value(after, classified[0], **classified[1]) == value(before, classified[0], **classified[1]) + 3
    assert (
        value(after, "airspace_report_batch_seconds_count") == value(before, "airspace_report_batch_seconds_count") + 1
    )
    # Two hostile tracks, two alerts in the outbox (no worker here: they wait), read at scrape time.
    assert value(after, "airspace_outbox_undelivered") == 2
    assert value(after, "airspace_outbox_oldest_undelivered_seconds") >= 0
    # The Celery queues' depths, by name, from Redis.
    assert {"air_defense", "webhooks", "following", "c2", "default"} <= {
        dict(labels)["queue"] for name, labels in samples(after) if name == "airspace_queue_depth"
    }
    # django-prometheus's request metrics are there too.
    assert "django_http_requests_total_by_method_total" in after


@pytest.mark.django_db
def test_the_oldest_undelivered_age_is_read_from_the_outbox():
    notification = AirDefenseNotification.objects.create(kind="track.hostile", severity="warning", payload={})
    AirDefenseNotification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    page = Client().get(METRICS).content.decode()
    assert 299 <= value(page, "airspace_outbox_oldest_undelivered_seconds") < 400


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_unless_they_bring_the_token(settings):
    settings.METRICS_TOKEN = "scrape-me-" + "x" * 20
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    refused = elsewhere.get(METRICS)
    assert refused.status_code == 403
    assert "METRICS_TOKEN" in refused.content.decode()
    assert elsewhere.get(METRICS, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert elsewhere.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = []
    assert Client().get(METRICS).status_code == 403  # loopback too, once it is not listed


@pytest.fixture
def metrics_directory():
    directory = tempfile.mkdtemp(prefix="prometheus-multiproc-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_web_process_adds_up_its_own_and_the_live_workers_counters(
    web_process, worker_factory, metrics_directory, sensor_user
):
    env = {"PROMETHEUS_MULTIPROC_DIR": metrics_directory}
    # A file left by a process of an earlier run (pid 999999 is not running): cleaned at start.
    with open(f"{metrics_directory}/counter_999999.db", "wb") as stale:
        stale.write(b"\0" * 16)
    worker_factory(extra_env=env, queues=ALERT_QUEUES)
    server = web_process(**env)
    assert not [name for name in os.listdir(metrics_directory) if "999999" in name]

    token = get_api_token(user=sensor_user).key
    posted = requests.post(
        f"{server.url}{REPORTS}",
        json={"reports": [unregistered("mp-1"), unregistered("mp-2")]},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text

    def page():
        return requests.get(f"{server.url}{METRICS}", timeout=10).text

    # The two alerts are marked delivered in the worker process; its histogram is read through the web's page.
    text = wait_for(
        lambda: (value(t := page(), "airspace_alert_delivery_seconds_count") >= 2) and t,
        message="the worker's deliveries in the web process's metrics",
    )
    assert value(text, "airspace_alerts_delivered_total") == 2
    assert value(text, "airspace_reports_classified_total", classification="unregistered") == 2
    assert value(text, "airspace_outbox_undelivered") == 0
    # The pids of both processes wrote files of their own into the one directory.
    pids = {int(match) for match in re.findall(r"_(\d+)\.db", " ".join(os.listdir(metrics_directory)))}
    assert len(pids) >= 2


def test_a_multiprocess_directory_that_does_not_exist_yet_is_made_not_a_crash(tmp_path):
    """prometheus_client opens its file at the first metric made: `manage.py migrate` before any web
    process ran must not die on a missing directory."""
    import subprocess
    import sys

    from tests.fixtures_celery import ROOT

    directory = tmp_path / "not-yet" / "prometheus"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "DJANGO_SETTINGS_MODULE": "config.settings"}
    script = "import django; django.setup(); import airspace.metrics; airspace.metrics.report_batches.inc()"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert any(path.name.startswith("counter_") for path in directory.iterdir())
