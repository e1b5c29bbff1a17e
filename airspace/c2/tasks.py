"""The `c2` queue: the air picture to the TAK endpoints as Cursor on Target.

The beat's `send_picture` (every TAK_SEND_INTERVAL_S) creates a delivery per active endpoint for the
notifications written since its last tick, then claims each endpoint that is free and due (a lease:
one send per endpoint at a time) and queues `send_to_endpoint`. That task opens the connection,
sends the endpoint's pending alerts, the permits in effect (every TAK_PERMIT_REFRESH_S) and the
latest position of every live track, and records the outcome: the alerts delivered, or the error and
when to try again (backing off to TAK_BACKOFF_MAX_S). So tracks go out at most once a tick per
endpoint whatever the sensors' rate, an alert is sent until a send that carried it succeeded (at
least once), and an endpoint that went away is connected to again when it is due. docs/C2.md."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.notifications import permit_payload

from . import cot, selectors, transport
from .models import TakDelivery, TakEndpoint

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 5000


def send_lease_s():
    """How long a queued or running send holds its endpoint: its connection and write timeouts, and a margin."""
    return 3 * settings.TAK_TIMEOUT_S + 30


def backoff_s(failures):
    return min(settings.TAK_SEND_INTERVAL_S * 2 ** max(failures - 1, 0), settings.TAK_BACKOFF_MAX_S)


@shared_task(name="airspace.c2.tasks.send_picture")
def send_picture():
    """The tick: fan new notifications out to the endpoints, then queue a send for each endpoint due."""
    now = timezone.now()
    fanned_out = fan_out_notifications(now=now)
    queued = 0
    for endpoint_id in claim_endpoints_due(now=now):
        try:
            # A send still queued when its lease ran out is dropped: the tick queues a fresh one.
            send_to_endpoint.apply_async((endpoint_id,), expires=send_lease_s())
            queued += 1
        except Exception:
            logger.exception("Could not queue the send to TAK endpoint %s; the next tick will", endpoint_id)
            TakEndpoint.objects.filter(pk=endpoint_id).update(sending_until=None)
    return {"alerts_fanned_out": fanned_out, "sends_queued": queued}


def fan_out_notifications(*, now):
    """One TAK delivery per active endpoint for each notification not fanned out yet. A flag on the
    notification, set in the same transaction, not a time watermark: a notification whose transaction
    commits late is still found at the next tick."""
    with transaction.atomic():
        notifications = [
            row.pk
            for row in AirDefenseNotification.objects.select_for_update(skip_locked=True)
            .filter(tak_fanned_out_at=None)
            .order_by("created_at")
            .only("pk")[:FAN_OUT_BATCH]
        ]
        if not notifications:
            return 0
        endpoints = list(TakEndpoint.objects.filter(active=True).values_list("pk", flat=True))
        TakDelivery.objects.bulk_create(
            [
                TakDelivery(endpoint_id=endpoint, notification_id=notification)
                for notification in notifications
                for endpoint in endpoints
            ],
            ignore_conflicts=True,
        )
        AirDefenseNotification.objects.filter(pk__in=notifications).update(tak_fanned_out_at=now)
    return len(notifications) * len(endpoints)


def claim_endpoints_due(*, now):
    """Lease the active endpoints that no send holds and whose backoff has passed; their ids."""
    free = Q(sending_until=None) | Q(sending_until__lte=now)
    due = Q(next_attempt_at=None) | Q(next_attempt_at__lte=now)
    with transaction.atomic():
        ids = [
            endpoint.pk
            for endpoint in TakEndpoint.objects.select_for_update(skip_locked=True)
            .filter(free, due, active=True)
            .only("pk")
        ]
        TakEndpoint.objects.filter(pk__in=ids).update(sending_until=now + timedelta(seconds=send_lease_s()))
    return ids


@shared_task(name="airspace.c2.tasks.send_to_endpoint", acks_late=True, reject_on_worker_lost=True)
def send_to_endpoint(endpoint_id):
    """Send one endpoint its pending alerts, the permits in effect when due, and the live tracks; record
    what was delivered or why not. Safe to run twice: what was sent again replaces itself on the map
    (the same uids), and an alert is marked delivered only by a send that carried it."""
    endpoint = TakEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return "no such active endpoint"
    now = timezone.now()
    alerts = selectors.pending_alerts(endpoint)
    events = [
        event
        for delivery in alerts
        for event in cot.alert_events(delivery.notification, now=now, stale_s=settings.TAK_ALERT_STALE_S)
    ]
    permits_due = endpoint.permits_sent_at is None or endpoint.permits_sent_at <= now - timedelta(
        seconds=settings.TAK_PERMIT_REFRESH_S
    )
    if permits_due:
        events += [
            cot.permit_event(permit_payload(permit)["permit"], now=now)
            for permit in selectors.permits_in_effect(now=now)
        ]
    for track in selectors.live_tracks(now=now):
        events += cot.track_events(track, now=now, stale_s=settings.TAK_TRACK_STALE_S)
    sent_ids = [delivery.pk for delivery in alerts]
    TakDelivery.objects.filter(pk__in=sent_ids).update(attempts=F("attempts") + 1)
    try:
        if events:
            transport.send(endpoint, [cot.serialize(event) for event in events], timeout_s=settings.TAK_TIMEOUT_S)
    except transport.SendFailed as failure:
        failures = endpoint.consecutive_failures + 1
        retry_in = backoff_s(failures)
        logger.warning("TAK endpoint %s: send failed (%s); trying again in %ss", endpoint.name, failure, retry_in)
        TakEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=failures,
            last_error=str(failure),
            last_attempt_at=now,
            next_attempt_at=now + timedelta(seconds=retry_in),
            sending_until=None,
        )
        return {"sent": 0, "error": str(failure)}
    TakDelivery.objects.filter(pk__in=sent_ids).update(delivered_at=timezone.now())
    TakEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=0,
        last_error="",
        last_attempt_at=now,
        last_delivered_at=now,
        next_attempt_at=None,
        sending_until=None,
        **({"permits_sent_at": now} if permits_due else {}),
    )
    return {"sent": len(events), "alerts": len(sent_ids)}
