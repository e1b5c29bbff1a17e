"""What /health/ checks, each check cheap and bounded (a load balancer calls it every few seconds):
the database answers, Redis answers, the alerts worker's heartbeat is fresh, the outbox is not
behind. Each check says "ok", "not used" (the embedded demo has no Redis and no worker) or what is
wrong — never a secret (no URL, host or password: the endpoint needs no sign-in)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification

from .heartbeat import heartbeat_age_s
from .redis_client import redis_client

OK = "ok"
NOT_USED = "not used"


@dataclass(frozen=True)
class Check:
    name: str
    healthy: bool
    detail: str


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure is the answer, named by its class only
        return Check("database", False, f"unreachable ({type(error).__name__})")
    return Check("database", True, OK)


def check_redis():
    client = redis_client()
    if client is None:
        return Check("redis", True, NOT_USED)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001
        return Check("redis", False, f"unreachable ({type(error).__name__})")
    return Check("redis", True, OK)


def check_worker(redis_healthy):
    """The `air_defense` worker's heartbeat (heartbeat.py), younger than WORKER_HEARTBEAT_MAX_AGE_S."""
    if redis_client() is None:
        return Check("worker", True, f"{NOT_USED} (tasks run in the web process)")
    if not redis_healthy:
        return Check("worker", False, "unknown: Redis is unreachable")
    try:
        age = heartbeat_age_s()
    except Exception as error:  # noqa: BLE001
        return Check("worker", False, f"unknown ({type(error).__name__})")
    limit = settings.WORKER_HEARTBEAT_MAX_AGE_S
    if age is None:
        return Check("worker", False, f"no heartbeat from the air_defense worker in the last {limit:g} s")
    if age > limit:
        return Check("worker", False, f"the air_defense worker's last heartbeat is {age:.0f} s old (limit {limit:g} s)")
    return Check("worker", True, OK)


def outbox_backlog():
    """(undelivered notifications, up to OUTBOX_COUNT_CAP, and the oldest one's age in seconds or
    None). Both from the partial index of undelivered rows: the cost grows with the backlog, not with
    the table, and the count stops at the cap."""
    undelivered = AirDefenseNotification.objects.filter(delivered_at=None)
    count = undelivered.order_by()[: OUTBOX_COUNT_CAP + 1].count()
    oldest = undelivered.order_by().aggregate(oldest=Min("created_at"))["oldest"] if count else None
    age = (timezone.now() - oldest).total_seconds() if oldest else None
    return count, age


# Past this many undelivered notifications the count says "at least": counting on costs more and
# tells nothing more (the check is failing either way).
OUTBOX_COUNT_CAP = 100_000


def check_outbox():
    try:
        count, age = outbox_backlog()
    except Exception as error:  # noqa: BLE001
        return Check("outbox", False, f"unknown ({type(error).__name__})")
    max_age, max_count = settings.HEALTH_OUTBOX_MAX_AGE_S, settings.HEALTH_OUTBOX_MAX_BACKLOG
    shown = f"{count:,}" if count <= OUTBOX_COUNT_CAP else f"over {OUTBOX_COUNT_CAP:,}"
    if age is not None and age > max_age:
        return Check("outbox", False, f"{shown} undelivered, the oldest {age:.0f} s old (limit {max_age:g} s)")
    if count > max_count:
        return Check("outbox", False, f"{shown} undelivered (limit {max_count:,})")
    return Check("outbox", True, f"{OK} ({shown} undelivered)")


def run_checks():
    """Every check, in order; the process's health is all of them."""
    database, redis = check_database(), check_redis()
    checks = [database, redis, check_worker(redis.healthy)]
    checks.append(
        check_outbox() if database.healthy else Check("outbox", False, "unknown: the database is unreachable")
    )
    return checks


def check_this_node():
    """What this web process needs to serve a request itself: the database and Redis. Not the
    worker nor the outbox, which every node shares: a load balancer that drained every node when the
    worker fell behind would refuse the reports that the outbox would have kept."""
    return [check_database(), check_redis()]
