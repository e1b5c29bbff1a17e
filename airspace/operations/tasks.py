"""Celery tasks of operations: the alerts worker's heartbeat (heartbeat.py)."""

from celery import shared_task

from .heartbeat import write_heartbeat


@shared_task(name="airspace.operations.tasks.air_defense_heartbeat", ignore_result=True)
def air_defense_heartbeat():
    write_heartbeat()
