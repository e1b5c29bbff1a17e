"""Air defense notifications: written as an outbox row in the caller's transaction, then handed
to the `air_defense` Celery queue once that transaction commits (delivery: tasks.py beside this,
guarantees: docs/NOTIFICATIONS.md)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from airspace.web.places import where, where_area

from .models import AirDefenseNotification
from .tasks import enqueue_deliveries


def permit_payload(permit):
    """Everything a C2 system needs about a permit, without calling back; `place` and `mgrs` say
    where its volume's centre is."""
    aircraft = permit.aircraft
    return {
        **where_area(permit.boundary),
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
        },
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


def record_notification(*, kind, severity, payload, permit=None, track=None, addressed_to=None):
    """Write the outbox row now and queue its delivery for after the surrounding transaction commits.
    `addressed_to`: the webhook subscription of the one it is for (a response unit), if any."""
    [notification] = record_notifications(
        [
            AirDefenseNotification(
                kind=kind, severity=severity, payload=payload, permit=permit, track=track, addressed_to=addressed_to
            )
        ]
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


def track_payload(*, track, sensor, classification, previous_classification, report, aircraft, permit_reference, zone):
    """Everything air defense needs about a track that changed: where it was when it changed (also
    in words and MGRS: `place`, `mgrs`, computed here, when the alert is written, never per report)
    and who the aircraft belongs to."""
    return {
        **where(report["lat"], report["lon"]),
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
            # Where the pilot is (Remote ID), so that a patrol can be sent there; None if never said.
            "operator_position": track.operator_position,
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


def sensor_payload(*, sensor, previous_health, silent_s, prohibited_zones=(), tracks_last_seen=0):
    """A sensor that went quiet or came back: what it covers, what it last saw, and which
    prohibited zones are now (or were) out of its sight; `place` and `mgrs` of its position (None
    for a sensor without one)."""
    return {
        **where(sensor.lat, sensor.lon),
        "sensor": {
            "id": sensor.pk,
            "name": sensor.name,
            "kind": sensor.kind,
            "health": sensor.health,
            "previous_health": previous_health,
            "last_heard_at": sensor.last_heard_at.isoformat() if sensor.last_heard_at else None,
            "silent_s": round(silent_s, 1) if silent_s is not None else None,
            "position": {"lat": sensor.lat, "lon": sensor.lon} if sensor.lat is not None else None,
            "coverage": (
                {
                    "area": sensor.coverage_area,
                    "radius_m": sensor.coverage_radius_m,
                    "boundary": sensor.coverage_boundary,
                }
                if sensor.coverage_boundary
                else None
            ),
        },
        "prohibited_zones_covered": [{"name": zone.name, "kind": zone.kind} for zone in prohibited_zones],
        "tracks_last_seen": tracks_last_seen,
    }


def swarm_payload(*, swarm, tracks):
    """A swarm: where (also `place` and `mgrs` of its centre), how many, and each member track as air
    defense would see it on its own."""
    return {
        **where(swarm.centre_lat, swarm.centre_lon),
        "swarm": {
            "id": swarm.pk,
            "size": swarm.size,
            "centre": {"lat": swarm.centre_lat, "lon": swarm.centre_lon},
            "radius_m": round(swarm.radius_m, 1),
            "detected_at": swarm.detected_at.isoformat(),
            "tracks": [
                {
                    "id": track.pk,
                    "identity": track.identity,
                    "sensor_track_id": track.sensor_track_id,
                    "remote_id": track.remote_id or None,
                    "classification": track.classification,
                    "position": {
                        "lat": track.last_lat,
                        "lon": track.last_lon,
                        "altitude_m": track.last_altitude_m,
                        "observed_at": track.last_observed_at.isoformat(),
                    },
                }
                for track in tracks
            ],
        },
    }
