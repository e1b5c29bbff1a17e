"""The sweep does not queue what is already queued: queuing a delivery leases its rows, and the sweep
re-queues a row only once its lease has run out (the queued task was lost). On the real Redis
broker, with no worker: the messages stay in Redis, where the test counts them."""

import base64
import json
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery
from airspace.air_defense.notifications import record_notifications
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import create_webhook_deliveries, deliver_notifications, sweep_undelivered

pytestmark = pytest.mark.django_db(transaction=True)

QUEUES = ("air_defense", "webhooks", "default")


@pytest.fixture
def broker():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)


def queued_ids(broker, queue):
    """The ids every message on `queue` carries, one entry per message and id."""
    ids = []
    for raw in broker.lrange(queue, 0, -1):
        args, _, _ = json.loads(base64.b64decode(json.loads(raw)["body"]))
        ids.extend(args[0] if isinstance(args[0], list) else [args[0]])
    return ids


def hostile_alerts(count):
    return record_notifications(
        [
            AirDefenseNotification(
                kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
                severity=AirDefenseNotification.Severity.WARNING,
                payload={"track": {"identity": f"radar1:burst-{n}"}},
            )
            for n in range(count)
        ]
    )


def test_a_burst_is_queued_in_a_few_messages_and_the_sweep_leaves_them_alone(broker, settings):
    """The issue's backlog: 1,000 alerts waiting behind each other for longer than the old 15 s,
    and the sweep queuing every one again, every 10 s, while the originals still waited."""
    settings.NOTIFICATION_REDELIVER_AFTER_S = 60
    alerts = hostile_alerts(250)
    ids = sorted(str(alert.pk) for alert in alerts)
    AirDefenseNotification.objects.update(created_at=timezone.now() - timedelta(minutes=5))  # long waiting
    assert broker.llen("air_defense") == 3  # batches of 100
    assert sorted(queued_ids(broker, "air_defense")) == ids

    for _ in range(3):
        assert sweep_undelivered() == {"notifications": 0, "fan_outs": 0, "webhook_deliveries": 0}

    assert sorted(queued_ids(broker, "air_defense")) == ids


def test_a_lost_message_is_queued_again_once_its_lease_runs_out_and_only_once(broker, settings):
    settings.NOTIFICATION_REDELIVER_AFTER_S = 1
    alerts = hostile_alerts(3)
    broker.delete("air_defense")  # Redis restarted without its queue: the messages are gone

    assert sweep_undelivered()["notifications"] == 0  # the lease still runs
    time.sleep(1.2)
    assert sweep_undelivered()["notifications"] == 3
    assert sweep_undelivered()["notifications"] == 0  # leased again by the sweep itself

    assert sorted(queued_ids(broker, "air_defense")) == sorted(str(alert.pk) for alert in alerts)
    assert all(
        queued_until > timezone.now()
        for queued_until in AirDefenseNotification.objects.values_list("queued_until", flat=True)
    )


def test_rows_with_no_lease_are_swept_at_once(broker):
    """The broker was down when they were written, or they predate leases."""
    alerts = hostile_alerts(2)
    broker.delete("air_defense")
    AirDefenseNotification.objects.update(queued_until=None)

    assert sweep_undelivered()["notifications"] == 2
    assert sorted(queued_ids(broker, "air_defense")) == sorted(str(alert.pk) for alert in alerts)


def test_webhook_fan_outs_and_posts_are_leased_too(broker, settings, air_defense_user):
    settings.WEBHOOK_REDELIVER_AFTER_S = 1
    for n in range(3):
        subscribe_webhook(name=f"C2 {n}", url=f"http://127.0.0.1:{18420 + n}/hook", user=air_defense_user)
    [alert] = hostile_alerts(1)
    broker.delete("air_defense")

    deliver_notifications([str(alert.pk)])  # the alerts worker: one message for the webhooks side
    assert queued_ids(broker, "webhooks") == [str(alert.pk)]
    assert sweep_undelivered()["fan_outs"] == 0
    broker.delete("webhooks")  # lost
    time.sleep(1.2)
    assert sweep_undelivered()["fan_outs"] == 1
    assert sweep_undelivered()["fan_outs"] == 0
    assert queued_ids(broker, "webhooks") == [str(alert.pk)]
    broker.delete("webhooks")

    create_webhook_deliveries([str(alert.pk)])  # the webhooks worker: a post task per delivery

    deliveries = sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(deliveries) == 3 and sorted(queued_ids(broker, "webhooks")) == deliveries
    assert sweep_undelivered() == {"notifications": 0, "fan_outs": 0, "webhook_deliveries": 0}
    broker.delete("webhooks")  # lost
    time.sleep(1.2)
    assert sweep_undelivered()["webhook_deliveries"] == 3
    assert sweep_undelivered()["webhook_deliveries"] == 0
    assert sorted(queued_ids(broker, "webhooks")) == deliveries  # in one queue_webhook_posts message
    assert broker.llen("webhooks") == 1 and broker.llen("air_defense") == 0
