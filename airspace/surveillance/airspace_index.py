"""The airspace index of this process: the permits in effect and the zones, loaded from the database
into the classification core's `AirspaceIndex`, and rebuilt when the airspace version changes.

The version is a counter that every permit or zone change counts up in its own transaction (the
signals below catch the services, the API and the admin alike), read once per batch: every process
sees an approval or revocation at its next batch. Also the registry lookup of a batch's identifiers."""

import logging
import threading
import time
from datetime import timedelta

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from airspace.geometry import buffer_metres, metric_polygon, metric_polygons, polygon_from_boundary
from airspace.registry.models import Aircraft, Operator
from airspace.zones import schedule as zone_schedule
from airspace.zones.models import RestrictedZone
from permits.models import IN_EFFECT_STATES, FlightPermit, State

from .classification import PROHIBITED, AirspaceIndex, PermitInEffect, RegisteredAircraft, ZoneEntry, index_arrays
from .database import server_binding_cursor
from .models import AirspaceVersion

logger = logging.getLogger(__name__)


def completed_since():
    """Permits completed with a window that ended after this may still cover a report: the oldest
    report accepted (TRACK_MAX_REPORT_AGE_H) plus the time tolerance."""
    return timezone.now() - timedelta(hours=settings.TRACK_MAX_REPORT_AGE_H, seconds=settings.TRACK_TIME_TOLERANCE_S)


def airspace_version():
    """What the index was built from: the airspace version counter (note_airspace_change), and a
    fingerprint of the permits that may cover a report and of the zones (their count and latest
    change), which also tells apart a counter that restarted, as in a database rebuilt from
    scratch. One small query per batch."""
    permits, zones = FlightPermit._meta.db_table, RestrictedZone._meta.db_table
    counter = AirspaceVersion._meta.db_table
    in_effect = ", ".join(["%s"] * len(IN_EFFECT_STATES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT number FROM {counter} WHERE id = 1), permit.n, permit.latest, zone.n, zone.latest FROM"
            f" (SELECT count(*) AS n, max(updated_at) AS latest FROM {permits}"
            f"  WHERE state IN ({in_effect}) OR (state = %s AND ends_at >= %s)) AS permit,"
            f" (SELECT count(*) AS n, max(updated_at) AS latest FROM {zones}) AS zone",
            [*IN_EFFECT_STATES, State.COMPLETED, connection.ops.adapt_datetimefield_value(completed_since())],
        )
        return tuple(cursor.fetchone())


def note_airspace_change():
    """Count the airspace version up, inside the caller's transaction: the new number becomes
    visible to the other processes exactly when the change itself does."""
    counter = AirspaceVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {counter} (id, number) VALUES (1, 1) "
            f"ON CONFLICT (id) DO UPDATE SET number = {counter}.number + 1"
        )


# Permits and zones change through the services, the API and the admin alike: the signals catch them all.
@receiver([post_save, post_delete], sender=FlightPermit)
@receiver([post_save, post_delete], sender=RestrictedZone)
def _airspace_changed(sender, **kwargs):
    note_airspace_change()


# Buffered permit polygons survive rebuilds: a permit's volume cannot change once it is approved,
# so only permits new to the index are buffered again. Keyed by (id, tolerance).
_buffered_permit_areas: dict[tuple[int, float], shapely.Polygon] = {}
# Likewise each volume in metres (how far a nonconforming report strayed), keyed by id.
_permit_volumes_m: dict[int, tuple] = {}


def build_index(version) -> AirspaceIndex:
    tolerance_m = settings.TRACK_TOLERANCE_M
    # A completed permit still covers reports stamped inside its window (plus the tolerance) that
    # arrive after the clock completed it: without it, a report of the flight's last seconds posted
    # just after the clock's tick turned a friendly flight hostile.
    permits = FlightPermit.objects.filter(
        Q(state__in=IN_EFFECT_STATES) | Q(state=State.COMPLETED, ends_at__gte=completed_since())
    ).order_by("pk")
    rows = list(
        permits.values_list(
            "pk", "reference", "aircraft_id", "min_altitude_m", "max_altitude_m", "starts_at", "ends_at", "state"
        )
    )
    # Only the permits new to the index are read with their boundary (up to MAX_AREA_VERTICES
    # vertices each): after one approval the rebuild reads one polygon, not every one in effect.
    missing = [pk for pk, *_ in rows if (pk, tolerance_m) not in _buffered_permit_areas or pk not in _permit_volumes_m]
    for start in range(0, len(missing), 500):
        for pk, boundary in permits.filter(pk__in=missing[start : start + 500]).values_list("pk", "boundary"):
            volume = polygon_from_boundary(boundary)
            _buffered_permit_areas[(pk, tolerance_m)] = buffer_metres(volume, tolerance_m)
            _permit_volumes_m[pk] = metric_polygon(volume)
    # One that left the permits in effect between the two reads changed the version: the next batch rebuilds.
    rows = [row for row in rows if (row[0], tolerance_m) in _buffered_permit_areas and row[0] in _permit_volumes_m]
    index = AirspaceIndex(version=version)
    polygons, volumes_m = [], []
    last_end_of_aircraft = {}
    for pk, reference, aircraft_id, _min_alt, _max_alt, _starts_at, ends_at, state in rows:
        polygons.append(_buffered_permit_areas[(pk, tolerance_m)])
        volumes_m.append(_permit_volumes_m[pk])
        if state in IN_EFFECT_STATES:
            index.first_permit_of_aircraft.setdefault(aircraft_id, len(index.permits))
        elif aircraft_id not in last_end_of_aircraft or ends_at > last_end_of_aircraft[aircraft_id][0]:
            last_end_of_aircraft[aircraft_id] = (ends_at, len(index.permits))
        index.aircraft_with_permits.add(aircraft_id)
        index.permits.append(PermitInEffect(pk, reference, aircraft_id))
    index.last_completed_permit_of_aircraft = {aircraft: at for aircraft, (_, at) in last_end_of_aircraft.items()}
    live_keys = {(pk, tolerance_m) for pk, *_ in rows}
    for stale in set(_buffered_permit_areas) - live_keys:
        del _buffered_permit_areas[stale]
    for stale in set(_permit_volumes_m) - {pk for pk, *_ in rows}:
        del _permit_volumes_m[stale]
    if rows:
        columns = list(zip(*rows, strict=True))
        index.permit_areas = index_arrays(polygons)
        index.permit_tree = shapely.STRtree(index.permit_areas)
        index.permit_aircraft = np.array(columns[2], dtype=np.int64)
        index.permit_min_alt = np.array(columns[3], dtype=float)
        index.permit_max_alt = np.array(columns[4], dtype=float)
        index.permit_start_s = np.array([t.timestamp() for t in columns[5]])
        index.permit_end_s = np.array([t.timestamp() for t in columns[6]])
        index.permit_volumes = metric_polygons(volumes_m)

    zones = list(
        RestrictedZone.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "name", "kind", "boundary", "min_altitude_m", "max_altitude_m", "schedule")
    )
    if zones:
        index.zones = [ZoneEntry(pk, name, kind) for pk, name, kind, *_ in zones]
        index.zone_areas = index_arrays([polygon_from_boundary(row[3]) for row in zones])
        _index_zone_schedules(index, [row[6] for row in zones])
        index.zone_metric = metric_polygons(metric_polygon(area) for area in index.zone_areas)
        index.zone_tree = shapely.STRtree(index.zone_areas)
        index.zone_min_alt = np.array([row[4] for row in zones], dtype=float)
        index.zone_max_alt = np.array([row[5] for row in zones], dtype=float)
        index.zone_prohibited = np.array([row[2] == PROHIBITED for row in zones])
    return index


def _index_zone_schedules(index, schedules):
    """The windows of the zones with a schedule, over the reports the index may classify: from the
    oldest report accepted to a day ahead; the index is rebuilt before that horizon runs out."""
    now = timezone.now()
    horizon_start = completed_since() - timedelta(minutes=5)
    horizon_end = now + timedelta(days=2)
    index.zone_scheduled = np.array([bool(schedule) for schedule in schedules])
    for at, schedule in enumerate(schedules):
        if schedule:
            windows = zone_schedule.intervals(schedule, horizon_start, horizon_end)
            index.zone_windows[at] = (
                np.array([start.timestamp() for start, _ in windows]),
                np.array([end.timestamp() for _, end in windows]),
            )
    if index.zone_windows:
        index.valid_until_s = (now + timedelta(days=1)).timestamp()


_current_index: AirspaceIndex | None = None
_rebuild_lock = threading.Lock()


def current_index() -> AirspaceIndex:
    """The index for this batch: the process's own, rebuilt first if the airspace changed."""
    global _current_index
    version = airspace_version()
    index = _current_index
    if index is not None and index.version == version and time.time() < index.valid_until_s:
        return index
    with _rebuild_lock:
        if _current_index is None or _current_index.version != version or time.time() >= _current_index.valid_until_s:
            _current_index = build_index(version)
            logger.info(
                "Rebuilt the airspace index: %s permits in effect, %s zones",
                len(_current_index.permits),
                len(_current_index.zones),
            )
        return _current_index


def aircraft_by_identifier(identifiers) -> dict[str, RegisteredAircraft]:
    """The registry entries of a batch's identifiers (Remote ID or serial number): one query."""
    identifiers = sorted({identifier for identifier in identifiers if identifier})
    if not identifiers:
        return {}
    if connection.vendor == "postgresql":
        # The identifiers go as one bound array (see database.py) instead of two IN lists.
        aircraft, operator = Aircraft._meta.db_table, Operator._meta.db_table
        with server_binding_cursor() as cursor:
            cursor.execute(
                f"SELECT a.id, a.serial_number, a.remote_id, a.status, o.name FROM {aircraft} a "
                f"JOIN {operator} o ON o.id = a.operator_id "
                "WHERE a.remote_id = ANY(%b::text[]) OR a.serial_number = ANY(%b::text[])",
                [identifiers, identifiers],
            )
            rows = cursor.fetchall()
    else:
        rows = (
            Aircraft.objects.filter(remote_id__in=identifiers) | Aircraft.objects.filter(serial_number__in=identifiers)
        ).values_list("pk", "serial_number", "remote_id", "status", "operator__name")
    registered = [RegisteredAircraft(*row) for row in rows]
    found = {aircraft.serial_number: aircraft for aircraft in registered}
    # A Remote ID wins over an equal serial number of another aircraft: it is what drones broadcast.
    found.update({aircraft.remote_id: aircraft for aircraft in registered if aircraft.remote_id})
    return found
