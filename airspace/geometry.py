"""The one geometry module: parse, validate and normalize GeoJSON areas (polygons and circles),
altitude bands, and the metre-based helpers the spatial checks need. Shapely 2 and pyproj only."""

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Polygon

GEOD = Geod(ellps="WGS84")

MIN_AREA_M2 = 100.0
MAX_AREA_M2 = 10_000.0 * 1_000_000  # 10,000 km²
MIN_RADIUS_M = 10.0
MAX_RADIUS_M = 50_000.0
CIRCLE_VERTICES = 64
COORDINATE_DECIMALS = 7  # about 1 cm


class GeometryError(ValueError):
    """Bad area or altitude input. `field` is the API field to report; the message is for a person."""

    def __init__(self, message: str, field: str = "area"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Area:
    geojson: dict
    radius_m: float | None
    polygon: Polygon = field(compare=False)

    @property
    def boundary_geojson(self) -> dict:
        return _polygon_geojson(self.polygon)

    @cached_property
    def area_m2(self) -> float:
        area, _ = GEOD.geometry_area_perimeter(self.polygon)
        return abs(area)


def _polygon_geojson(polygon: Polygon) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in polygon.exterior.coords]]}


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _position(value, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise GeometryError(f"{where} must be a [longitude, latitude] pair.")
    lon, lat = value[0], value[1]
    if not _is_number(lon) or not _is_number(lat):
        raise GeometryError(f"{where} must contain numbers, got {value!r}.")
    if not (_is_finite(lon) and _is_finite(lat)):
        raise GeometryError(f"{where} must contain finite numbers.")
    if not -180 <= lon <= 180:
        raise GeometryError(f"{where}: longitude {lon} is outside -180..180.")
    if not -90 <= lat <= 90:
        raise GeometryError(f"{where}: latitude {lat} is outside -90..90.")
    return round(float(lon), COORDINATE_DECIMALS), round(float(lat), COORDINATE_DECIMALS)


def _check_size(polygon: Polygon) -> None:
    area, _ = GEOD.geometry_area_perimeter(polygon)
    area = abs(area)
    if area < MIN_AREA_M2:
        raise GeometryError(f"The area is {area:.0f} m², smaller than the minimum of {MIN_AREA_M2:.0f} m².")
    if area > MAX_AREA_M2:
        raise GeometryError(
            f"The area is {area / 1e6:,.0f} km², larger than the maximum of {MAX_AREA_M2 / 1e6:,.0f} km²."
        )


def _check_not_across_antimeridian(positions) -> None:
    lons = [lon for lon, _ in positions]
    if max(lons) - min(lons) > 180:
        raise GeometryError("Areas crossing the antimeridian (180° longitude) are not supported.")


def _parse_polygon(coordinates, max_vertices=None) -> Polygon:
    if not isinstance(coordinates, list) or not coordinates:
        raise GeometryError("A Polygon's coordinates must be a list of rings.")
    if len(coordinates) > 1:
        raise GeometryError("Polygons with holes are not supported: give only the outer ring.")
    ring = coordinates[0]
    if not isinstance(ring, list):
        raise GeometryError("A Polygon ring must be a list of [longitude, latitude] positions.")
    if len(ring) < 4:
        raise GeometryError("A Polygon ring needs at least 4 positions (a triangle, closed).")
    # Counted before anything else is done with them: every vertex costs in every list, map and
    # spatial check of the polygon from now on (95k-vertex polygons made the review queue take 11 s).
    if max_vertices is not None and len(ring) - 1 > max_vertices:
        raise GeometryError(
            f"The area has {len(ring) - 1:,} vertices; at most {max_vertices:,} are accepted. Draw it with fewer."
        )
    positions = [_position(p, f"Position {i}") for i, p in enumerate(ring)]
    if positions[0] != positions[-1]:
        raise GeometryError("The ring is not closed: its last position must repeat the first.")
    if len(set(positions)) < 3:
        raise GeometryError("The ring needs at least 3 distinct positions.")
    _check_not_across_antimeridian(positions)
    polygon = Polygon(positions)
    if polygon.convex_hull.area == 0:
        raise GeometryError("The ring encloses no area (its positions are on one line).")
    if not polygon.is_valid:
        raise GeometryError(f"The ring is not a simple polygon: {shapely.is_valid_reason(polygon)}.")
    return shapely.orient_polygons(polygon)


def _parse_radius(radius_m) -> float:
    if radius_m is None:
        raise GeometryError("A circle needs its radius in metres.", field="radius_m")
    if not _is_number(radius_m) or not _is_finite(radius_m):
        raise GeometryError("The circle's radius must be a number of metres.", field="radius_m")
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise GeometryError(
            f"The circle's radius must be between {MIN_RADIUS_M:,.0f} and {MAX_RADIUS_M:,.0f} m, not {radius_m:,g} m.",
            field="radius_m",
        )
    return float(radius_m)


def circle_polygon(lon: float, lat: float, radius_m: float, vertices: int = CIRCLE_VERTICES) -> Polygon:
    """A geodesic circle: each vertex exactly radius_m from the centre on the WGS84 ellipsoid."""
    azimuths = [360.0 * i / vertices for i in range(vertices)]
    lons, lats, _ = GEOD.fwd([lon] * vertices, [lat] * vertices, azimuths, [radius_m] * vertices)
    # Azimuths run clockwise; reverse for the counter-clockwise exterior ring of RFC 7946.
    ring = [(round(x, COORDINATE_DECIMALS), round(y, COORDINATE_DECIMALS)) for x, y in zip(lons, lats, strict=True)]
    ring.reverse()
    return Polygon(ring)


def parse_area(area, radius_m=None, *, max_vertices=None) -> Area:
    """Validate and normalize a GeoJSON Polygon (of at most `max_vertices` vertices when given), or a
    Point with radius_m (a circle)."""
    if not isinstance(area, dict):
        raise GeometryError("The area must be a GeoJSON object: a Polygon, or a Point with a radius (a circle).")
    kind = area.get("type")
    coordinates = area.get("coordinates")
    if kind == "Polygon":
        if radius_m is not None:
            raise GeometryError(
                "A polygon has no radius: a radius is only for a circle (a Point area).", field="radius_m"
            )
        polygon = _parse_polygon(coordinates, max_vertices)
        _check_size(polygon)
        return Area(geojson=_polygon_geojson(polygon), radius_m=None, polygon=polygon)
    if kind == "Point":
        lon, lat = _position(coordinates, "The Point")
        radius = _parse_radius(radius_m)
        if abs(lat) > 85:
            raise GeometryError("Circles within 5° of a pole are not supported.")
        polygon = circle_polygon(lon, lat, radius)
        # Near 180° the vertices wrap to -180°: that ring would span the whole globe.
        _check_not_across_antimeridian(polygon.exterior.coords)
        return Area(geojson={"type": "Point", "coordinates": [lon, lat]}, radius_m=radius, polygon=polygon)
    raise GeometryError(
        f"Unsupported area type {kind!r}: give a GeoJSON Polygon, or a Point with a radius for a circle."
    )


def area_from_stored(geojson: dict, radius_m: float | None, boundary: dict | None = None) -> Area:
    """Rebuild an Area from values that were normalized when they were saved."""
    if boundary is not None:
        polygon = Polygon(boundary["coordinates"][0])
    elif geojson["type"] == "Point":
        polygon = circle_polygon(*geojson["coordinates"], radius_m)
    else:
        polygon = Polygon(geojson["coordinates"][0])
    return Area(geojson=geojson, radius_m=radius_m, polygon=polygon)


def polygon_from_boundary(boundary: dict) -> Polygon:
    return Polygon(boundary["coordinates"][0])


# The words every message uses for the band's two ends: the labels of the forms that ask for them.
ALTITUDE_WORDS = {"min_altitude_m": "lowest altitude", "max_altitude_m": "highest altitude"}


def validate_altitude_band(min_altitude_m, max_altitude_m, *, ceiling_m=None) -> None:
    """An altitude band in metres above ground: 0 <= min < max (<= ceiling). The messages speak of
    the lowest and highest altitude, as the forms do; the API names the field beside them."""
    for name, value in (("min_altitude_m", min_altitude_m), ("max_altitude_m", max_altitude_m)):
        if not _is_number(value) or not _is_finite(value):
            raise GeometryError(f"The {ALTITUDE_WORDS[name]} must be a number of metres above ground.", field=name)
    if min_altitude_m < 0:
        raise GeometryError("The lowest altitude cannot be below ground (0 m).", field="min_altitude_m")
    if max_altitude_m <= min_altitude_m:
        raise GeometryError(
            f"The highest altitude ({max_altitude_m:g} m) must be above the lowest altitude ({min_altitude_m:g} m).",
            field="max_altitude_m",
        )
    if ceiling_m is not None and max_altitude_m > ceiling_m:
        raise GeometryError(f"The highest altitude may be at most {ceiling_m:g} m.", field="max_altitude_m")


def altitude_bands_overlap(a_min, a_max, b_min, b_max) -> bool:
    """Closed intervals: bands that only touch do overlap."""
    return a_min <= b_max and b_min <= a_max


METRES_PER_DEGREE_LAT = 111_320.0
EARTH_RADIUS_M = 6_371_008.8


def _local_frame(polygon: Polygon) -> tuple[float, float, float]:
    """The centre and east-west scale of the local equirectangular frame around a polygon: metres
    east and north of its centroid. For areas of metres to a few tens of km the error is far below
    the tolerances the spatial checks use."""
    lon0, lat0 = polygon.centroid.x, polygon.centroid.y
    return lon0, lat0, METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0))


def buffer_metres(polygon: Polygon, metres: float) -> Polygon:
    """Grow a lon/lat polygon by about `metres` on every side, in its local frame (_local_frame): fast
    enough (~0.1 ms) to rebuild the classification index often."""
    if metres <= 0:
        return polygon
    polygon_m, lon0, lat0, x_scale = metric_polygon(polygon)

    def to_degrees(xy):
        return np.column_stack([xy[:, 0] / x_scale + lon0, xy[:, 1] / METRES_PER_DEGREE_LAT + lat0])

    return shapely.transform(polygon_m.buffer(metres, quad_segs=4), to_degrees)


@dataclass(frozen=True)
class MetricPolygons:
    """Polygons each drawn in metres in its own local frame (_local_frame), so that the distance
    from many points to many polygons is measured in metres in one vectorized call."""

    polygons: np.ndarray  # shapely polygons, metres east and north of their centres
    lon0: np.ndarray
    lat0: np.ndarray
    x_scale: np.ndarray

    def __len__(self):
        return len(self.polygons)


def metric_polygon(polygon: Polygon) -> tuple[Polygon, float, float, float]:
    """One polygon in metres around its centre, with the frame: (polygon_m, lon0, lat0, x_scale)."""
    lon0, lat0, x_scale = _local_frame(polygon)

    def to_metres(xy):
        return np.column_stack([(xy[:, 0] - lon0) * x_scale, (xy[:, 1] - lat0) * METRES_PER_DEGREE_LAT])

    return shapely.transform(polygon, to_metres), lon0, lat0, x_scale


def metric_polygons(frames) -> MetricPolygons:
    """Gather metric_polygon() results into arrays."""
    frames = list(frames)
    polygons = np.empty(len(frames), dtype=object)
    polygons[:] = [frame[0] for frame in frames]
    return MetricPolygons(
        polygons=polygons,
        lon0=np.array([frame[1] for frame in frames], dtype=float),
        lat0=np.array([frame[2] for frame in frames], dtype=float),
        x_scale=np.array([frame[3] for frame in frames], dtype=float),
    )


def metric_polygons_of(polygons) -> MetricPolygons:
    """metric_polygon() of many polygons at once, with the same arithmetic: one vectorized pass over
    all their vertices instead of a Python call per polygon (a national index holds tens of
    thousands; one by one they took seconds of CPU to load)."""
    polygons = np.asarray(polygons, dtype=object)
    centroids = shapely.centroid(polygons)
    lon0, lat0 = shapely.get_x(centroids), shapely.get_y(centroids)
    # math.cos as _local_frame does (numpy's may differ in the last bit): the frames are the same.
    x_scale = np.array([METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)) for lat in lat0.tolist()], dtype=float)
    coordinates, owner = shapely.get_coordinates(polygons, return_index=True)
    metres = np.column_stack(
        [(coordinates[:, 0] - lon0[owner]) * x_scale[owner], (coordinates[:, 1] - lat0[owner]) * METRES_PER_DEGREE_LAT]
    )
    return MetricPolygons(
        polygons=shapely.set_coordinates(shapely.transform(polygons, lambda xy: xy), metres),
        lon0=lon0,
        lat0=lat0,
        x_scale=x_scale,
    )


def buffer_metres_of(metric: MetricPolygons, metres: float) -> np.ndarray:
    """buffer_metres() of many polygons at once, from their metric_polygons_of(): grown in metres in
    each polygon's frame, back to lon/lat, in vectorized calls."""
    grown = shapely.buffer(metric.polygons, metres, quad_segs=4)
    coordinates, owner = shapely.get_coordinates(grown, return_index=True)
    degrees = np.column_stack(
        [
            coordinates[:, 0] / metric.x_scale[owner] + metric.lon0[owner],
            coordinates[:, 1] / METRES_PER_DEGREE_LAT + metric.lat0[owner],
        ]
    )
    return shapely.set_coordinates(grown, degrees)


def distances_to_polygons_m(metric: MetricPolygons, which, lon, lat) -> np.ndarray:
    """Metres from each point (lon[i], lat[i]) to the polygon metric.polygons[which[i]]; 0 inside."""
    which = np.asarray(which, dtype=np.int64)
    if not len(which):
        return np.empty(0)
    x = (np.asarray(lon, dtype=float) - metric.lon0[which]) * metric.x_scale[which]
    y = (np.asarray(lat, dtype=float) - metric.lat0[which]) * METRES_PER_DEGREE_LAT
    return shapely.distance(metric.polygons[which], shapely.points(x, y))


def metres_between(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (haversine), vectorized over numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(value, dtype=float)) for value in (lon1, lat1, lon2, lat2))
    half_chord = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(half_chord, 0, 1)))


def degree_boxes(lon, lat, metres):
    """Boxes that hold every point within `metres` of each point: for a tree query before the exact
    distance is measured. The east-west half-width grows with latitude (1.01: a margin for rounding)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    half_lat = 1.01 * metres / METRES_PER_DEGREE_LAT
    half_lon = half_lat / np.maximum(np.cos(np.radians(np.minimum(np.abs(lat) + half_lat, 89.9))), 1e-6)
    return shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
