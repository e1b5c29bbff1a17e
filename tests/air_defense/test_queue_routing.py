"""The Celery topology on the real Redis broker: every air defense delivery is published once, on
the `air_defense` queue, and the periodic jobs on `default` (no worker runs here, so the messages
stay in Redis where the test reads them)."""

import json

import pytest
import redis
from django.conf import settings

from permits import services
from permits.models import State
from permits.tasks import activate_due_permits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("air_defense", "default")
    yield client
    client.delete("air_defense", "default")


def queued_tasks(broker, queue):
    return [json.loads(message)["headers"] for message in broker.lrange(queue, 0, -1)]


def test_an_approval_is_queued_once_on_the_air_defense_queue(broker, make_permit, senior_officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    broker.delete("air_defense", "default")

    services.approve_permit(permit_id=permit.pk, officer=senior_officer)

    notification = permit.notifications.get(kind="permit.approved")
    [task] = queued_tasks(broker, "air_defense")
    assert task["task"] == "airspace.air_defense.tasks.deliver_notification"
    assert str(notification.pk) in task["argsrepr"]
    assert queued_tasks(broker, "default") == []


def test_the_periodic_jobs_go_to_the_default_queue(broker):
    activate_due_permits.delay()
    assert [task["task"] for task in queued_tasks(broker, "default")] == ["permits.tasks.activate_due_permits"]
    assert queued_tasks(broker, "air_defense") == []
