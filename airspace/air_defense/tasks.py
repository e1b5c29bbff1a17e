"""Celery tasks of the `air_defense` queue: deliver a notification (mark it, publish it to the live
stream, fan it out to the webhook subscriptions), post one webhook, and the sweep that re-sends
whatever was left behind. Every task is safe to run twice: delivery is at least once."""

import logging
from datetime import timedelta

import requests
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from airspace.air_defense import stream, webhooks

from .models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from .stream import stream_message

logger = logging.getLogger(__name__)

# How many rows one sweep re-sends at most; the next sweep takes the rest.
SWEEP_BATCH = 5000
# A webhook attempt holds its delivery this much longer than the HTTP timeout, so that a duplicate
# task (redelivered message, sweep) waits instead of posting at the same time.
LEASE_MARGIN_S = 5


@shared_task(name="airspace.air_defense.tasks.deliver_notification", acks_late=True, reject_on_worker_lost=True)
def deliver_notification(notification_id):
    """Mark a notification delivered, publish it to the live stream and queue one webhook post per
    active subscription. A second run for a delivered notification does nothing."""
    counted = AirDefenseNotification.objects.filter(pk=notification_id, delivered_at=None).update(
        delivery_attempts=F("delivery_attempts") + 1
    )
    if not counted:
        return "already delivered or unknown"
    with transaction.atomic():
        notification = AirDefenseNotification.objects.select_for_update().get(pk=notification_id)
        if notification.delivered_at is not None:
            return "already delivered"
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(subscription=subscription, notification=notification, next_attempt_at=now)
                for subscription in WebhookSubscription.objects.filter(active=True)
            ],
            ignore_conflicts=True,
        )
        # Published before the commit: if the commit is lost the task runs again and publishes again,
        # which the id lets listeners ignore; published after, a crash in between would lose it.
        stream.publish(stream_message(notification))
        notification.delivered_at = now
        notification.save(update_fields=["delivered_at"])
        delivery_ids = list(
            notification.webhook_deliveries.filter(status=WebhookDelivery.Status.PENDING).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_webhooks(delivery_ids))
    return "delivered"


def _enqueue_webhooks(delivery_ids):
    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:
            # The delivery row stays pending; the sweep queues it again.
            logger.exception("Could not queue webhook delivery %s; the sweep will retry it", delivery_id)


def webhook_backoff_s(attempts):
    """Seconds to wait after the n-th failed attempt: doubling from the base, capped."""
    return min(settings.WEBHOOK_BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), settings.WEBHOOK_BACKOFF_MAX_S)


@shared_task(
    bind=True,
    name="airspace.air_defense.tasks.deliver_webhook",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def deliver_webhook(self, delivery_id):
    """POST one notification to one subscription. Failures are retried with exponential backoff up to
    settings.WEBHOOK_MAX_ATTEMPTS attempts (counted in the delivery row, not by Celery, so attempts
    made by redelivered or swept tasks count too)."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_S + LEASE_MARGIN_S)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease_until)
    if not claimed:
        delivery = WebhookDelivery.objects.filter(pk=delivery_id).only("status", "next_attempt_at").first()
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "nothing to do"
        # Another attempt holds it, or its backoff has not run out: come back when it is due.
        wait_s = max((delivery.next_attempt_at - now).total_seconds(), 0) + 1 if delivery.next_attempt_at else 1
        return _retry_later(self, wait_s)

    delivery = WebhookDelivery.objects.select_related("subscription", "notification").get(pk=delivery_id)
    status_code, error = None, ""
    try:
        response = webhooks.post_to_subscription(
            delivery.subscription, stream_message(delivery.notification), attempt=delivery.attempts
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]

    done = timezone.now()
    if not error:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=done,
            last_status_code=status_code,
            last_error="",
            next_attempt_at=None,
        )
        return "delivered"
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.FAILED, last_status_code=status_code, last_error=error, next_attempt_at=None
        )
        logger.error("Webhook delivery %s to %s failed for good: %s", delivery_id, delivery.subscription.url, error)
        return "failed"
    countdown = webhook_backoff_s(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        last_status_code=status_code, last_error=error, next_attempt_at=done + timedelta(seconds=countdown)
    )
    logger.warning(
        "Webhook delivery %s attempt %s failed (%s); retry in %ss", delivery_id, delivery.attempts, error, countdown
    )
    return _retry_later(self, countdown)


def _retry_later(task, countdown):
    if task.request.is_eager:
        # In-process (embedded) Celery would run the retry at once, ignoring the countdown;
        # the row keeps its next_attempt_at and the clock's sweep sends it when due.
        return "left for the sweep"
    raise task.retry(countdown=countdown)


@shared_task(name="airspace.air_defense.tasks.sweep_undelivered")
def sweep_undelivered():
    """Queue again what should have been delivered by now: notifications never marked delivered
    (broker down at commit, worker killed) and webhook posts whose retry never ran."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATION_REDELIVER_AFTER_S)
    notification_ids = list(
        AirDefenseNotification.objects.filter(delivered_at=None, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in notification_ids:
        deliver_notification.delay(str(notification_id))
    delivery_ids = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    if notification_ids or delivery_ids:
        logger.warning(
            "Sweep re-queued %s notifications and %s webhook deliveries", len(notification_ids), len(delivery_ids)
        )
    return {"notifications": len(notification_ids), "webhook_deliveries": len(delivery_ids)}
