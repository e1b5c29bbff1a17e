"""The alerts worker's heartbeat: beat sends `tasks.air_defense_heartbeat` to the `air_defense`
queue every WORKER_HEARTBEAT_INTERVAL_S, and the worker that runs it writes the time into Redis. A
fresh heartbeat says at once that beat is sending, the broker carries, a worker consumes the alerts
queue and is not stuck behind a backlog; /health/ reads its age."""

import time

from django.conf import settings

from .redis_client import redis_client


def heartbeat_key():
    return f"{settings.HEALTH_KEY_PREFIX}:heartbeat:air_defense"


def write_heartbeat():
    client = redis_client()
    if client is None:
        return  # the embedded demo: tasks run in the process that sends them, no worker to watch
    # Expires on its own: a key that is gone reads as "no heartbeat", whatever clock wrote it.
    client.set(heartbeat_key(), repr(time.time()), ex=int(settings.WORKER_HEARTBEAT_MAX_AGE_S * 10))


def heartbeat_age_s():
    """Seconds since the alerts worker last wrote its heartbeat, or None if it never did."""
    value = redis_client().get(heartbeat_key())
    return None if value is None else max(0.0, time.time() - float(value))
