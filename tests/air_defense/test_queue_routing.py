"""The Celery topology on the real Redis broker: an alert is published once, on the `air_defense`
queue; its webhook posts go to the `webhooks` queue, served by workers of their own (Procfile,
docker-compose.yml), so they never hold up an alert; the periodic jobs go to `default`. No worker
runs here, so the messages stay in Redis where the test reads them."""

import base64
import json
import shlex
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings

from airspace.air_defense.models import WebhookDelivery
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import create_webhook_deliveries, deliver_notifications
from permits import services
from permits.models import State
from permits.tasks import activate_due_permits

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("air_defense", "webhooks", "default", "following", "c2", "evidence")


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)


def queued_tasks(broker, queue):
    return [json.loads(message)["headers"] for message in broker.lrange(queue, 0, -1)]


def queued_args(broker, queue):
    return [json.loads(base64.b64decode(json.loads(message)["body"]))[0] for message in broker.lrange(queue, 0, -1)]


def test_an_approval_is_queued_once_on_the_air_defense_queue(broker, make_permit, senior_officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    broker.delete(*QUEUES)

    services.approve_permit(permit_id=permit.pk, officer=senior_officer)

    notification = permit.notifications.get(kind="permit.approved")
    [task] = queued_tasks(broker, "air_defense")
    assert task["task"] == "airspace.air_defense.tasks.deliver_notifications"
    assert queued_args(broker, "air_defense") == [[[str(notification.pk)]]]
    assert queued_tasks(broker, "default") == queued_tasks(broker, "webhooks") == []


def test_webhooks_are_made_and_posted_from_the_webhooks_queue(broker, make_permit, senior_officer, air_defense_user):
    for n in range(3):
        subscribe_webhook(name=f"C2 {n}", url=f"http://127.0.0.1:{18420 + n}/hook", user=air_defense_user)
    permit = make_permit(state=State.UNDER_REVIEW)
    services.approve_permit(permit_id=permit.pk, officer=senior_officer)
    [[notification_ids]] = queued_args(broker, "air_defense")
    broker.delete(*QUEUES)

    deliver_notifications(notification_ids)  # what the air_defense worker does

    assert [task["task"] for task in queued_tasks(broker, "webhooks")] == [
        "airspace.air_defense.tasks.create_webhook_deliveries"
    ]
    assert queued_args(broker, "webhooks") == [[notification_ids]]
    assert queued_tasks(broker, "air_defense") == []
    broker.delete(*QUEUES)

    create_webhook_deliveries(notification_ids)  # what the webhooks worker does with it

    deliveries = sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(deliveries) == 3
    assert [task["task"] for task in queued_tasks(broker, "webhooks")] == [
        "airspace.air_defense.tasks.deliver_webhook"
    ] * 3
    assert sorted(args[0] for args in queued_args(broker, "webhooks")) == deliveries
    assert queued_tasks(broker, "air_defense") == []


def test_the_periodic_jobs_go_to_the_default_queue(broker):
    activate_due_permits.delay()
    assert [task["task"] for task in queued_tasks(broker, "default")] == ["permits.tasks.activate_due_permits"]
    assert queued_tasks(broker, "air_defense") == []


def test_the_flight_following_pass_goes_to_a_queue_of_its_own(broker):
    from airspace.surveillance.tasks import follow_flights

    follow_flights.delay()
    assert [task["task"] for task in queued_tasks(broker, "following")] == [
        "airspace.surveillance.tasks.follow_flights"
    ]
    assert queued_tasks(broker, "air_defense") == queued_tasks(broker, "default") == []


def test_cursor_on_target_goes_to_a_queue_of_its_own(broker):
    from airspace.c2.tasks import send_picture, send_to_endpoint

    send_picture.delay()
    send_to_endpoint.delay(1)
    assert sorted(task["task"] for task in queued_tasks(broker, "c2")) == [
        "airspace.c2.tasks.send_picture",
        "airspace.c2.tasks.send_to_endpoint",
    ]
    assert queued_tasks(broker, "air_defense") == queued_tasks(broker, "default") == []


def test_the_evidence_upkeep_goes_to_a_queue_of_its_own(broker):
    from airspace.surveillance.tasks import maintain_evidence

    maintain_evidence.delay()
    assert [task["task"] for task in queued_tasks(broker, "evidence")] == [
        "airspace.surveillance.tasks.maintain_evidence"
    ]
    assert queued_tasks(broker, "air_defense") == queued_tasks(broker, "default") == []


def worker_queues(command):
    """The queues a `celery worker` command line consumes, or None if it is not a worker."""
    words = shlex.split(command) if isinstance(command, str) else command
    if "worker" not in words:
        return None
    return set(words[words.index("--queues") + 1].split(","))


@pytest.mark.parametrize("source", ["Procfile", "docker-compose.yml"])
def test_alerts_webhook_posts_and_flight_following_have_workers_of_their_own(source):
    if source == "Procfile":
        commands = [line.split(":", 1)[1] for line in (ROOT / source).read_text().splitlines() if ":" in line]
    else:
        services_ = yaml.safe_load((ROOT / source).read_text())["services"]
        commands = [service["command"] for service in services_.values() if "command" in service]
    consumers = [queues for queues in map(worker_queues, commands) if queues is not None]

    assert {"air_defense", "default"} in consumers
    # The evidence's upkeep (minutes to archive a day) beside the webhook posts, never the alerts.
    assert {"webhooks", "evidence"} in consumers
    assert {"following"} in consumers
    assert {"c2"} in consumers
    assert all(not ({"air_defense", "webhooks"} <= queues) for queues in consumers)
    assert all(not ({"air_defense", "following"} <= queues) for queues in consumers)
    assert all(not ({"air_defense", "evidence"} <= queues) for queues in consumers)
