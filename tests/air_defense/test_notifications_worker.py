"""End to end with the deployment's Celery workers (alerts, webhooks) on the test Redis: an approval
reaches the inbox, the live stream (read over HTTP from a live server) and a signed webhook; a
failing webhook is retried until it succeeds; alerts do not wait behind webhook posts."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook

from airspace.accounts.services import get_api_token
from airspace.air_defense import stream
from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery
from airspace.air_defense.notifications import record_notification
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import deliver_notifications
from permits.models import State
from tests.conftest import hold_uncommitted
from tests.fixtures_celery import StreamReader, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_aW50ZWdyYXRpb24tdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ=="


def approve(client_for, senior_officer, permit):
    response = client_for(senior_officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    return permit.notifications.get(kind="permit.approved")


def test_approval_reaches_inbox_stream_and_signed_webhook(
    celery_worker, live_server, webhook_receiver, make_permit, client_for, senior_officer, air_defense_user, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1  # the live server notices the closed stream soon
    receiver = webhook_receiver()
    subscription = subscribe_webhook(name="C2 north", url=receiver.url, user=air_defense_user, secret=SECRET)
    permit = make_permit(state=State.UNDER_REVIEW)
    token = get_api_token(user=air_defense_user).key
    reader = StreamReader(f"{live_server.url}/api/v1/air-defense/stream/", token)
    try:
        reader.wait_connected()

        notification = approve(client_for, senior_officer, permit)

        # The stream.
        event_id, kind, data = reader.next_event()
        assert (event_id, kind) == (str(notification.pk), "permit.approved")
        assert data["payload"]["permit"]["reference"] == permit.reference
        assert data["payload"]["permit"]["state"] == "approved"
    finally:
        reader.close()

    # The inbox.
    def delivered_in_inbox():
        inbox = client_for(air_defense_user).get("/api/v1/air-defense/notifications/", {"kind": "permit.approved"})
        results = inbox.json()["results"]
        return results if results and results[0]["delivered_at"] else None

    [entry] = wait_for(delivered_in_inbox, message="the inbox to show the delivered approval")
    assert entry["id"] == str(notification.pk) and entry["delivery_attempts"] == 1

    # The webhook.
    [request] = wait_for(receiver.received, message="the webhook POST")
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["x-airspace-notification-id"] == headers["webhook-id"] == str(notification.pk)
    assert Webhook(SECRET).verify(request["body"], headers)["payload"]["permit"]["reference"] == permit.reference
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(subscription=subscription, status="delivered").first(),
        message="the delivery record",
    )
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)


def test_webhook_failing_twice_gets_it_three_times(
    celery_worker, webhook_receiver, make_permit, client_for, senior_officer, air_defense_user
):
    receiver = webhook_receiver(statuses=[500, 500])
    subscription = subscribe_webhook(name="C2 flaky", url=receiver.url, user=air_defense_user, secret=SECRET)
    permit = make_permit(state=State.UNDER_REVIEW)

    notification = approve(client_for, senior_officer, permit)

    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(subscription=subscription, status="delivered").first(),
        message=f"the webhook to be delivered after two failures\n{celery_worker.log_text()[-3000:]}",
    )
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, "")
    received = receiver.received()
    assert len(received) == 3
    assert {r["headers"]["X-Airspace-Notification-Id"] for r in received} == {str(notification.pk)}
    assert [r["headers"]["X-Airspace-Delivery-Attempt"] for r in received] == ["1", "2", "3"]
    assert AirDefenseNotification.objects.get(pk=notification.pk).delivered_at is not None


def test_an_alert_does_not_wait_behind_webhook_posts(celery_worker, webhook_receiver, air_defense_user):
    """Ten C2 receivers that hang: each post holds a webhook worker for WEBHOOK_TIMEOUT_S (3 s here).
    On one queue the next alert waited behind all of them (~30 s); on its own, it does not."""
    receiver = webhook_receiver()
    receiver.hold()
    for n in range(10):
        subscribe_webhook(name=f"C2 {n}", url=f"{receiver.url}/{n}", user=air_defense_user, secret=SECRET)

    def hostile(identity):
        return record_notification(
            kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
            severity=AirDefenseNotification.Severity.CRITICAL,
            payload={"track": {"identity": identity}},
        )

    try:
        with stream.subscribe() as listener:
            first = hostile("radar1:first")
            assert listener.get(timeout=30)["id"] == str(first.pk)
            wait_for(receiver.received, message="the first webhook post to hang")

            started = time.monotonic()
            second = hostile("radar1:second")
            heard = listener.get(timeout=30)
            waited = time.monotonic() - started
    finally:
        receiver.release()

    assert heard and heard["id"] == str(second.pk)
    # At once, give or take a loaded machine; behind the posts it would be ~30 s (10 posts x 3 s).
    assert waited < 10, f"the alert waited {waited:.1f} s behind webhook posts\n{celery_worker.log_text()[-3000:]}"


def test_an_alert_held_by_another_transaction_when_its_delivery_comes_is_delivered_soon_after(celery_worker):
    """The TAK fan-out (airspace/c2) locks undelivered notifications for a moment; a delivery task that
    comes then skips them. It looks again shortly, on the worker, rather than leave them to the sweep
    (here: never, the lease is an hour)."""
    notification = AirDefenseNotification.objects.create(
        kind="track.hostile",
        severity="critical",
        payload={"track": {"identity": "held-by-c2"}},
        queued_until=timezone.now() + timedelta(hours=1),
    )

    def hold():
        # FOR KEY SHARE: lets the task's count of attempts (an UPDATE) through and makes its
        # SELECT ... FOR UPDATE SKIP LOCKED skip the row, as a fan-out that locked it between the two.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {AirDefenseNotification._meta.db_table} WHERE id = %s FOR KEY SHARE", [notification.pk]
            )

    written, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_uncommitted, args=(hold, written, release))
    holder.start()
    try:
        assert written.wait(10)
        assert deliver_notifications([str(notification.pk)]) == 0  # skipped: held by the other transaction
        time.sleep(0.5)
    finally:
        release.set()
        holder.join(30)
    wait_for(
        lambda: AirDefenseNotification.objects.filter(pk=notification.pk, delivered_at__isnull=False).exists(),
        timeout=15,
        message="the held alert was not delivered after its lock was released",
    )
