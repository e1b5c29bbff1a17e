"""Reports -> classifications (DESIGN.md "Tracks and hostile classification"): the core, plain
numpy and shapely with no Django, so that it can be tested and benchmarked alone. The index is
loaded from the database and kept current by airspace_index.py.

The permits in effect and the restricted zones live in an in-memory shapely 2 STRtree per process
(`AirspaceIndex`), queried once per batch for all its points. When the airspace version — a counter
that every permit or zone change counts up in its own transaction, read from the database once per
batch — changes, each process applies the changes to its index (`with_permits`, `with_zones`: the
entries of the changed permits or zones replaced, the arrays and the tree rebuilt from the
geometries already in memory), so every process sees an approval or revocation at its next batch
without reading every permit in effect again.

The rules, for a report with identifier X (its Remote ID, or an aircraft serial number) at time t:
- `unregistered`: no identifier, or one the registry does not know;
- `unauthorized`: a known aircraft that is not `registered` (pending, suspended), or a registered one
  with no approved or active permit;
- `authorized`: a registered aircraft with an approved or active permit whose window contains t and
  whose volume contains the point (each with the configured tolerance). A permit the clock has
  completed since still covers the reports stamped inside its window: the permits in effect are
  those in effect at the report's time, not when the batch arrives;
- `nonconforming`: a registered aircraft with an approved or active permit, but outside the volume or
  the window of every one of them; and one whose permit the clock has completed, still flying less
  than `overstay_s` after the window (and its tolerance) ended: a flight that keeps flying past its
  window is a nonconforming one, escalated after the same grace (following.py), not a stranger.

Flight following (following.py) measures how far a nonconforming report is from its volume
(`excursion_m`) and which zones a lost drone was near (`zones_near`): also here, without Django.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import shapely

from airspace.geometry import MetricPolygons, degree_boxes, distances_to_polygons_m, metric_polygons

# Classification codes of the vectorized arrays, in order of the Classification choices.
AUTHORIZED, NONCONFORMING, UNAUTHORIZED, UNREGISTERED = range(4)
# The same words as surveillance.models.Classification, whose values they are (a test checks it).
CLASSIFICATIONS = ("authorized", "nonconforming", "unauthorized", "unregistered")
NOTHING = -1


# The aircraft status that may fly (registry.models.Aircraft.Status.REGISTERED) and the zone kind
# that forbids flight (zones.models.RestrictedZone.Kind.PROHIBITED); a test checks they match.
REGISTERED = "registered"
PROHIBITED = "prohibited"


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
    # The permit ids, ascending, parallel to `permits` and the permit arrays; and which are in effect
    # (approved or active) rather than completed: what an incremental update needs to find its place.
    permit_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    permit_in_effect: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
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
    # aircraft id -> index of its completed permit that ended last: flying on past it is nonconforming
    # for `overstay_s`, then unauthorized
    last_completed_permit_of_aircraft: dict[int, int] = field(default_factory=dict)
    # the volumes themselves (not grown by the tolerance), in metres: how far a report strayed
    permit_volumes: MetricPolygons | None = None
    zone_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    zones: list[ZoneEntry] = field(default_factory=list)
    zone_tree: shapely.STRtree | None = None
    zone_areas: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    zone_min_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    zone_max_alt: np.ndarray = field(default_factory=lambda: np.empty(0))
    zone_prohibited: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    zone_metric: MetricPolygons | None = None
    # Zones with an activation schedule apply only inside their windows: per such zone (index into
    # `zones`), the (starts, ends) arrays of its windows in epoch seconds, over the horizon the index
    # was built for; after `valid_until_s` the index is rebuilt for a new horizon.
    zone_scheduled: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    zone_windows: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    valid_until_s: float = float("inf")
    # The tolerance the permit areas were grown by (a different setting makes a new index).
    tolerance_m: float = 0.0
    # When the first completed permit of the index can no longer cover an accepted report: then the
    # process drops it (airspace_index.current_index), as a full build would not read it.
    prune_at_s: float = float("inf")


@dataclass(frozen=True)
class PermitRows:
    """Permits to put in an index, as columns: `areas` grown by the tolerance, `volumes` as they are
    (metric_polygon frames); `in_effect` tells approved and active permits from completed ones."""

    ids: np.ndarray
    references: list[str]
    aircraft: np.ndarray
    min_alt: np.ndarray
    max_alt: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    in_effect: np.ndarray
    areas: np.ndarray
    volumes: MetricPolygons

    def __len__(self):
        return len(self.ids)


@dataclass(frozen=True)
class ZoneRows:
    """Zones to put in an index, as columns; `windows` is None for a zone without a schedule, else
    its (starts, ends) in epoch seconds."""

    ids: np.ndarray
    entries: list[ZoneEntry]
    areas: np.ndarray
    min_alt: np.ndarray
    max_alt: np.ndarray
    prohibited: np.ndarray
    windows: list[tuple[np.ndarray, np.ndarray] | None]
    metric: MetricPolygons

    def __len__(self):
        return len(self.ids)


def _merged(old_ids, removed_ids, added_ids):
    """Which old entries stay (a mask) and the order (ascending id) of `kept + added`: the index keeps
    its entries in id order, so an updated index is the very index a full build would make."""
    keep = ~np.isin(old_ids, np.concatenate([np.asarray(removed_ids, dtype=np.int64), added_ids]))
    ids = np.concatenate([old_ids[keep], added_ids])
    return keep, np.argsort(ids, kind="stable"), ids


def _merge_metric(old: MetricPolygons | None, keep, new: MetricPolygons, order) -> MetricPolygons:
    if old is None:
        return MetricPolygons(new.polygons[order], new.lon0[order], new.lat0[order], new.x_scale[order])
    return MetricPolygons(
        *(
            np.concatenate([getattr(old, name)[keep], getattr(new, name)])[order]
            for name in ("polygons", "lon0", "lat0", "x_scale")
        )
    )


def with_permits(index: AirspaceIndex, *, removed_ids, added: PermitRows, version=None) -> AirspaceIndex:
    """A new index with the permits `removed_ids` taken out and `added` put in (replacing any entry of
    the same id); the zones shared with `index`. Costs one STRtree build over the geometries already
    in memory (shapely 2 trees cannot change) and a few array copies, no database."""
    keep, order, ids = _merged(index.permit_ids, removed_ids, added.ids)

    def merge(old, new):
        return np.concatenate([old[keep], new])[order]

    kept = [permit for permit, stays in zip(index.permits, keep.tolist(), strict=True) if stays]
    new = [
        PermitInEffect(pk, reference, aircraft_id)
        for pk, reference, aircraft_id in zip(
            added.ids.tolist(), added.references, added.aircraft.tolist(), strict=True
        )
    ]
    merged = kept + new
    updated = dataclasses.replace(
        index,
        version=index.version if version is None else version,
        permit_ids=ids[order],
        permit_in_effect=merge(index.permit_in_effect, added.in_effect),
        permits=[merged[at] for at in order.tolist()],
        permit_areas=merge(index.permit_areas, added.areas),
        permit_aircraft=merge(index.permit_aircraft, added.aircraft),
        permit_min_alt=merge(index.permit_min_alt, added.min_alt),
        permit_max_alt=merge(index.permit_max_alt, added.max_alt),
        permit_start_s=merge(index.permit_start_s, added.start_s),
        permit_end_s=merge(index.permit_end_s, added.end_s),
        permit_volumes=_merge_metric(index.permit_volumes, keep, added.volumes, order),
    )
    updated.permit_tree = shapely.STRtree(updated.permit_areas) if len(ids) else None
    if not len(ids):
        updated.permit_volumes = None
    _index_aircraft(updated)
    return updated


def _index_aircraft(index: AirspaceIndex):
    """The per-aircraft lookups of classify(): its first permit in effect (lowest id), its completed
    permit that ended last (lowest id among equals), and every aircraft with a permit."""
    in_effect = np.flatnonzero(index.permit_in_effect)
    aircraft, first = np.unique(index.permit_aircraft[in_effect], return_index=True)
    index.first_permit_of_aircraft = dict(zip(aircraft.tolist(), in_effect[first].tolist(), strict=True))
    completed = np.flatnonzero(~index.permit_in_effect)
    aircraft = index.permit_aircraft[completed]
    order = np.lexsort((completed, -index.permit_end_s[completed], aircraft))
    aircraft, completed = aircraft[order], completed[order]
    last = np.ones(len(aircraft), dtype=bool)
    last[1:] = aircraft[1:] != aircraft[:-1]
    index.last_completed_permit_of_aircraft = dict(zip(aircraft[last].tolist(), completed[last].tolist(), strict=True))
    index.aircraft_with_permits = set(np.unique(index.permit_aircraft).tolist())


def without_completed_before(index: AirspaceIndex, cutoff_s: float) -> AirspaceIndex:
    """The index without the completed permits that ended before `cutoff_s`: they can no longer
    cover a report that is accepted (the oldest report accepted is younger)."""
    gone = index.permit_ids[~index.permit_in_effect & (index.permit_end_s < cutoff_s)]
    if not len(gone):
        return index
    return with_permits(index, removed_ids=gone, added=empty_permit_rows())


def earliest_completed_end_s(index: AirspaceIndex) -> float:
    """When the first completed permit of the index ended (inf if none)."""
    ends = index.permit_end_s[~index.permit_in_effect]
    return float(ends.min()) if len(ends) else float("inf")


def empty_permit_rows() -> PermitRows:
    return PermitRows(
        ids=np.empty(0, dtype=np.int64),
        references=[],
        aircraft=np.empty(0, dtype=np.int64),
        min_alt=np.empty(0),
        max_alt=np.empty(0),
        start_s=np.empty(0),
        end_s=np.empty(0),
        in_effect=np.empty(0, dtype=bool),
        areas=np.empty(0, dtype=object),
        volumes=metric_polygons([]),
    )


def with_zones(index: AirspaceIndex, *, removed_ids, added: ZoneRows, version=None) -> AirspaceIndex:
    """A new index with the zones `removed_ids` taken out and `added` put in (replacing any entry of
    the same id); the permits shared with `index`."""
    keep, order, ids = _merged(index.zone_ids, removed_ids, added.ids)

    def merge(old, new):
        return np.concatenate([old[keep], new])[order]

    old_windows = [index.zone_windows.get(at) for at in range(len(index.zone_ids))]
    kept_windows = [windows for windows, stays in zip(old_windows, keep.tolist(), strict=True) if stays]
    windows = kept_windows + list(added.windows)
    kept = [zone for zone, stays in zip(index.zones, keep.tolist(), strict=True) if stays]
    entries = kept + list(added.entries)
    updated = dataclasses.replace(
        index,
        version=index.version if version is None else version,
        zone_ids=ids[order],
        zones=[entries[at] for at in order.tolist()],
        zone_areas=merge(index.zone_areas, added.areas),
        zone_min_alt=merge(index.zone_min_alt, added.min_alt),
        zone_max_alt=merge(index.zone_max_alt, added.max_alt),
        zone_prohibited=merge(index.zone_prohibited, added.prohibited),
        zone_metric=_merge_metric(index.zone_metric, keep, added.metric, order),
    )
    windows = [windows[at] for at in order.tolist()]
    updated.zone_scheduled = np.array([w is not None for w in windows], dtype=bool)
    updated.zone_windows = {at: w for at, w in enumerate(windows) if w is not None}
    updated.zone_tree = shapely.STRtree(updated.zone_areas) if len(ids) else None
    if not len(ids):
        updated.zone_metric = None
    return updated


def empty_zone_rows() -> ZoneRows:
    return ZoneRows(
        ids=np.empty(0, dtype=np.int64),
        entries=[],
        areas=np.empty(0, dtype=object),
        min_alt=np.empty(0),
        max_alt=np.empty(0),
        prohibited=np.empty(0, dtype=bool),
        windows=[],
        metric=metric_polygons([]),
    )


def index_arrays(polygons):
    """The polygons as an array for vectorized queries, deliberately *not* prepared: the web
    workers run several threads, and concurrent point-in-polygon tests on one prepared GEOS
    geometry corrupt memory and abort the process (GEOS 3.14; reproduced, and seen in the ingest
    benchmark). Unprepared, the test costs ~0.8 ms more per batch of 1,000 reports."""
    return np.array(polygons, dtype=object)


@dataclass(frozen=True)
class RegisteredAircraft:
    id: int
    serial_number: str
    remote_id: str
    status: str
    operator: str

    @property
    def may_fly(self):
        # Only a verified (registered) aircraft can be covered by a permit: pending and suspended cannot.
        return self.status == REGISTERED


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


def classify(
    batch,
    index: AirspaceIndex,
    registry: dict[str, RegisteredAircraft],
    *,
    altitude_tolerance_m: float,
    time_tolerance_s: float,
    overstay_s: float = 0.0,
) -> BatchClassification:
    """Classify every report of the batch with one tree query for the permits and one for the zones."""
    count = len(batch)
    points = shapely.points(batch.lon, batch.lat)
    aircraft = [registry.get(remote_id) if remote_id else None for remote_id in batch.remote_ids]
    aircraft_id = np.array([a.id if a else NOTHING for a in aircraft], dtype=np.int64)
    registered = np.array([a is not None and a.may_fly for a in aircraft], dtype=bool)

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
        altitude = batch.altitude_m[report_at]
        observed = batch.observed_at_s[report_at]
        inside = (
            (index.permit_aircraft[permit_at] == aircraft_id[report_at])
            & (altitude >= index.permit_min_alt[permit_at] - altitude_tolerance_m)
            & (altitude <= index.permit_max_alt[permit_at] + altitude_tolerance_m)
            & (observed >= index.permit_start_s[permit_at] - time_tolerance_s)
            & (observed <= index.permit_end_s[permit_at] + time_tolerance_s)
        )
        codes[report_at[inside]] = AUTHORIZED
        permit[report_at[inside]] = permit_at[inside]

    if overstay_s > 0 and index.last_completed_permit_of_aircraft:
        _overstaying_is_nonconforming(
            batch, index, codes, permit, aircraft_id, registered, time_tolerance_s, overstay_s
        )

    zone = np.full(count, NOTHING, dtype=np.int64)
    if index.zone_tree is not None:
        report_at, zone_at = index.zone_tree.query(points)
        contained = shapely.intersects_xy(index.zone_areas[zone_at], batch.lon[report_at], batch.lat[report_at])
        report_at, zone_at = report_at[contained], zone_at[contained]
        altitude = batch.altitude_m[report_at]
        inside = (altitude >= index.zone_min_alt[zone_at]) & (altitude <= index.zone_max_alt[zone_at])
        report_at, zone_at = report_at[inside], zone_at[inside]
        if index.zone_windows:
            in_force = _zones_in_force(index, zone_at, batch.observed_at_s[report_at])
            report_at, zone_at = report_at[in_force], zone_at[in_force]
        # Restricted first, prohibited last: where zones overlap, the prohibited one is named.
        order = np.argsort(index.zone_prohibited[zone_at], kind="stable")
        zone[report_at[order]] = zone_at[order]
    return BatchClassification(codes=codes, permit=permit, zone=zone, aircraft=aircraft)


def _zones_in_force(index: AirspaceIndex, zone_at, observed_s):
    """Which (report, zone) hits fall inside the zone's activation windows: always for a zone without
    a schedule; for a scheduled one (few), one comparison of the hits' times with its windows."""
    in_force = np.ones(len(zone_at), dtype=bool)
    scheduled = index.zone_scheduled[zone_at]
    if not scheduled.any():
        return in_force
    for zone in np.unique(zone_at[scheduled]):
        hits = zone_at == zone
        starts, ends = index.zone_windows[int(zone)]
        moments = observed_s[hits][:, None]
        in_force[hits] = ((moments >= starts) & (moments < ends)).any(axis=1)
    return in_force


def _overstaying_is_nonconforming(batch, index, codes, permit, aircraft_id, registered, time_tolerance_s, overstay_s):
    """A registered aircraft with no permit in effect whose last permit was completed: from its
    window's start to `overstay_s` past its end (with the tolerance) it is nonconforming against it."""
    completed = index.last_completed_permit_of_aircraft
    for position in np.flatnonzero((codes == UNAUTHORIZED) & registered):
        at = completed.get(int(aircraft_id[position]))
        if at is None:
            continue
        observed = batch.observed_at_s[position]
        if (
            index.permit_start_s[at] - time_tolerance_s
            <= observed
            <= index.permit_end_s[at] + time_tolerance_s + overstay_s
        ):
            codes[position] = NONCONFORMING
            permit[position] = at


@dataclass(frozen=True)
class Excursions:
    """For each report of a batch: metres from its permit's volume (NaN unless nonconforming), and
    whether it was outside the permit's window (a flight past its end)."""

    metres: np.ndarray
    outside_window: np.ndarray


def excursions(batch, index: AirspaceIndex, outcome: BatchClassification, *, time_tolerance_s: float) -> Excursions:
    """How far each nonconforming report is from the volume of its permit: the distance to the
    prism — sqrt(horizontal² + vertical²), horizontal from the polygon itself (not grown by the
    tolerance), vertical from the altitude band — in metres. Inside the volume but outside the
    window is 0 m away (and outside_window)."""
    count = len(batch)
    metres = np.full(count, np.nan)
    outside_window = np.zeros(count, dtype=bool)
    at = np.flatnonzero((outcome.codes == NONCONFORMING) & (outcome.permit != NOTHING))
    if not len(at) or index.permit_volumes is None:
        return Excursions(metres, outside_window)
    permit_at = outcome.permit[at]
    horizontal = distances_to_polygons_m(index.permit_volumes, permit_at, batch.lon[at], batch.lat[at])
    altitude = batch.altitude_m[at]
    vertical = np.maximum(
        np.maximum(index.permit_min_alt[permit_at] - altitude, altitude - index.permit_max_alt[permit_at]), 0
    )
    metres[at] = np.hypot(horizontal, vertical)
    observed = batch.observed_at_s[at]
    outside_window[at] = (observed < index.permit_start_s[permit_at] - time_tolerance_s) | (
        observed > index.permit_end_s[permit_at] + time_tolerance_s
    )
    return Excursions(metres, outside_window)


def permit_enters_zone(index: AirspaceIndex, permit_at: int, zone_at: int) -> bool:
    """Whether a permit's own volume enters a zone, which its approval then covered (a restricted
    zone takes a senior officer's approval; no permit enters a prohibited one): a flight straying
    out of its volume but inside that zone is not in a zone it was not approved for."""
    if index.zone_prohibited[zone_at]:
        return False
    return bool(
        index.permit_min_alt[permit_at] <= index.zone_max_alt[zone_at]
        and index.zone_min_alt[zone_at] <= index.permit_max_alt[permit_at]
        and shapely.intersects(index.permit_areas[permit_at], index.zone_areas[zone_at])
    )


def zones_near(index: AirspaceIndex, lon, lat, *, margin_m: float) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the nearest active zone within `margin_m` (index into index.zones, or NOTHING)
    and its distance in metres (0 inside; NaN when none). Ignores altitude: a drone can climb."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    nearest = np.full(len(lon), NOTHING, dtype=np.int64)
    distance = np.full(len(lon), np.nan)
    if index.zone_tree is None or not len(lon):
        return nearest, distance
    point_at, zone_at = index.zone_tree.query(degree_boxes(lon, lat, margin_m))
    metres = distances_to_polygons_m(index.zone_metric, zone_at, lon[point_at], lat[point_at])
    within = metres <= margin_m
    point_at, zone_at, metres = point_at[within], zone_at[within], metres[within]
    # Farthest first, so that the nearest zone of each point is written last.
    for order in np.argsort(-metres, kind="stable"):
        nearest[point_at[order]] = zone_at[order]
        distance[point_at[order]] = metres[order]
    return nearest, distance


def zones_overlapping(index: AirspaceIndex, polygon, *, prohibited_only: bool = False) -> list[ZoneEntry]:
    """The active zones an area (a sensor's coverage) overlaps."""
    if index.zone_tree is None or polygon is None:
        return []
    candidates = index.zone_tree.query(polygon)
    hits = candidates[shapely.intersects(index.zone_areas[candidates], polygon)]
    return [index.zones[at] for at in sorted(hits) if not prohibited_only or index.zone_prohibited[at]]
