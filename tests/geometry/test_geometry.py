"""The geometry module: what areas are accepted, how they are normalized, and circle accuracy."""

import math

import pytest
from shapely.geometry import Point

from airspace.geometry import (
    GEOD,
    GeometryError,
    altitude_bands_overlap,
    buffer_metres,
    parse_area,
    validate_altitude_band,
)


def ring(*positions):
    return {"type": "Polygon", "coordinates": [[list(p) for p in positions]]}


SQUARE_CCW = ring((44.0, 33.0), (44.01, 33.0), (44.01, 33.01), (44.0, 33.01), (44.0, 33.0))
SQUARE_CW = ring((44.0, 33.0), (44.0, 33.01), (44.01, 33.01), (44.01, 33.0), (44.0, 33.0))


def test_good_polygon_is_kept_and_rounded():
    area = parse_area(ring((44.000000012, 33.0), (44.01, 33.0), (44.01, 33.01), (44.0, 33.01), (44.000000012, 33.0)))
    assert area.geojson["coordinates"][0][0] == [44.0, 33.0]
    assert area.radius_m is None
    assert area.area_m2 == pytest.approx(1.036e6, rel=0.01)


def test_clockwise_ring_is_reoriented_counter_clockwise():
    assert parse_area(SQUARE_CW).polygon.exterior.is_ccw
    assert parse_area(SQUARE_CW).geojson == parse_area(SQUARE_CCW).geojson


@pytest.mark.parametrize(
    "area, words",
    [
        (ring((44.0, 33.0), (44.01, 33.0), (44.01, 33.01), (44.0, 33.01)), "not closed"),
        (ring((44.0, 33.0), (44.01, 33.01), (44.01, 33.0), (44.0, 33.01), (44.0, 33.0)), "not a simple polygon"),
        (ring((44.0, 33.0), (44.01, 33.0), (44.0, 33.0)), "at least 4"),
        (ring((44.0, 33.0), (44.01, 33.0), (44.01, 33.0), (44.0, 33.0)), "3 distinct"),
        (ring((44.0, 33.0), (44.01, 33.0), (44.02, 33.0), (44.0, 33.0)), "no area"),
        (ring((190.0, 33.0), (44.01, 33.0), (44.01, 33.01), (190.0, 33.0)), "longitude 190"),
        (ring((44.0, -95.0), (44.01, 33.0), (44.01, 33.01), (44.0, -95.0)), "latitude -95"),
        (ring((44.0, float("nan")), (44.01, 33.0), (44.01, 33.01), (44.0, float("nan"))), "finite"),
        (ring(("44", 33.0), (44.01, 33.0), (44.01, 33.01), ("44", 33.0)), "numbers"),
        ({"type": "Polygon", "coordinates": [SQUARE_CCW["coordinates"][0], SQUARE_CCW["coordinates"][0]]}, "holes"),
        ({"type": "Polygon", "coordinates": "44,33"}, "list of rings"),
        ({"type": "MultiPolygon", "coordinates": [SQUARE_CCW["coordinates"]]}, "Unsupported area type"),
        ({"type": "LineString", "coordinates": [[44, 33], [45, 34]]}, "Unsupported area type"),
        ({"coordinates": [44, 33]}, "Unsupported area type"),
        (None, "GeoJSON object"),
        ("Polygon", "GeoJSON object"),
        ([44, 33], "GeoJSON object"),
        (ring((44.0, 33.0), (44.00001, 33.0), (44.00001, 33.00001), (44.0, 33.0)), "smaller than the minimum"),
        (ring((30.0, 20.0), (50.0, 20.0), (50.0, 40.0), (30.0, 40.0), (30.0, 20.0)), "larger than the maximum"),
        (ring((-179.0, 0.0), (179.0, 0.0), (179.0, 1.0), (-179.0, 1.0), (-179.0, 0.0)), "antimeridian"),
        pytest.param(
            ring((10**400, 33.0), (44.01, 33.0), (44.01, 33.01), (10**400, 33.0)), "finite", id="int-overflow"
        ),
    ],
)
def test_bad_polygons_are_refused_with_a_reason(area, words):
    with pytest.raises(GeometryError) as error:
        parse_area(area)
    assert error.value.field == "area"
    assert words in str(error.value)


@pytest.mark.parametrize("lat", [0.0, 33.3, 70.0, -60.0])
@pytest.mark.parametrize("radius", [50.0, 8000.0])
def test_circle_vertices_are_radius_from_centre_at_any_latitude(lat, radius):
    area = parse_area({"type": "Point", "coordinates": [44.0, lat]}, radius)
    lons, lats = area.polygon.exterior.coords.xy
    _, _, distances = GEOD.inv([44.0] * len(lons), [lat] * len(lats), list(lons), list(lats))
    assert all(d == pytest.approx(radius, rel=0.005) for d in distances)
    # 64-gon inscribed in the circle: within 1% of pi r^2.
    assert area.area_m2 == pytest.approx(math.pi * radius**2, rel=0.01)
    assert area.polygon.exterior.is_ccw
    assert area.geojson == {"type": "Point", "coordinates": [44.0, lat]}
    assert area.boundary_geojson["type"] == "Polygon"


@pytest.mark.parametrize(
    "radius, words",
    [
        (None, "needs its radius"),
        (-5, "between"),
        (5, "between"),
        (60_000, "between"),
        (True, "number"),
        ("500", "number"),
        (float("inf"), "number"),
        pytest.param(10**400, "number", id="int-overflow"),
    ],
)
def test_bad_radius_names_radius_field(radius, words):
    with pytest.raises(GeometryError) as error:
        parse_area({"type": "Point", "coordinates": [44.0, 33.0]}, radius)
    assert error.value.field == "radius_m"
    assert words in str(error.value)


@pytest.mark.parametrize("lon", [179.95, -179.95, 180.0])
def test_circle_across_the_antimeridian_is_refused(lon):
    # Its vertices would wrap to the other sign: a ring around the whole globe at that latitude.
    with pytest.raises(GeometryError) as error:
        parse_area({"type": "Point", "coordinates": [lon, 10.0]}, 20_000)
    assert error.value.field == "area"
    assert "antimeridian" in str(error.value)
    assert parse_area({"type": "Point", "coordinates": [179.5, 10.0]}, 20_000).polygon.is_valid  # clear of it


def test_radius_with_polygon_is_refused():
    with pytest.raises(GeometryError) as error:
        parse_area(SQUARE_CCW, 100)
    assert error.value.field == "radius_m"


@pytest.mark.parametrize("point", [[44.0], [44.0, 95.0], ["a", "b"], None])
def test_bad_circle_centre(point):
    with pytest.raises(GeometryError) as error:
        parse_area({"type": "Point", "coordinates": point}, 100)
    assert error.value.field == "area"


@pytest.mark.parametrize(
    "low, high, field",
    [
        (-1, 100, "min_altitude_m"),
        (100, 100, "max_altitude_m"),
        (200, 100, "max_altitude_m"),
        ("0", 100, "min_altitude_m"),
        (0, None, "max_altitude_m"),
        (0, True, "max_altitude_m"),
        (0, float("nan"), "max_altitude_m"),
        pytest.param(0, 10**400, "max_altitude_m", id="int-overflow"),
        (0, 5000, "max_altitude_m"),
    ],
)
def test_bad_altitude_bands(low, high, field):
    with pytest.raises(GeometryError) as error:
        validate_altitude_band(low, high, ceiling_m=1500)
    assert error.value.field == field


def test_good_altitude_band():
    validate_altitude_band(0, 120, ceiling_m=1500)
    validate_altitude_band(10.5, 1500, ceiling_m=1500)


@pytest.mark.parametrize(
    "a, b, overlap",
    [
        ((0, 100), (100, 200), True),
        ((0, 100), (100.1, 200), False),
        ((50, 60), (0, 300), True),
        ((0, 10), (20, 30), False),
    ],
)
def test_altitude_overlap_counts_touching(a, b, overlap):
    assert altitude_bands_overlap(*a, *b) is overlap
    assert altitude_bands_overlap(*b, *a) is overlap


def test_buffer_metres_grows_each_side_by_about_the_distance():
    # A ~100 m square at 60°N (0.0018° lon ≈ 100 m there).
    square = parse_area(ring((10.0, 60.0), (10.0018, 60.0), (10.0018, 60.0009), (10.0, 60.0009), (10.0, 60.0))).polygon
    grown = buffer_metres(square, 10)
    centre_lat = 60.00045
    west = GEOD.fwd(10.0, centre_lat, 270, 9.5)
    beyond = GEOD.fwd(10.0, centre_lat, 270, 10.5)
    assert grown.contains(Point(west[0], west[1]))
    assert not grown.contains(Point(beyond[0], beyond[1]))
    assert buffer_metres(square, 0) is square
