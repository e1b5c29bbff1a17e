"""The Celery app. Tasks live in the tasks.py of the domains listed below; settings come from CELERY_*
in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("airspace_service")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["airspace.air_defense", "airspace.surveillance", "airspace.c2", "permits"])
