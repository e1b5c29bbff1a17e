"""What a sensor's batch of position reports does: classify it (classification.py), move the tracks,
keep every report as evidence, and raise one air defense alert per track per change of
classification — all in one transaction, so a batch is stored whole or not at all."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .classification import (
    NONCONFORMING,
    NOTHING,
    UNAUTHORIZED,
    UNREGISTERED,
    aircraft_by_identifier,
    classify,
    current_index,
)
from .models import AirDefenseNotification, PositionReport, Track
from .notifications import record_notification, track_payload

Kind = AirDefenseNotification.Kind
Severity = AirDefenseNotification.Severity

ALERT_KINDS = {
    NONCONFORMING: Kind.TRACK_NONCONFORMING,
    UNAUTHORIZED: Kind.TRACK_HOSTILE,
    UNREGISTERED: Kind.TRACK_HOSTILE,
}
TRACK_FIELDS_MOVED = [
    "sensor",
    "sensor_track_id",
    "remote_id",
    "aircraft",
    "permit",
    "zone",
    "classification",
    "classification_changed_at",
    "last_lat",
    "last_lon",
    "last_altitude_m",
    "last_observed_at",
]
REPORT_COLUMNS = [
    "track_id",
    "sensor_id",
    "sensor_track_id",
    "remote_id",
    "observed_at",
    "received_at",
    "lat",
    "lon",
    "altitude_m",
    "speed_mps",
    "heading_deg",
    "classification",
    "permit_id",
]


def track_identity(sensor, sensor_track_id, remote_id):
    """A drone that broadcasts a Remote ID is one track whichever sensor sees it; otherwise each
    sensor's own track id is one."""
    return f"rid:{remote_id}" if remote_id else f"sensor:{sensor.pk}:{sensor_track_id}"


def alert_severity(code, zone):
    if code == NONCONFORMING:
        return Severity.WARNING
    return Severity.CRITICAL if zone is not None else Severity.WARNING


def ingest_reports(*, sensor, batch):
    """Classify, store and alert; returns each report's outcome in the order they were sent."""
    received_at = timezone.now()
    index = current_index()
    outcome = classify(batch, index, aircraft_by_identifier(batch.remote_ids))
    identities = [
        track_identity(sensor, track_id, remote_id)
        for track_id, remote_id in zip(batch.sensor_track_ids, batch.remote_ids, strict=True)
    ]
    positions_of = defaultdict(list)
    for position, identity in enumerate(identities):
        positions_of[identity].append(position)
    for positions in positions_of.values():
        positions.sort(key=batch.observed_at.__getitem__)

    def permit_id(position):
        return index.permits[outcome.permit[position]].id if outcome.permit[position] != NOTHING else None

    def permit_reference(position):
        return index.permits[outcome.permit[position]].reference if outcome.permit[position] != NOTHING else None

    def zone_of(position):
        return index.zones[outcome.zone[position]] if outcome.zone[position] != NOTHING else None

    def report(position):
        return {
            "lat": float(batch.lat[position]),
            "lon": float(batch.lon[position]),
            "altitude_m": float(batch.altitude_m[position]),
            "observed_at": batch.observed_at[position],
            "speed_mps": batch.speed_mps[position],
            "heading_deg": batch.heading_deg[position],
        }

    with transaction.atomic():
        tracks = _create_and_lock_tracks(sensor, batch, positions_of)
        alerts = []
        for identity, positions in positions_of.items():
            track = tracks[identity]
            for position in positions:
                if batch.observed_at[position] < track.last_observed_at:
                    continue  # a late report: kept as evidence, but the track has moved on
                code = int(outcome.codes[position])
                classification = outcome.classification(position)
                previous = track.classification
                aircraft = outcome.aircraft[position]
                track.sensor = sensor
                track.sensor_track_id = batch.sensor_track_ids[position]
                track.remote_id = batch.remote_ids[position] or ""
                track.aircraft_id = aircraft.id if aircraft else None
                track.permit_id = permit_id(position)
                zone = zone_of(position)
                track.zone_id = zone.id if zone else None
                track.last_lat = float(batch.lat[position])
                track.last_lon = float(batch.lon[position])
                track.last_altitude_m = float(batch.altitude_m[position])
                track.last_observed_at = batch.observed_at[position]
                if classification != previous:
                    track.classification = classification
                    track.classification_changed_at = batch.observed_at[position]
                    if code in ALERT_KINDS:
                        alerts.append(
                            (
                                track,
                                position,
                                code,
                                zone,
                                track_payload(
                                    track=track,
                                    previous_classification=previous,
                                    report=report(position),
                                    aircraft=aircraft,
                                    permit_reference=permit_reference(position),
                                    zone=zone,
                                ),
                            )
                        )
        Track.objects.bulk_update(tracks.values(), TRACK_FIELDS_MOVED, batch_size=500)
        _store_reports(
            [
                (
                    tracks[identities[position]].pk,
                    sensor.pk,
                    batch.sensor_track_ids[position],
                    batch.remote_ids[position] or "",
                    batch.observed_at[position],
                    received_at,
                    float(batch.lat[position]),
                    float(batch.lon[position]),
                    float(batch.altitude_m[position]),
                    batch.speed_mps[position],
                    batch.heading_deg[position],
                    outcome.classification(position).value,
                    permit_id(position),
                )
                for position in range(len(batch))
            ]
        )
        for track, _position, code, zone, payload in alerts:
            record_notification(
                kind=ALERT_KINDS[code], severity=alert_severity(code, zone), payload=payload, track=track
            )

    return [
        {
            "index": position,
            "sensor_track_id": batch.sensor_track_ids[position],
            "track": tracks[identities[position]].pk,
            "classification": outcome.classification(position).value,
            "permit": permit_reference(position),
            "zone": zone_of(position).name if outcome.zone[position] != NOTHING else None,
        }
        for position in range(len(batch))
    ]


def _create_and_lock_tracks(sensor, batch, positions_of):
    """Insert the tracks seen for the first time, then lock every track of the batch, always in
    identity order so that two batches for the same tracks wait for each other instead of
    deadlocking. A new track starts unclassified, so its first classification is a change."""
    identities = sorted(positions_of)
    new_tracks = []
    for identity in identities:
        first = positions_of[identity][0]
        observed_at = batch.observed_at[first]
        new_tracks.append(
            Track(
                identity=identity,
                sensor=sensor,
                sensor_track_id=batch.sensor_track_ids[first],
                remote_id=batch.remote_ids[first] or "",
                classification="",
                classification_changed_at=observed_at,
                last_lat=float(batch.lat[first]),
                last_lon=float(batch.lon[first]),
                last_altitude_m=float(batch.altitude_m[first]),
                last_observed_at=observed_at,
                first_seen_at=observed_at,
            )
        )
    Track.objects.bulk_create(new_tracks, ignore_conflicts=True, batch_size=500)
    locked = Track.objects.select_for_update().filter(identity__in=identities).order_by("identity")
    return {track.identity: track for track in locked.select_related(None)}


def _store_reports(rows):
    """Keep every report: COPY on PostgreSQL (the fastest bulk load it has), bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        columns = ", ".join(REPORT_COLUMNS)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {PositionReport._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    PositionReport.objects.bulk_create(
        [PositionReport(**dict(zip(REPORT_COLUMNS, row, strict=True))) for row in rows], batch_size=500
    )


def active_since():
    """Tracks seen after this moment are active."""
    return timezone.now() - timedelta(seconds=settings.TRACK_ACTIVE_S)
