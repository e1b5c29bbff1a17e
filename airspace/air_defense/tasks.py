"""Celery tasks of air defense delivery. On the `air_defense` queue: deliver notifications (mark them,
publish them to the live stream, create their webhook deliveries). On the `webhooks` queue, served
by workers of its own so that posts never hold up an alert: queue the posts and make each one. And
the sweep that re-queues whatever a lost task left behind.

Queuing a task leases its rows (`queued_until`, set by a conditional UPDATE): the sweep queues a row
again only once its lease has run out, so a backlog is not duplicated while it waits, and a task
lost with a killed worker or a restarted Redis is re-queued when its lease expires. Every task is
safe to run twice: delivery is at least once."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from airspace.air_defense import stream, webhooks
from airspace.metrics import record_alerts_delivered

from .models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from .stream import stream_message

logger = logging.getLogger(__name__)

# How many rows one sweep re-queues at most; the next sweep takes the rest.
SWEEP_BATCH = 5000
# Webhook deliveries handed to one queue_webhook_posts task.
WEBHOOK_BATCH = 1000
# A webhook attempt holds its delivery this much longer than the HTTP timeout, so that a duplicate
# task (redelivered message, sweep) does not post at the same time.
LEASE_MARGIN_S = 5


def webhook_lease(now):
    return now + timedelta(seconds=settings.WEBHOOK_REDELIVER_AFTER_S)


@shared_task(name="airspace.air_defense.tasks.deliver_notifications", acks_late=True, reject_on_worker_lost=True)
def deliver_notifications(notification_ids, looked_again=0):
    """Publish notifications to the live stream and mark them delivered; their webhook deliveries are
    created on the webhooks queue, in one message. Notifications already delivered are skipped, and
    those another transaction holds are looked at again shortly (`look_again_at_locked`). All an
    alert waits for: a lock, a publish and an UPDATE per batch."""
    AirDefenseNotification.objects.filter(pk__in=notification_ids, delivered_at=None).update(
        delivery_attempts=F("delivery_attempts") + 1
    )
    with transaction.atomic():
        # SKIP LOCKED: a duplicate task (sweep, redelivered message) leaves rows another task is
        # delivering to that task; if that one fails, its lease runs out and the sweep sends them again.
        notifications = list(
            AirDefenseNotification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=notification_ids, delivered_at=None)
            .order_by("created_at")
        )
        skipped = {str(pk) for pk in notification_ids} - {str(notification.pk) for notification in notifications}
        if skipped:
            transaction.on_commit(lambda: look_again_at_locked(skipped, looked_again=looked_again))
        if not notifications:
            return 0
        # Published before the commit: if the commit is lost the task runs again and publishes again,
        # which the id lets listeners ignore; published after, a crash in between would lose it.
        for notification in notifications:
            stream.publish(stream_message(notification))
        now = timezone.now()
        delivered = [notification.pk for notification in notifications]
        if webhooks.webhooks_enabled():
            # The lease passes to the task that creates the webhook deliveries, queued after the commit.
            AirDefenseNotification.objects.filter(pk__in=delivered).update(
                delivered_at=now, queued_until=webhook_lease(now)
            )
            transaction.on_commit(lambda: enqueue_fan_out(delivered))
        else:
            AirDefenseNotification.objects.filter(pk__in=delivered).update(delivered_at=now, fanned_out_at=now)
    record_alerts_delivered([notification.created_at for notification in notifications], delivered_at=now)
    return len(notifications)


# A notification another transaction holds when a delivery task comes for it: looked at again this
# much later, this many times, before it is left to the sweep.
LOCKED_RETRY_S = 0.2
LOCKED_RETRIES = 5


def look_again_at_locked(notification_ids, *, looked_again):
    """Some notifications of a delivery task were skipped: already delivered, or locked by another
    transaction. That one is either a duplicate delivery task, which delivers them, or the TAK
    fan-out's short transaction (airspace/c2), which does not: without a second look such an alert
    reached the stream only with the sweep, 30 s later (bench/ingest.py: about one alert in 1,600)."""
    if looked_again >= LOCKED_RETRIES:
        return
    undelivered = [
        str(pk)
        for pk in AirDefenseNotification.objects.filter(pk__in=notification_ids, delivered_at=None).values_list(
            "pk", flat=True
        )
    ]
    if not undelivered:
        return
    try:
        deliver_notifications.apply_async((undelivered,), {"looked_again": looked_again + 1}, countdown=LOCKED_RETRY_S)
    except Exception:
        logger.exception("Could not queue a second look at %s notifications; the sweep will", len(undelivered))


# Notifications delivered by one task: a burst costs tens of tasks, not a thousand, so an alert
# queued behind it waits a fraction of a second.
NOTIFICATION_BATCH = 100


def enqueue_deliveries(notification_ids):
    """Hand leased notifications to the air_defense queue, in batches. If the broker is down the rows
    stay undelivered, their leases are released and the periodic sweep sends them, so a failure here
    is only logged — and ends the loop: each further try would wait out the broker's retries again
    (~0.2 s), which for a sensor batch that turned a thousand tracks hostile held its request for minutes."""
    for start in range(0, len(notification_ids), NOTIFICATION_BATCH):
        try:
            deliver_notifications.delay([str(pk) for pk in notification_ids[start : start + NOTIFICATION_BATCH]])
        except Exception:
            logger.exception(
                "Could not queue %s notifications; the sweep will send them", len(notification_ids) - start
            )
            AirDefenseNotification.objects.filter(pk__in=notification_ids[start:]).update(queued_until=None)
            return


@shared_task(name="airspace.air_defense.tasks.deliver_notification", acks_late=True, reject_on_worker_lost=True)
def deliver_notification(notification_id):
    """One notification (messages queued before deliveries went in batches)."""
    return "delivered" if deliver_notifications([notification_id]) else "already delivered or unknown"


def enqueue_fan_out(notification_ids):
    """Hand delivered notifications to the webhooks queue, whose worker creates their deliveries."""
    try:
        create_webhook_deliveries.delay([str(pk) for pk in notification_ids])
    except Exception:
        logger.exception("Could not queue the webhooks of %s notifications; the sweep will", len(notification_ids))
        AirDefenseNotification.objects.filter(pk__in=notification_ids).update(queued_until=None)


@shared_task(name="airspace.air_defense.tasks.create_webhook_deliveries", acks_late=True, reject_on_worker_lost=True)
def create_webhook_deliveries(notification_ids):
    """One webhook delivery per active subscription for each delivered notification not fanned out
    yet, then one post task per delivery. On the webhooks queue: creating 40 rows per alert for a
    burst of a thousand takes seconds, which no alert should wait for."""
    with transaction.atomic():
        notifications = list(
            AirDefenseNotification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=notification_ids, delivered_at__isnull=False, fanned_out_at=None)
            .only("pk", "addressed_to_id")
        )
        if not notifications:
            return 0
        now = timezone.now()
        if webhooks.webhooks_enabled():
            subscriptions = list(WebhookSubscription.objects.filter(active=True).only("pk", "addressed_only"))
            # Leased from now: their post tasks are queued after the commit.
            WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(
                        subscription=subscription,
                        notification=notification,
                        next_attempt_at=now,
                        queued_until=webhook_lease(now),
                    )
                    for notification in notifications
                    for subscription in subscriptions
                    if not subscription.addressed_only or notification.addressed_to_id == subscription.pk
                ],
                ignore_conflicts=True,
            )
        AirDefenseNotification.objects.filter(pk__in=[n.pk for n in notifications]).update(fanned_out_at=now)
        delivery_ids = list(
            WebhookDelivery.objects.filter(
                notification__in=notifications, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: queue_webhook_posts(delivery_ids))
    return len(delivery_ids)


def enqueue_webhook_posts(delivery_ids):
    """Hand webhook deliveries to the webhooks queue, in a few messages. Their leases are taken; if
    the broker cannot take a message, that message's leases are released for the sweep."""
    for start in range(0, len(delivery_ids), WEBHOOK_BATCH):
        chunk = delivery_ids[start : start + WEBHOOK_BATCH]
        try:
            queue_webhook_posts.delay(chunk)
        except Exception:
            logger.exception("Could not queue %s webhook deliveries; the sweep will", len(delivery_ids) - start)
            WebhookDelivery.objects.filter(pk__in=delivery_ids[start:]).update(queued_until=None)
            return


@shared_task(name="airspace.air_defense.tasks.queue_webhook_posts", acks_late=True, reject_on_worker_lost=True)
def queue_webhook_posts(delivery_ids):
    """One deliver_webhook task per delivery, queued from the webhooks worker (the sweep runs beside
    the alerts and hands its re-queued posts over in a few messages)."""
    for queued, delivery_id in enumerate(delivery_ids):
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:
            logger.exception(
                "Could not queue webhook delivery %s nor the %s after it", delivery_id, len(delivery_ids) - queued - 1
            )
            WebhookDelivery.objects.filter(pk__in=delivery_ids[queued:]).update(queued_until=None)
            return


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
    made by redelivered or swept tasks count too). A destination the allowlist refuses fails at once."""
    now = timezone.now()
    in_flight_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_S + LEASE_MARGIN_S)
    # The claim: one attempt at a time. The queued lease is spent; while the attempt is in flight
    # next_attempt_at says when it is given up for lost (a killed worker), and the sweep takes over.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=in_flight_until, queued_until=None)
    if not claimed:
        # Done, in flight, or not due: the task that holds it, its retry, or the sweep will see to it.
        return "nothing to do"

    delivery = WebhookDelivery.objects.select_related("subscription", "notification").get(pk=delivery_id)
    status_code, error, refused = None, "", False
    try:
        status_code = webhooks.post_to_subscription(
            delivery.subscription, stream_message(delivery.notification), attempt=delivery.attempts
        )
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except webhooks.DestinationRefused as refusal:
        error, refused = f"Not sent: {refusal}", True
    except webhooks.DeliveryFailed as failure:
        error = str(failure)

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
    if refused or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.FAILED, last_status_code=status_code, last_error=error, next_attempt_at=None
        )
        logger.error("Webhook delivery %s to %s failed for good: %s", delivery_id, delivery.subscription.url, error)
        return "refused" if refused else "failed"
    countdown = webhook_backoff_s(delivery.attempts)
    next_attempt_at = done + timedelta(seconds=countdown)
    logger.warning(
        "Webhook delivery %s attempt %s failed (%s); retry in %ss", delivery_id, delivery.attempts, error, countdown
    )
    if self.request.is_eager:
        # In-process (embedded) Celery would run the retry at once, ignoring the countdown: no task is
        # queued, and the clock's sweep sends it when due.
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            last_status_code=status_code, last_error=error, next_attempt_at=next_attempt_at, queued_until=None
        )
        return "left for the sweep"
    # The retry is a queued task: it holds the lease until well after it is due.
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        last_status_code=status_code,
        last_error=error,
        next_attempt_at=next_attempt_at,
        queued_until=webhook_lease(next_attempt_at),
    )
    raise self.retry(countdown=countdown)


@shared_task(name="airspace.air_defense.tasks.sweep_undelivered")
def sweep_undelivered():
    """Queue again what a lost task left behind, once its lease has run out (or if it never had one:
    the broker was down when it was made): notifications not delivered, delivered ones whose webhook
    deliveries were never created, and webhook posts that are due."""
    now = timezone.now()
    lease_expired = Q(queued_until=None) | Q(queued_until__lte=now)
    with transaction.atomic():
        # The claim: rows leased in this transaction, locked so that a second sweep skips them.
        undelivered = _claim(
            AirDefenseNotification.objects.filter(lease_expired, delivered_at=None).order_by("created_at"),
            queued_until=now + timedelta(seconds=settings.NOTIFICATION_REDELIVER_AFTER_S),
        )
        not_fanned_out = _claim(
            AirDefenseNotification.objects.filter(
                lease_expired, delivered_at__isnull=False, fanned_out_at=None
            ).order_by("created_at"),
            queued_until=webhook_lease(now),
        )
        posts = _claim(
            WebhookDelivery.objects.filter(
                lease_expired, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
            ).order_by("next_attempt_at"),
            queued_until=webhook_lease(now),
        )
    if undelivered:
        enqueue_deliveries(undelivered)
    if not_fanned_out:
        enqueue_fan_out(not_fanned_out)
    if posts:
        enqueue_webhook_posts(posts)
    counts = {"notifications": len(undelivered), "fan_outs": len(not_fanned_out), "webhook_deliveries": len(posts)}
    if any(counts.values()):
        logger.warning("Sweep re-queued what lost tasks left behind: %s", counts)
    return counts


def _claim(rows, queued_until):
    """Lease up to SWEEP_BATCH of `rows` that no one else is claiming; their ids."""
    ids = [row.pk for row in rows.select_for_update(skip_locked=True).only("pk")[:SWEEP_BATCH]]
    rows.model.objects.filter(pk__in=ids).update(queued_until=queued_until)
    return ids
