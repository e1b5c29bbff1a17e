"""Nothing is lost: a worker killed with SIGKILL in the middle of a delivery, Redis down when the
permit is approved, Redis restarted with alerts still queued. Each test runs its own redis-server
and workers, so it can break them."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from standardwebhooks import Webhook

from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery
from airspace.air_defense.notifications import record_notification
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import sweep_undelivered
from permits.models import State
from tests.fixtures_celery import ROOT, celery_broker, database_url_of_tests, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_cmVjb3ZlcnktdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OSE="


def swept_until(condition, message, timeout=120):
    """Run the beat's sweep now and then (as beat would) until `condition()` holds."""

    def check():
        value = condition()
        if not value:
            sweep_undelivered()
        return value

    return wait_for(check, timeout=timeout, interval=1, message=message)


def test_worker_killed_while_delivering_still_delivers(
    redis_server, worker_factory, webhook_receiver, make_permit, client_for, senior_officer, air_defense_user, settings
):
    settings.NOTIFICATION_REDELIVER_AFTER_S = 0  # the test runs the sweep itself
    receiver = webhook_receiver()
    receiver.hold()  # the first POST stays in flight
    subscription = subscribe_webhook(name="C2 north", url=receiver.url, user=air_defense_user, secret=SECRET)
    permit = make_permit(state=State.UNDER_REVIEW)
    first_worker = worker_factory(redis_server.url)

    with celery_broker(redis_server.url):
        response = client_for(senior_officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json")
        assert response.status_code == 200
        notification = permit.notifications.get(kind="permit.approved")
        wait_for(receiver.received, message=f"the first POST\n{first_worker.log_text()[-3000:]}")

        first_worker.kill()
        receiver.release()
        second_worker = worker_factory(redis_server.url)
        delivery = swept_until(
            lambda: WebhookDelivery.objects.filter(subscription=subscription, status="delivered").first(),
            message=f"delivery after the kill\n{second_worker.log_text()[-3000:]}",
        )

    received = receiver.received()
    assert len(received) >= 2  # at least once: the killed attempt reached the receiver too
    for request in received:
        assert request["headers"]["X-Airspace-Notification-Id"] == str(notification.pk)
        assert Webhook(SECRET).verify(request["body"], request["headers"])["id"] == str(notification.pk)
    assert delivery.attempts >= 2 and delivery.last_status_code == 200
    assert AirDefenseNotification.objects.get(pk=notification.pk).delivered_at is not None


def test_redis_down_at_approval_is_delivered_when_it_is_back(
    redis_server, worker_factory, webhook_receiver, make_permit, client_for, senior_officer, air_defense_user, settings
):
    settings.NOTIFICATION_REDELIVER_AFTER_S = 0
    receiver = webhook_receiver()
    subscribe_webhook(name="C2 north", url=receiver.url, user=air_defense_user, secret=SECRET)
    permit = make_permit(state=State.UNDER_REVIEW)

    with celery_broker(redis_server.url):
        redis_server.stop()

        response = client_for(senior_officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json")

        assert response.status_code == 200
        assert response.json()["state"] == "approved"
        notification = permit.notifications.get(kind="permit.approved")
        assert notification.delivered_at is None  # committed, waiting for the sweep

        redis_server.start()
        worker = worker_factory(redis_server.url)
        swept_until(
            lambda: AirDefenseNotification.objects.filter(pk=notification.pk, delivered_at__isnull=False).exists(),
            message=f"delivery once Redis is back\n{worker.log_text()[-3000:]}",
        )
        [request] = wait_for(receiver.received, message="the webhook POST")
    assert request["headers"]["X-Airspace-Notification-Id"] == str(notification.pk)


def test_alerts_lost_with_a_redis_restart_are_delivered_once_their_lease_runs_out(
    redis_server, worker_factory, webhook_receiver, air_defense_user, settings
):
    """Queued, then Redis restarts without them (no persistence): the rows still say undelivered,
    and when their lease runs out the sweep queues them again. Not before: while a lease runs the
    sweep leaves them to the task that holds it."""
    settings.NOTIFICATION_REDELIVER_AFTER_S = 5
    receiver = webhook_receiver()
    subscribe_webhook(name="C2 north", url=receiver.url, user=air_defense_user, secret=SECRET)

    with celery_broker(redis_server.url):
        alerts = [
            record_notification(
                kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
                severity=AirDefenseNotification.Severity.CRITICAL,
                payload={"track": {"identity": f"radar1:r1-{n}"}},
            )
            for n in range(3)
        ]
        assert sweep_undelivered()["notifications"] == 0  # leased: left to the queued task
        redis_server.stop()
        redis_server.start()
        worker = worker_factory(redis_server.url)
        swept_until(
            lambda: (
                not AirDefenseNotification.objects.filter(pk__in=[a.pk for a in alerts], delivered_at=None).exists()
            ),
            message=f"delivery after the restart\n{worker.log_text()[-3000:]}",
        )
        received = wait_for(lambda: len(receiver.received()) >= 3 and receiver.received(), message="the posts")
    assert {r["headers"]["webhook-id"] for r in received} == {str(a.pk) for a in alerts}


def test_redis_hung_at_approval_does_not_hold_the_request(
    redis_server, worker_factory, make_permit, client_for, senior_officer, settings
):
    """Redis that stops answering without closing its connections (hung, failing over, partitioned)
    must fail the publish after a socket timeout, not hold the approval until it comes back."""
    settings.NOTIFICATION_REDELIVER_AFTER_S = 0
    permit = make_permit(state=State.UNDER_REVIEW)
    answers = []

    def approve():
        try:
            answers.append(client_for(senior_officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json"))
        finally:
            connections.close_all()  # this thread's database connection

    with celery_broker(redis_server.url):
        redis_server.process.send_signal(signal.SIGSTOP)
        try:
            approval = threading.Thread(target=approve)
            approval.start()
            approval.join(timeout=30)
            held = approval.is_alive()
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        approval.join(timeout=30)
        assert not held, "the approval waited for the hung Redis"
        [response] = answers
        assert response.status_code == 200
        notification = permit.notifications.get(kind="permit.approved")

        worker = worker_factory(redis_server.url)
        swept_until(
            lambda: AirDefenseNotification.objects.filter(pk=notification.pk, delivered_at__isnull=False).exists(),
            message=f"delivery once Redis answers again\n{worker.log_text()[-3000:]}",
        )


def test_run_clock_stops_cleanly_on_sigterm(make_permit):
    clock = subprocess.Popen(
        [sys.executable, "manage.py", "run_clock"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url_of_tests(), "REDIS_URL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        permit = make_permit(state=State.APPROVED)
        type(permit).objects.filter(pk=permit.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
        wait_for(
            lambda: type(permit).objects.filter(pk=permit.pk, state=State.ACTIVE).exists(),
            message="the clock to activate the permit",
        )
    finally:
        clock.send_signal(signal.SIGTERM)
        output, _ = clock.communicate(timeout=30)
    assert clock.returncode == 0, output
    assert "Clock stopped" in output
