"""The Celery app. Tasks live in the tasks.py of the domains listed below; settings come from CELERY_*
in settings."""

import os

from celery import Celery
from celery.signals import worker_init

from airspace.operations.multiprocess import clean_directory_at_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("airspace_service")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["airspace.air_defense", "airspace.surveillance", "airspace.c2", "airspace.operations", "permits"]
)


@worker_init.connect
def _clean_metrics_directory(**kwargs):
    """The files a previous run left in PROMETHEUS_MULTIPROC_DIR go before this worker writes its own."""
    clean_directory_at_start()
