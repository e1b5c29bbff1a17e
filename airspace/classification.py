"""Reports -> classifications (DESIGN.md "Tracks and hostile classification").

The permits in effect and the restricted zones live in an in-memory shapely 2 STRtree per process
(`AirspaceIndex`), queried once per batch for all its points. The index is rebuilt when the
airspace version — a counter that every permit or zone change counts up in its own transaction,
read from the database once per batch — changes, so every process sees an approval or revocation
at its next batch.

The rules, for a report with identifier X (its Remote ID, or an aircraft serial number) at time t:
- `unregistered`: no identifier, or one the registry does not know;
- `unauthorized`: a known aircraft that is not `registered` (pending, suspended), or a registered one
  with no approved or active permit;
- `authorized`: a registered aircraft with an approved or active permit whose window contains t and
  whose volume contains the point (each with the configured tolerance). A permit the clock has
  completed since still covers the reports stamped inside its window: the permits in effect are
  those in effect at the report's time, not when the batch arrives;
- `nonconforming`: a registered aircraft with an approved or active permit, but outside the volume or
  the window of every one of them.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from permits.models import IN_EFFECT_STATES, FlightPermit, State

from .database import server_binding_cursor
from .geometry import buffer_metres, polygon_from_boundary
from .models import Aircraft, AirspaceVersion, Classification, Operator, RestrictedZone

logger = logging.getLogger(__name__)

# Classification codes of the vectorized arrays, in order of the Classification choices.
AUTHORIZED, NONCONFORMING, UNAUTHORIZED, UNREGISTERED = range(4)
CLASSIFICATIONS = (
    Classification.AUTHORIZED,
    Classification.NONCONFORMING,
    Classification.UNAUTHORIZED,
    Classification.UNREGISTERED,
)
NOTHING = -1


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


@dataclass(frozen=True)
class PermitInEffect:
    id: int
    reference: str
    aircraft_id: int


@dataclass(frozen=True)
class ZoneEntry:
    id: int
    name: str
    kind: str


@dataclass
class AirspaceIndex:
    """Immutable once built; a rebuild makes a new one, so readers in other threads never see half."""

    version: tuple
    permits: list[PermitInEffect] = field(default_factory=list)
    permit_tree: shapely.STRtree | None = None
    permit_areas: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    permit_aircraft: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    permit_min_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    permit_max_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    permit_start_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    permit_end_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    # aircraft id -> index (into `permits`) of its first permit in effect, for nonconforming
    first_permit_of_aircraft: dict[int, int] = field(default_factory=dict)
    # aircraft with any permit in the index, completed ones included: they may still authorize
    aircraft_with_permits: set[int] = field(default_factory=set)
    zones: list[ZoneEntry] = field(default_factory=list)
    zone_tree: shapely.STRtree | None = None
    zone_areas: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    zone_min_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    zone_max_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    zone_prohibited: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))


# Buffered permit polygons survive rebuilds: a permit's volume cannot change once it is approved,
# so only permits new to the index are buffered again. Keyed by (id, tolerance).
_buffered_permit_areas: dict[tuple[int, float], shapely.Polygon] = {}


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
    missing = [pk for pk, *_ in rows if (pk, tolerance_m) not in _buffered_permit_areas]
    for start in range(0, len(missing), 500):
        for pk, boundary in permits.filter(pk__in=missing[start : start + 500]).values_list("pk", "boundary"):
            _buffered_permit_areas[(pk, tolerance_m)] = buffer_metres(polygon_from_boundary(boundary), tolerance_m)
    # One that left the permits in effect between the two reads changed the version: the next batch rebuilds.
    rows = [row for row in rows if (row[0], tolerance_m) in _buffered_permit_areas]
    index = AirspaceIndex(version=version)
    polygons = []
    for pk, reference, aircraft_id, *_band_and_window, state in rows:
        polygons.append(_buffered_permit_areas[(pk, tolerance_m)])
        if state in IN_EFFECT_STATES:
            index.first_permit_of_aircraft.setdefault(aircraft_id, len(index.permits))
        index.aircraft_with_permits.add(aircraft_id)
        index.permits.append(PermitInEffect(pk, reference, aircraft_id))
    live_keys = {(pk, tolerance_m) for pk, *_ in rows}
    for stale in set(_buffered_permit_areas) - live_keys:
        del _buffered_permit_areas[stale]
    if rows:
        columns = list(zip(*rows, strict=True))
        index.permit_areas = _geometry_array(polygons)
        index.permit_tree = shapely.STRtree(index.permit_areas)
        index.permit_aircraft = np.array(columns[2], dtype=np.int64)
        index.permit_min_alt = np.array(columns[3], dtype=float)
        index.permit_max_alt = np.array(columns[4], dtype=float)
        index.permit_start_s = np.array([t.timestamp() for t in columns[5]])
        index.permit_end_s = np.array([t.timestamp() for t in columns[6]])

    zones = list(
        RestrictedZone.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "name", "kind", "boundary", "min_altitude_m", "max_altitude_m")
    )
    if zones:
        index.zones = [ZoneEntry(pk, name, kind) for pk, name, kind, *_ in zones]
        index.zone_areas = _geometry_array([polygon_from_boundary(boundary) for *_, boundary, _, _ in zones])
        index.zone_tree = shapely.STRtree(index.zone_areas)
        index.zone_min_alt = np.array([row[4] for row in zones], dtype=float)
        index.zone_max_alt = np.array([row[5] for row in zones], dtype=float)
        index.zone_prohibited = np.array([row[2] == RestrictedZone.Kind.PROHIBITED for row in zones])
    return index


def _geometry_array(polygons):
    """The polygons as an array for vectorized queries, deliberately *not* prepared: the web
    workers run several threads, and concurrent point-in-polygon tests on one prepared GEOS
    geometry corrupt memory and abort the process (GEOS 3.14; reproduced, and seen in the ingest
    benchmark). Unprepared, the test costs ~0.8 ms more per batch of 1,000 reports."""
    return np.array(polygons, dtype=object)


_current_index: AirspaceIndex | None = None
_rebuild_lock = threading.Lock()


def current_index() -> AirspaceIndex:
    """The index for this batch: the process's own, rebuilt first if the airspace changed."""
    global _current_index
    version = airspace_version()
    index = _current_index
    if index is not None and index.version == version:
        return index
    with _rebuild_lock:
        if _current_index is None or _current_index.version != version:
            _current_index = build_index(version)
            logger.info(
                "Rebuilt the airspace index: %s permits in effect, %s zones",
                len(_current_index.permits),
                len(_current_index.zones),
            )
        return _current_index


@dataclass(frozen=True)
class RegisteredAircraft:
    id: int
    serial_number: str
    remote_id: str
    status: str
    operator: str


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


@dataclass(frozen=True)
class BatchClassification:
    """Per report: its classification code, the permit (index into index.permits or NOTHING) and
    the zone (index into index.zones or NOTHING) it relates to, and its aircraft (or None)."""

    codes: np.ndarray
    permit: np.ndarray
    zone: np.ndarray
    aircraft: list[RegisteredAircraft | None]

    def classification(self, position):
        return CLASSIFICATIONS[self.codes[position]]


def classify(batch, index: AirspaceIndex, registry: dict[str, RegisteredAircraft]) -> BatchClassification:
    """Classify every report of the batch with one tree query for the permits and one for the zones."""
    count = len(batch)
    points = shapely.points(batch.lon, batch.lat)
    aircraft = [registry.get(remote_id) if remote_id else None for remote_id in batch.remote_ids]
    aircraft_id = np.array([a.id if a else NOTHING for a in aircraft], dtype=np.int64)
    registered = np.array([a is not None and a.status == Aircraft.Status.REGISTERED for a in aircraft], dtype=bool)

    codes = np.where(aircraft_id == NOTHING, UNREGISTERED, UNAUTHORIZED)
    permit = np.full(count, NOTHING, dtype=np.int64)
    has_permit = np.array(
        [ok and a.id in index.first_permit_of_aircraft for ok, a in zip(registered, aircraft, strict=True)], dtype=bool
    )
    for position in np.flatnonzero(has_permit):
        permit[position] = index.first_permit_of_aircraft[aircraft_id[position]]
    codes[has_permit] = NONCONFORMING
    # Completed permits authorize inside their window but make nobody nonconforming outside it.
    may_be_covered = np.array(
        [ok and a.id in index.aircraft_with_permits for ok, a in zip(registered, aircraft, strict=True)], dtype=bool
    )

    if index.permit_tree is not None and may_be_covered.any():
        candidates = np.flatnonzero(may_be_covered)
        # The tree finds the bounding boxes; the polygons answer point-in-polygon.
        report_at, permit_at = index.permit_tree.query(points[candidates])
        report_at = candidates[report_at]
        contained = shapely.intersects_xy(index.permit_areas[permit_at], batch.lon[report_at], batch.lat[report_at])
        report_at, permit_at = report_at[contained], permit_at[contained]
        altitude_tolerance = settings.TRACK_ALTITUDE_TOLERANCE_M
        time_tolerance = settings.TRACK_TIME_TOLERANCE_S
        altitude = batch.altitude_m[report_at]
        observed = batch.observed_at_s[report_at]
        inside = (
            (index.permit_aircraft[permit_at] == aircraft_id[report_at])
            & (altitude >= index.permit_min_alt[permit_at] - altitude_tolerance)
            & (altitude <= index.permit_max_alt[permit_at] + altitude_tolerance)
            & (observed >= index.permit_start_s[permit_at] - time_tolerance)
            & (observed <= index.permit_end_s[permit_at] + time_tolerance)
        )
        codes[report_at[inside]] = AUTHORIZED
        permit[report_at[inside]] = permit_at[inside]

    zone = np.full(count, NOTHING, dtype=np.int64)
    if index.zone_tree is not None:
        report_at, zone_at = index.zone_tree.query(points)
        contained = shapely.intersects_xy(index.zone_areas[zone_at], batch.lon[report_at], batch.lat[report_at])
        report_at, zone_at = report_at[contained], zone_at[contained]
        altitude = batch.altitude_m[report_at]
        inside = (altitude >= index.zone_min_alt[zone_at]) & (altitude <= index.zone_max_alt[zone_at])
        report_at, zone_at = report_at[inside], zone_at[inside]
        # Restricted first, prohibited last: where zones overlap, the prohibited one is named.
        order = np.argsort(index.zone_prohibited[zone_at], kind="stable")
        zone[report_at[order]] = zone_at[order]
    return BatchClassification(codes=codes, permit=permit, zone=zone, aircraft=aircraft)
