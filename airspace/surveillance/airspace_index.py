"""The airspace index of this process: the permits in effect and the zones, loaded from the database
into the classification core's `AirspaceIndex`, and kept current as the airspace changes.

Every permit or zone change counts the airspace version up in its own transaction and writes what
it changed to the change log (`AirspaceChange`: version -> permit or zone id), the signals below
catching the services, the API and the admin alike. Each batch reads the version (one row); when it
moved, the process reads the changes after its own version, re-reads only the permits and zones they
name and applies them to its index (classification.with_permits / with_zones): an approval costs a
process one row read and one STRtree build over the geometries it already holds, not a rebuild
from every permit in effect. A process that finds a gap (the log pruned past it, a counter that went
back) rebuilds in full. Also the registry lookup of a batch's identifiers."""

import dataclasses
import logging
import secrets
import threading
import time
from datetime import timedelta

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from airspace.geometry import buffer_metres_of, metric_polygons, metric_polygons_of
from airspace.registry.models import Aircraft, Operator
from airspace.zones import schedule as zone_schedule
from airspace.zones.models import RestrictedZone
from permits.models import IN_EFFECT_STATES, FlightPermit, State

from .classification import (
    PROHIBITED,
    AirspaceIndex,
    PermitRows,
    RegisteredAircraft,
    ZoneEntry,
    ZoneRows,
    earliest_completed_end_s,
    empty_permit_rows,
    empty_zone_rows,
    with_permits,
    with_zones,
    without_completed_before,
)
from .database import server_binding_cursor
from .models import AirspaceChange, AirspaceVersion

logger = logging.getLogger(__name__)

# How many changes the log keeps: a process more changes behind than this rebuilds in full. Pruned
# every CHANGES_PRUNED_EVERY changes, by the transaction that makes the change.
AIRSPACE_CHANGES_KEPT = 10_000
CHANGES_PRUNED_EVERY = 1_000


def completed_since():
    """Permits completed with a window that ended after this may still cover a report: the oldest
    report accepted (TRACK_MAX_REPORT_AGE_H) plus the time tolerance."""
    return timezone.now() - timedelta(hours=settings.TRACK_MAX_REPORT_AGE_H, seconds=settings.TRACK_TIME_TOLERANCE_S)


def airspace_version():
    """The airspace version: (counter, token of its last change), (0, 0) before any change. One
    primary-key read per batch."""
    counter = AirspaceVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number, token FROM {counter} WHERE id = 1")
        row = cursor.fetchone()
    return tuple(row) if row else (0, 0)


def note_airspace_change(kind=AirspaceChange.Kind.EVERYTHING, object_id=None):
    """Count the airspace version up and log what changed, inside the caller's transaction: the new
    number becomes visible to the other processes exactly when the change itself does. The counter
    row stays locked until the commit, so the changes commit in the order of their numbers and a
    process that reads version N finds every change up to N in the log."""
    counter, changes = AirspaceVersion._meta.db_table, AirspaceChange._meta.db_table
    token = secrets.randbits(62)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {counter} (id, number, token) VALUES (1, 1, %s) "
            f"ON CONFLICT (id) DO UPDATE SET number = {counter}.number + 1, token = excluded.token RETURNING number",
            [token],
        )
        (number,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {changes} (number, token, kind, object_id) VALUES (%s, %s, %s, %s)",
            [number, token, str(kind), object_id],
        )
        if number % CHANGES_PRUNED_EVERY == 0:
            cursor.execute(f"DELETE FROM {changes} WHERE number <= %s", [number - AIRSPACE_CHANGES_KEPT])


# Permits and zones change through the services, the API and the admin alike: the signals catch them all.
@receiver([post_save, post_delete], sender=FlightPermit)
def _permit_changed(sender, instance, **kwargs):
    note_airspace_change(AirspaceChange.Kind.PERMIT, instance.pk)


@receiver([post_save, post_delete], sender=RestrictedZone)
def _zone_changed(sender, instance, **kwargs):
    note_airspace_change(AirspaceChange.Kind.ZONE, instance.pk)


# Buffered permit polygons survive rebuilds: a permit's volume cannot change once it is approved,
# so only permits new to the index are buffered again. Keyed by (id, tolerance).
_buffered_permit_areas: dict[tuple[int, float], shapely.Polygon] = {}
# Likewise each volume in metres (how far a nonconforming report strayed), keyed by id.
_permit_volumes_m: dict[int, tuple] = {}

PERMIT_COLUMNS = ("pk", "reference", "aircraft_id", "min_altitude_m", "max_altitude_m", "starts_at", "ends_at", "state")


def _permits_that_may_cover():
    # A completed permit still covers reports stamped inside its window (plus the tolerance) that
    # arrive after the clock completed it: without it, a report of the flight's last seconds posted
    # just after the clock's tick turned a friendly flight hostile.
    return FlightPermit.objects.filter(
        Q(state__in=IN_EFFECT_STATES) | Q(state=State.COMPLETED, ends_at__gte=completed_since())
    ).order_by("pk")


def _permit_rows(permits) -> PermitRows:
    """The permits of a queryset as index rows: the columns in one query, the boundaries of only the
    permits this process has not buffered yet (up to MAX_AREA_VERTICES vertices each), parsed and
    grown by the tolerance in vectorized calls (geometry.metric_polygons_of)."""
    tolerance_m = settings.TRACK_TOLERANCE_M
    rows = list(permits.values_list(*PERMIT_COLUMNS))
    missing = [pk for pk, *_ in rows if (pk, tolerance_m) not in _buffered_permit_areas or pk not in _permit_volumes_m]
    # Most of them missing (a process starting): one query for all; a few (a rebuild): by id.
    if len(missing) > len(rows) // 2:
        chunks = [permits]
    else:
        chunks = [permits.filter(pk__in=missing[start : start + 500]) for start in range(0, len(missing), 500)]
    for chunk in chunks if missing else []:
        read = list(chunk.annotate(boundary_text=Cast("boundary", TextField())).values_list("pk", "boundary_text"))
        if not read:
            continue
        polygons = shapely.from_geojson([text for _, text in read])
        volumes = metric_polygons_of(polygons)
        grown = buffer_metres_of(volumes, tolerance_m) if tolerance_m > 0 else polygons
        for at, (pk, _) in enumerate(read):
            _buffered_permit_areas[(pk, tolerance_m)] = grown[at]
            _permit_volumes_m[pk] = (volumes.polygons[at], volumes.lon0[at], volumes.lat0[at], volumes.x_scale[at])
    # One that left the permits in effect between the two reads changed the version: the next batch
    # applies that change.
    rows = [row for row in rows if (row[0], tolerance_m) in _buffered_permit_areas and row[0] in _permit_volumes_m]
    if not rows:
        return empty_permit_rows()
    columns = list(zip(*rows, strict=True))
    areas = np.empty(len(rows), dtype=object)
    areas[:] = [_buffered_permit_areas[(pk, tolerance_m)] for pk in columns[0]]
    return PermitRows(
        ids=np.array(columns[0], dtype=np.int64),
        references=list(columns[1]),
        aircraft=np.array(columns[2], dtype=np.int64),
        min_alt=np.array(columns[3], dtype=float),
        max_alt=np.array(columns[4], dtype=float),
        start_s=np.array([t.timestamp() for t in columns[5]]),
        end_s=np.array([t.timestamp() for t in columns[6]]),
        in_effect=np.array([state in IN_EFFECT_STATES for state in columns[7]], dtype=bool),
        areas=areas,
        volumes=metric_polygons(_permit_volumes_m[pk] for pk in columns[0]),
    )


def _forget_permits(pks):
    tolerance_m = settings.TRACK_TOLERANCE_M
    for pk in pks:
        _buffered_permit_areas.pop((pk, tolerance_m), None)
        _permit_volumes_m.pop(pk, None)


def _zone_rows(zones) -> ZoneRows:
    rows = list(
        zones.filter(active=True)
        .order_by("pk")
        .annotate(boundary_text=Cast("boundary", TextField()))
        .values_list("pk", "name", "kind", "boundary_text", "min_altitude_m", "max_altitude_m", "schedule")
    )
    if not rows:
        return empty_zone_rows()
    areas = shapely.from_geojson([row[3] for row in rows])
    return ZoneRows(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        entries=[ZoneEntry(pk, name, kind) for pk, name, kind, *_ in rows],
        areas=areas,
        min_alt=np.array([row[4] for row in rows], dtype=float),
        max_alt=np.array([row[5] for row in rows], dtype=float),
        prohibited=np.array([row[2] == PROHIBITED for row in rows], dtype=bool),
        windows=[_zone_windows(row[6]) for row in rows],
        metric=metric_polygons_of(areas),
    )


def _zone_windows(schedule):
    """The windows of a zone with a schedule, over the reports the index may classify: from the
    oldest report accepted to two days ahead; the index is rebuilt a day on, before that runs out."""
    if not schedule:
        return None
    windows = zone_schedule.intervals(
        schedule, completed_since() - timedelta(minutes=5), timezone.now() + timedelta(days=2)
    )
    return (
        np.array([start.timestamp() for start, _ in windows]),
        np.array([end.timestamp() for _, end in windows]),
    )


def _schedule_horizon_s():
    return (timezone.now() + timedelta(days=1)).timestamp()


def _kept_s():
    """How long after its end a completed permit stays in the index (see completed_since)."""
    return settings.TRACK_MAX_REPORT_AGE_H * 3600 + settings.TRACK_TIME_TOLERANCE_S


def build_index(version) -> AirspaceIndex:
    """The index from scratch: every permit that may cover a report and every active zone."""
    permits = _permits_that_may_cover()
    index = AirspaceIndex(version=version, tolerance_m=settings.TRACK_TOLERANCE_M)
    rows = _permit_rows(permits)
    live = set(rows.ids.tolist())
    _forget_permits([pk for pk in _permit_volumes_m if pk not in live])
    for stale in [key for key in _buffered_permit_areas if key[1] != index.tolerance_m]:
        del _buffered_permit_areas[stale]
    if len(rows):
        index = with_permits(index, removed_ids=[], added=rows)
    zones = _zone_rows(RestrictedZone.objects.all())
    if len(zones):
        index = with_zones(index, removed_ids=[], added=zones)
    if index.zone_windows:
        index.valid_until_s = _schedule_horizon_s()
    return index


def apply_changes(index: AirspaceIndex, changes) -> AirspaceIndex:
    """The index with the changes (AirspaceChange rows: number, token, kind, object_id, in order)
    applied: each changed permit or zone re-read and put in, or taken out if it no longer belongs.
    Re-reading makes it idempotent: a change the index already saw is applied again to the same
    effect. The caller has checked the changes follow the index's version with no gap."""
    permit_ids = sorted({object_id for _, _, kind, object_id in changes if kind == AirspaceChange.Kind.PERMIT})
    zone_ids = sorted({object_id for _, _, kind, object_id in changes if kind == AirspaceChange.Kind.ZONE})
    version = tuple(changes[-1][:2]) if changes else index.version
    if permit_ids:
        rows = _permit_rows(_permits_that_may_cover().filter(pk__in=permit_ids))
        gone = sorted(set(permit_ids) - set(rows.ids.tolist()))
        index = with_permits(index, removed_ids=permit_ids, added=rows, version=version)
        _forget_permits(gone)
    if zone_ids:
        rows = _zone_rows(RestrictedZone.objects.filter(pk__in=zone_ids))
        index = with_zones(index, removed_ids=zone_ids, added=rows, version=version)
        if any(windows is not None for windows in rows.windows):
            index.valid_until_s = min(index.valid_until_s, _schedule_horizon_s())
    return prune_index(dataclasses.replace(index, version=version))


def prune_index(index: AirspaceIndex) -> AirspaceIndex:
    """Drop the completed permits that can no longer cover an accepted report, as a full build at
    this moment would not read them."""
    return without_completed_before(index, completed_since().timestamp())


def changes_since(version):
    """The logged changes after `version` (number, token), or None when the log cannot bring an index
    at that version up to date: its own change is no longer there (pruned, or rolled back and the
    number reused), or a number is missing, or a change is not one of a permit or a zone."""
    number, token = version
    if not number:
        return None
    changes = list(
        AirspaceChange.objects.filter(number__gte=number)
        .order_by("number")
        .values_list("number", "token", "kind", "object_id")
    )
    if not changes or tuple(changes[0][:2]) != (number, token):
        return None
    numbers = [change[0] for change in changes]
    if numbers != list(range(number, number + len(numbers))):
        return None
    changes = changes[1:]  # the index's own version: already in it
    if any(kind == AirspaceChange.Kind.EVERYTHING for _, _, kind, _ in changes):
        return None
    return changes


_current_index: AirspaceIndex | None = None
_rebuild_lock = threading.Lock()


def _is_current(index, version, now_s):
    return (
        index is not None
        and index.version == version
        and now_s < index.valid_until_s
        and now_s < index.prune_at_s
        and index.tolerance_m == settings.TRACK_TOLERANCE_M
    )


def current_index() -> AirspaceIndex:
    """The index for this batch: the process's own, brought up to date first if the airspace changed."""
    global _current_index
    version = airspace_version()
    now_s = time.time()
    if _is_current(_current_index, version, now_s):
        return _current_index
    with _rebuild_lock:
        index = _current_index
        if _is_current(index, version, now_s):
            return index
        changes = None
        if index is not None and now_s < index.valid_until_s and index.tolerance_m == settings.TRACK_TOLERANCE_M:
            changes = changes_since(index.version) if index.version != version else []
        if changes is None:
            index = build_index(version)
            logger.info(
                "Rebuilt the airspace index: %s permits in effect, %s zones", len(index.permits), len(index.zones)
            )
        else:
            index = apply_changes(index, changes)
        index.prune_at_s = earliest_completed_end_s(index) + _kept_s()
        _current_index = index
        return index


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
