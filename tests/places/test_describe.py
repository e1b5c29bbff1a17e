"""Place names and MGRS, offline: the words an alert, a track or a permit says where it is in."""

import math
import time

import pytest
from pyproj import Geod, Transformer

from airspace import places

GEOD = Geod(ellps="WGS84")
HIT = (33.63664, 42.82768)  # GeoNames' position of the town


def offset(lat, lon, azimuth_deg, metres):
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth_deg, metres)
    return lat2, lon2


COMPASS = [(0, "N"), (45, "NE"), (90, "E"), (135, "SE"), (180, "S"), (225, "SW"), (270, "W"), (315, "NW")]


@pytest.mark.parametrize(("azimuth", "word"), COMPASS)
def test_a_point_3_km_from_hit_is_named_from_hit_with_its_bearing_and_distance(azimuth, word):
    described = places.describe(*offset(*HIT, azimuth, 3200))

    assert described.town == "Hit"
    assert described.bearing == word
    assert described.distance_m == pytest.approx(3200, abs=20)
    assert described.place == f"3.2 km {word} of Hit, Al Anbar"


def test_a_bearing_between_two_compass_points_takes_the_nearer():
    assert places.describe(*offset(*HIT, 30, 5000)).bearing == "NE"
    assert places.describe(*offset(*HIT, 20, 5000)).bearing == "N"


def test_a_point_far_from_towns_says_whole_kilometres():
    described = places.describe(32.0, 40.5)  # the western desert

    assert described.distance_m > 10_000
    assert " km " in described.place and "." not in described.place.split(" km ")[0]


def test_in_a_town_is_said_as_in_it_and_the_capital_of_its_governorate_once():
    assert places.describe(33.3406, 44.4009).place == "in Baghdad"
    assert places.describe(*offset(*HIT, 90, 400)).place == "in Hit, Al Anbar"


def test_a_landmark_is_said_as_at_it():
    assert places.describe(33.3035, 44.3885).place == "at the Green Zone, Baghdad"
    assert places.describe(33.2625, 44.2346).place == "at Baghdad International Airport, Baghdad"


def test_a_city_outranks_the_village_beside_a_point_outside_both():
    # 15 km north of Baghdad's centre: a person says "15 km N of Baghdad", not a hamlet's name.
    described = places.describe(*offset(33.34058, 44.40088, 0, 15_000))

    assert described.town == "Baghdad"
    assert described.place == "15 km N of Baghdad"


def test_towns_beyond_the_border_are_named_with_their_country():
    assert places.describe(34.45, 40.92).region == "Syria"  # Abu Kamal, across from Al Qa'im


def test_mgrs_matches_the_mgrs_packages_published_example():
    # The mgrs package's README: toMGRS(42.0, -93.0) == "15TWG0000049776".
    assert places.to_mgrs(42.0, -93.0) == "15T WG 00000 49776"
    assert places.from_mgrs("4QFJ12345678") == pytest.approx((21.3094780918, -157.9168189058), abs=1e-6)


def test_mgrs_digits_are_the_utm_easting_and_northing_in_the_100_km_square():
    # An independent check with PROJ: MGRS is UTM zone 38N truncated to its 100 km square.
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32638", always_xy=True)
    for lat, lon in [(33.3406, 44.4009), (36.19, 44.0), (30.5, 47.8), (33.63664, 42.82768)]:
        easting, northing = utm.transform(lon, lat)
        zone, _square, east, north = places.describe(lat, lon).mgrs.split()
        assert zone[:2] == "38"
        assert int(east) == int(easting) % 100_000
        assert int(north) == int(northing) % 100_000


def test_mgrs_back_to_the_position_within_a_metre():
    lat, lon = 33.3406, 44.4009
    back = places.from_mgrs(places.to_mgrs(lat, lon))

    assert GEOD.inv(lon, lat, back[1], back[0])[2] < 1.5


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError):
        places.describe(91.0, 44.0)
    with pytest.raises(ValueError):
        places.describe(math.nan, 44.0)
    with pytest.raises(ValueError, match="not an MGRS position"):
        places.from_mgrs("38S MB 123")


def test_describe_is_fast_enough_for_an_alert_path():
    places.describe(33.0, 44.0)
    started = time.perf_counter()
    for step in range(1000):
        places.describe(30.0 + step * 0.008, 39.0 + step * 0.01)
    per_call = (time.perf_counter() - started) / 1000

    assert per_call < 1e-3  # measured 0.05-0.1 ms on the (shared, busy) development machine
