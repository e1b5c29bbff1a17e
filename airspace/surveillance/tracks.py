"""What a sensor's batch of position reports does: classify it (classification.py), move the tracks,
keep every report as evidence, and raise one air defense alert per track per change of
classification (a track seen again after it went inactive counts as a change, and so does a hostile
track entering a zone); and what it changes in flight following (following.py: a lost drone seen
again, an excursion that starts, grows, is escalated or ends) — all in one transaction, so a batch
is stored whole or not at all."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.notifications import record_notifications, track_payload
from airspace.incidents.services import join_incidents
from airspace.trade.selectors import import_traces

from .airspace_index import aircraft_by_identifier, current_index
from .classification import (
    AUTHORIZED,
    CLASSIFICATIONS,
    NONCONFORMING,
    NOTHING,
    UNAUTHORIZED,
    UNREGISTERED,
    classify,
    excursions,
    permit_enters_zone,
)
from .database import binary_array, server_binding_cursor
from .following import BatchFollowing
from .models import PositionReport, Track

Kind = AirDefenseNotification.Kind
Severity = AirDefenseNotification.Severity

ALERT_KINDS = {
    NONCONFORMING: Kind.TRACK_NONCONFORMING,
    UNAUTHORIZED: Kind.TRACK_HOSTILE,
    UNREGISTERED: Kind.TRACK_HOSTILE,
}
HOSTILE = (UNAUTHORIZED, UNREGISTERED)
# Track columns and their PostgreSQL types, for the one-statement writes from arrays (unnest) of
# the hot path.
TRACK_COLUMN_TYPES = {
    "identity": "text",
    "sensor_id": "bigint",
    "sensor_track_id": "text",
    "remote_id": "text",
    "aircraft_id": "bigint",
    "permit_id": "bigint",
    "zone_id": "bigint",
    "classification": "text",
    "classification_changed_at": "timestamptz",
    "last_lat": "float8",
    "last_lon": "float8",
    "last_altitude_m": "float8",
    "last_observed_at": "timestamptz",
    "first_seen_at": "timestamptz",
    "operator_lat": "float8",
    "operator_lon": "float8",
    "operator_altitude_m": "float8",
    "operator_observed_at": "timestamptz",
}
TRACK_COLUMNS_MOVED = [name for name in TRACK_COLUMN_TYPES if name not in ("identity", "first_seen_at")]
# PositionReport columns in COPY order, with the types of the binary COPY.
REPORT_COLUMN_TYPES = {
    "track_id": "int8",
    "sensor_id": "int8",
    "sensor_track_id": "text",
    "remote_id": "text",
    "observed_at": "timestamptz",
    "received_at": "timestamptz",
    "lat": "float8",
    "lon": "float8",
    "altitude_m": "float8",
    "speed_mps": "float8",
    "heading_deg": "float8",
    "classification": "text",
    "permit_id": "int8",
}
REPORT_COLUMNS = list(REPORT_COLUMN_TYPES)


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
    outcome = classify(
        batch,
        index,
        aircraft_by_identifier(batch.remote_ids),
        altitude_tolerance_m=settings.TRACK_ALTITUDE_TOLERANCE_M,
        time_tolerance_s=settings.TRACK_TIME_TOLERANCE_S,
        overstay_s=settings.NONCONFORMING_GRACE_S,
    )
    strayed = excursions(batch, index, outcome, time_tolerance_s=settings.TRACK_TIME_TOLERANCE_S)
    count = len(batch)
    # Plain lists from here on: indexing numpy arrays one element at a time is slow.
    codes = outcome.codes.tolist()
    classification = [CLASSIFICATIONS[code] for code in codes]
    permit = [index.permits[at] if at != NOTHING else None for at in outcome.permit.tolist()]
    zone = [index.zones[at] if at != NOTHING else None for at in outcome.zone.tolist()]
    lat, lon, altitude_m = batch.lat.tolist(), batch.lon.tolist(), batch.altitude_m.tolist()
    observed_at = batch.observed_at
    identities = [
        track_identity(sensor, track_id, remote_id)
        for track_id, remote_id in zip(batch.sensor_track_ids, batch.remote_ids, strict=True)
    ]
    positions_of = defaultdict(list)
    for position, identity in enumerate(identities):
        positions_of[identity].append(position)
    for positions in positions_of.values():
        positions.sort(key=observed_at.__getitem__)

    # A track unseen for longer than this is no longer active; seen again, it is a new sighting
    # whose classification is announced again: a drone that flew without a permit yesterday (or a
    # radar track number reused hours later) must not be silent today because nothing "changed".
    lost_after = timedelta(seconds=settings.TRACK_ACTIVE_S)
    with transaction.atomic():
        tracks = _create_and_lock_tracks(sensor, batch, positions_of)
        # Flight following looks only at the tracks that are or turn nonconforming (their excursions).
        following = BatchFollowing(
            track_ids=[
                tracks[identity].pk
                for identity, positions in positions_of.items()
                if tracks[identity].classification == CLASSIFICATIONS[NONCONFORMING]
                or any(codes[position] == NONCONFORMING for position in positions)
            ],
            received_at=received_at,
        )
        moved, alerts = [], []
        for identity, positions in positions_of.items():
            track = tracks[identity]
            # A late report (older than what the track already knows) is kept as evidence only.
            current = [position for position in positions if observed_at[position] >= track.last_observed_at]
            if not current:
                continue
            if track.contact_lost_at is not None:
                first = current[0]
                following.seen_again(
                    track=track, position=first, lon=lon[first], lat=lat[first], classification=classification[first]
                )
            last_seen, in_zone = track.last_observed_at, track.zone_id is not None
            for position in current:
                reappeared = observed_at[position] - last_seen > lost_after
                if reappeared:
                    following.lost_sight(track=track, last_seen=last_seen)
                # A hostile flight that enters a zone is raised to critical, though its class is the same.
                entered_zone = zone[position] is not None and not in_zone and codes[position] in HOSTILE
                last_seen, in_zone = observed_at[position], zone[position] is not None
                if reappeared or entered_zone or classification[position] != track.classification:
                    previous = track.classification
                    track.classification = classification[position]
                    track.classification_changed_at = observed_at[position]
                    # An escalated flight whose permit then ends (or is revoked) was hostile already.
                    announced = codes[position] in HOSTILE and following.is_escalated(track) and not entered_zone
                    if codes[position] in ALERT_KINDS and not announced:
                        alerts.append((track, position, previous))
                # Only a nonconforming report, or one of a track with an open excursion, changes
                # anything in flight following (BatchFollowing.report): the others, nearly all of a
                # batch, skip building its arguments.
                if codes[position] == NONCONFORMING or track.pk in following.open:
                    following.report(
                        track=track,
                        position=position,
                        code_is_nonconforming=codes[position] == NONCONFORMING,
                        authorized=codes[position] == AUTHORIZED,
                        permit_id=permit[position].id if permit[position] else None,
                        # Inside a zone its permit does not enter: not approved for it.
                        in_zone=codes[position] == NONCONFORMING
                        and outcome.zone[position] != NOTHING
                        and not permit_enters_zone(index, outcome.permit[position], outcome.zone[position]),
                        metres=strayed.metres[position],
                        outside_window=bool(strayed.outside_window[position]),
                        observed_at=observed_at[position],
                    )
            latest = current[-1]
            # The pilot's position stays on the track until a newer report gives another.
            if batch.operators is not None:
                with_operator = [position for position in current if batch.operators[position] is not None]
                if with_operator:
                    operator = batch.operators[with_operator[-1]]
                    track.operator_lat, track.operator_lon = operator["lat"], operator["lon"]
                    track.operator_altitude_m = operator["altitude_m"]
                    track.operator_observed_at = observed_at[with_operator[-1]]
            aircraft = outcome.aircraft[latest]
            track.sensor = sensor
            track.sensor_track_id = batch.sensor_track_ids[latest]
            track.remote_id = batch.remote_ids[latest] or ""
            track.aircraft_id = aircraft.id if aircraft else None
            track.permit_id = permit[latest].id if permit[latest] else None
            track.zone_id = zone[latest].id if zone[latest] else None
            track.last_lat, track.last_lon = lat[latest], lon[latest]
            track.last_altitude_m = altitude_m[latest]
            track.last_observed_at = observed_at[latest]
            moved.append(track)
        _save_moved_tracks(moved)
        following.save()
        track_ids = [tracks[identity].pk for identity in identities]
        _store_reports(
            zip(
                track_ids,
                [sensor.pk] * count,
                batch.sensor_track_ids,
                [remote_id or "" for remote_id in batch.remote_ids],
                observed_at,
                [received_at] * count,
                lat,
                lon,
                altitude_m,
                batch.speed_mps,
                batch.heading_deg,
                classification,
                [p.id if p else None for p in permit],
                strict=True,
            )
        )

        def payload_at(track, position, previous=None):
            return track_payload(
                track=track,
                sensor=sensor,
                classification=classification[position],
                previous_classification=previous,
                report={
                    "sensor_track_id": batch.sensor_track_ids[position],
                    "remote_id": batch.remote_ids[position],
                    "lat": lat[position],
                    "lon": lon[position],
                    "altitude_m": altitude_m[position],
                    "observed_at": observed_at[position],
                    "speed_mps": batch.speed_mps[position],
                    "heading_deg": batch.heading_deg[position],
                },
                aircraft=outcome.aircraft[position],
                permit_reference=permit[position].reference if permit[position] else None,
                zone=zone[position],
            )

        # Where an unregistered drone entered the country (imported, maybe sold, never registered):
        # the lead a patrol needs. One query for the batch's alerts, none for a batch without any.
        traces = import_traces(
            {batch.remote_ids[position] for _, position, _ in alerts if codes[position] == UNREGISTERED} - {None, ""}
        )

        def alert_payload(track, position, previous):
            payload = payload_at(track, position, previous)
            trace = traces.get(batch.remote_ids[position]) if codes[position] == UNREGISTERED else None
            if trace:
                payload["trace"] = trace
            return payload

        rows = [
            AirDefenseNotification(
                kind=ALERT_KINDS[codes[position]],
                severity=alert_severity(codes[position], zone[position]),
                payload=alert_payload(track, position, previous),
                track=track,
            )
            for track, position, previous in alerts
        ] + following.notifications(payload_at)
        # Hostile alerts open or join their tracks' incidents in this transaction (nothing for a
        # batch without one).
        join_incidents(rows)
        record_notifications(rows)

    return [
        {
            "index": position,
            "sensor_track_id": sensor_track_id,
            "track": track_id,
            "classification": classified,
            "permit": permit_in_effect.reference if permit_in_effect else None,
            "zone": zone_entered.name if zone_entered else None,
        }
        for position, (sensor_track_id, track_id, classified, permit_in_effect, zone_entered) in enumerate(
            zip(batch.sensor_track_ids, track_ids, classification, permit, zone, strict=True)
        )
    ]


def _create_and_lock_tracks(sensor, batch, positions_of):
    """Insert the tracks seen for the first time, then lock every track of the batch, always in
    identity order so that two batches for the same tracks wait for each other instead of
    deadlocking. A new track starts unclassified, so its first classification is a change."""
    identities = sorted(positions_of)
    firsts = [positions_of[identity][0] for identity in identities]
    columns = {
        "identity": identities,
        "sensor_id": [sensor.pk] * len(identities),
        "sensor_track_id": [batch.sensor_track_ids[first] for first in firsts],
        "remote_id": [batch.remote_ids[first] or "" for first in firsts],
        "classification": [""] * len(identities),
        "classification_changed_at": [batch.observed_at[first] for first in firsts],
        "last_lat": batch.lat[firsts],
        "last_lon": batch.lon[firsts],
        "last_altitude_m": batch.altitude_m[firsts],
        "last_observed_at": [batch.observed_at[first] for first in firsts],
        "first_seen_at": [batch.observed_at[first] for first in firsts],
    }
    if connection.vendor == "postgresql":
        # One statement from arrays; existing tracks are skipped by the unique identity.
        names = ", ".join(columns)
        arrays = ", ".join(f"%b::{TRACK_COLUMN_TYPES[name]}[]" for name in columns)
        with server_binding_cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Track._meta.db_table} ({names}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (identity) DO NOTHING",
                [binary_array(values, TRACK_COLUMN_TYPES[name]) for name, values in columns.items()],
            )
    else:
        rows = zip(*columns.values(), strict=True)
        Track.objects.bulk_create(
            [Track(**dict(zip(columns, row, strict=True))) for row in rows], ignore_conflicts=True, batch_size=500
        )
    return {track.identity: track for track in _lock_tracks(identities)}


def _lock_tracks(identities):
    """SELECT … FOR UPDATE of the batch's tracks in identity order. On PostgreSQL the identities go
    as one bound array: Django would render a thousand-item IN list into the SQL text in Python."""
    if connection.vendor != "postgresql":
        return list(Track.objects.select_for_update().filter(identity__in=identities).order_by("identity"))
    names = [field.attname for field in Track._meta.concrete_fields]
    sql = (
        f"SELECT {', '.join(names)} FROM {Track._meta.db_table} "
        "WHERE identity = ANY(%b::text[]) ORDER BY identity FOR UPDATE"
    )
    with server_binding_cursor() as cursor:
        cursor.execute(sql, [binary_array(identities, "text")])
        return [Track.from_db(connection.alias, names, row) for row in cursor.fetchall()]


def _save_moved_tracks(tracks):
    """Write the tracks' new state. On PostgreSQL one UPDATE from arrays: Django's bulk_update builds
    a CASE per field and row, which cost more than all the rest of a batch together."""
    if connection.vendor != "postgresql":
        Track.objects.bulk_update(tracks, TRACK_COLUMNS_MOVED, batch_size=500)
        return
    assignments = ", ".join(f"{column} = moved.{column}" for column in TRACK_COLUMNS_MOVED)
    arrays = ", ".join(f"%b::{TRACK_COLUMN_TYPES[name]}[]" for name in TRACK_COLUMNS_MOVED)
    sql = (
        f"UPDATE {Track._meta.db_table} AS track SET {assignments} "
        f"FROM unnest(%b::bigint[], {arrays}) AS moved(id, {', '.join(TRACK_COLUMNS_MOVED)}) "
        "WHERE track.id = moved.id"
    )
    columns = [binary_array([track.pk for track in tracks], "bigint")]
    columns += [
        binary_array([getattr(track, column) for track in tracks], TRACK_COLUMN_TYPES[column])
        for column in TRACK_COLUMNS_MOVED
    ]
    with server_binding_cursor() as cursor:
        cursor.execute(sql, columns)


def _store_reports(rows):
    """Keep every report: COPY on PostgreSQL (the fastest bulk load it has), bulk_create elsewhere.
    The binary format spares formatting every value as text (~40% of the COPY's time)."""
    if connection.vendor == "postgresql":
        columns = ", ".join(REPORT_COLUMNS)
        sql = f"COPY {PositionReport._meta.db_table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with connection.cursor() as cursor:
            with cursor.cursor.copy(sql) as copy:
                copy.set_types(list(REPORT_COLUMN_TYPES.values()))
                for row in rows:
                    copy.write_row(row)
        return
    PositionReport.objects.bulk_create(
        [PositionReport(**dict(zip(REPORT_COLUMNS, row, strict=True))) for row in rows], batch_size=500
    )


def active_since():
    """Tracks seen after this moment are active."""
    return timezone.now() - timedelta(seconds=settings.TRACK_ACTIVE_S)
