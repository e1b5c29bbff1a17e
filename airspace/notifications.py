"""Air defense notifications: written as an outbox row in the caller's transaction, then handed
to the `air_defense` Celery queue once that transaction commits (delivery: airspace/tasks.py,
guarantees: docs/NOTIFICATIONS.md). Also what air defense does with them: acknowledge, subscribe."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import webhooks
from .models import AirDefenseNotification, WebhookSubscription

logger = logging.getLogger(__name__)


def permit_payload(permit):
    """Everything a C2 system needs about a permit, without calling back."""
    aircraft = permit.aircraft
    return {
        "permit": {
            "id": permit.pk,
            "reference": permit.reference,
            "state": permit.state,
            "purpose": permit.purpose,
            "operator": permit.operator.name,
            "aircraft": {
                "serial_number": aircraft.serial_number,
                "remote_id": aircraft.remote_id,
                "manufacturer": aircraft.manufacturer,
                "model": aircraft.model,
            },
            "area": permit.area,
            "radius_m": permit.radius_m,
            "boundary": permit.boundary,
            "min_altitude_m": permit.min_altitude_m,
            "max_altitude_m": permit.max_altitude_m,
            "starts_at": permit.starts_at.isoformat(),
            "ends_at": permit.ends_at.isoformat(),
            "decision_reason": permit.decision_reason,
        }
    }


PERMIT_KIND_SEVERITY = {
    AirDefenseNotification.Kind.PERMIT_APPROVED: AirDefenseNotification.Severity.INFO,
    AirDefenseNotification.Kind.PERMIT_ACTIVATED: AirDefenseNotification.Severity.INFO,
    AirDefenseNotification.Kind.PERMIT_COMPLETED: AirDefenseNotification.Severity.INFO,
    AirDefenseNotification.Kind.PERMIT_CANCELLED: AirDefenseNotification.Severity.INFO,
    # A revoked flight may still be airborne: air defense must look at it.
    AirDefenseNotification.Kind.PERMIT_REVOKED: AirDefenseNotification.Severity.WARNING,
}


def notify_permit_change(permit, kind):
    """Record that a permit changed in the friendly picture. Call inside the transition's transaction."""
    return record_notification(
        kind=kind, severity=PERMIT_KIND_SEVERITY[kind], payload=permit_payload(permit), permit=permit
    )


def record_notification(*, kind, severity, payload, permit=None, track=None):
    """Write the outbox row now and queue its delivery for after the surrounding transaction commits."""
    [notification] = record_notifications(
        [AirDefenseNotification(kind=kind, severity=severity, payload=payload, permit=permit, track=track)]
    )
    return notification


def record_notifications(notifications):
    """Several outbox rows in one INSERT (a sensor batch may turn many tracks hostile at once), each
    queued for delivery after the surrounding transaction commits. They are written leased: the
    task queued at commit holds them, and the sweep only takes over once the lease has run out."""
    lease = timezone.now() + timedelta(seconds=settings.NOTIFICATION_REDELIVER_AFTER_S)
    for notification in notifications:
        notification.queued_until = lease
    created = AirDefenseNotification.objects.bulk_create(notifications)
    ids = [notification.pk for notification in created]
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return created


# Notifications delivered by one task: a burst costs tens of tasks, not a thousand, so an alert
# queued behind it waits a fraction of a second.
NOTIFICATION_BATCH = 100


def enqueue_deliveries(notification_ids):
    """Hand leased notifications to the air_defense queue, in batches. If the broker is down the rows
    stay undelivered, their leases are released and the periodic sweep sends them, so a failure here
    is only logged — and ends the loop: each further try would wait out the broker's retries again
    (~0.2 s), which for a sensor batch that turned a thousand tracks hostile held its request for minutes."""
    from .tasks import deliver_notifications

    for start in range(0, len(notification_ids), NOTIFICATION_BATCH):
        try:
            deliver_notifications.delay([str(pk) for pk in notification_ids[start : start + NOTIFICATION_BATCH]])
        except Exception:
            logger.exception(
                "Could not queue %s notifications; the sweep will send them", len(notification_ids) - start
            )
            AirDefenseNotification.objects.filter(pk__in=notification_ids[start:]).update(queued_until=None)
            return


def stream_message(notification):
    """The one wire form of a notification: the live stream's `data:` and the webhook body."""
    return {
        "id": str(notification.id),
        "kind": notification.kind,
        "severity": notification.severity,
        "created_at": notification.created_at.isoformat(),
        "payload": notification.payload,
    }


def acknowledge_notification(*, notification_id, user):
    """Air defense has seen it. Acknowledging again changes nothing: the first acknowledgement stands."""
    AirDefenseNotification.objects.filter(pk=notification_id, acknowledged_at=None).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    return AirDefenseNotification.objects.select_related("acknowledged_by").get(pk=notification_id)


def subscribe_webhook(*, name, url, user, secret="", active=True):
    """A C2 system subscribes; without a secret of its own it gets a generated one (shown once).
    The URL's destination is checked by the caller (the API's serializer, the admin's form)."""
    return WebhookSubscription.objects.create(
        name=name, url=url, secret=secret or webhooks.new_secret(), active=active, created_by=user
    )


def track_payload(*, track, sensor, classification, previous_classification, report, aircraft, permit_reference, zone):
    """Everything air defense needs about a track that changed: where it was when it changed and
    who the aircraft belongs to."""
    return {
        "track": {
            "id": track.pk,
            "identity": track.identity,
            "classification": classification,
            "previous_classification": previous_classification or None,
            "sensor": sensor.name,
            "sensor_track_id": report["sensor_track_id"],
            "remote_id": report["remote_id"] or None,
            "position": {
                "lat": report["lat"],
                "lon": report["lon"],
                "altitude_m": report["altitude_m"],
                "observed_at": report["observed_at"].isoformat(),
            },
            "speed_mps": report["speed_mps"],
            "heading_deg": report["heading_deg"],
            "first_seen_at": track.first_seen_at.isoformat(),
        },
        "aircraft": (
            {
                "serial_number": aircraft.serial_number,
                "remote_id": aircraft.remote_id,
                "status": aircraft.status,
                "operator": aircraft.operator,
            }
            if aircraft
            else None
        ),
        "permit": {"reference": permit_reference} if permit_reference else None,
        "zone": {"name": zone.name, "kind": zone.kind} if zone else None,
    }
