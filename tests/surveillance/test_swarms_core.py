"""The swarm core on its own (no Django, no database): which hostile positions make a swarm, and how
the swarms found in one pass are told from the ones already known."""

import numpy as np
import pytest

from airspace.geometry import metres_between
from airspace.surveillance.swarms import centre_and_radius, find_swarms, match_swarms

LON, LAT = 44.39, 33.31
METRES_PER_DEGREE_LAT = 111_320.0


def north(metres):
    return LAT + metres / METRES_PER_DEGREE_LAT


def east(metres):
    return LON + metres / (METRES_PER_DEGREE_LAT * np.cos(np.radians(LAT)))


def swarms(lon, lat, radius_m=500, min_size=3):
    return [members.tolist() for members in find_swarms(lon, lat, radius_m=radius_m, min_size=min_size)]


def test_three_close_together_are_one_swarm():
    assert swarms([LON, east(100), east(200)], [LAT, LAT, north(50)]) == [[0, 1, 2]]


def test_two_are_not_a_swarm_of_three():
    assert swarms([LON, east(100)], [LAT, LAT]) == []


def test_three_in_a_line_each_within_the_radius_of_the_next_are_one_swarm():
    # 0 and 2 are 800 m apart, but each is within 500 m of 1 (a core with two neighbours).
    assert swarms([LON, east(400), east(800)], [LAT, LAT, LAT]) == [[0, 1, 2]]


def test_points_just_past_the_radius_are_not_neighbours():
    assert swarms([LON, east(510), east(1020)], [LAT, LAT, LAT]) == []


def test_two_groups_far_apart_are_two_swarms_largest_first():
    lon = [LON, east(50), east(90), east(20_000), east(20_050), east(20_100), east(20_150)]
    lat = [LAT] * 7
    assert swarms(lon, lat) == [[3, 4, 5, 6], [0, 1, 2]]


def test_a_stray_far_away_joins_no_swarm():
    assert swarms([LON, east(100), east(200), east(5000)], [LAT] * 4) == [[0, 1, 2]]


def test_distances_are_metres_on_the_ground_also_east_west_at_this_latitude():
    # 450 m east: a degree of longitude is shorter than one of latitude here; in degrees this would
    # look like 376 m if measured as latitude.
    assert swarms([LON, east(450), east(900)], [LAT, LAT, LAT], radius_m=440) == []
    assert swarms([LON, east(450), east(900)], [LAT, LAT, LAT], radius_m=460) == [[0, 1, 2]]


def test_centre_and_radius_of_a_swarm():
    lon, lat = [LON, east(200), east(400)], [LAT, LAT, LAT]
    centre_lon, centre_lat, radius = centre_and_radius(lon, lat)
    assert metres_between(LON, LAT, centre_lon, centre_lat) == pytest.approx(200, abs=1)
    assert radius == pytest.approx(200, abs=1)


def test_a_swarm_is_found_among_twenty_thousand_scattered_tracks():
    # How long it takes is measured by bench/places.py (docs/PERFORMANCE.md), not here.
    rng = np.random.default_rng(3)
    lon = 44.0 + rng.random(20_000) * 2
    lat = 33.0 + rng.random(20_000) * 2
    lon[:5], lat[:5] = east(np.arange(5) * 50), LAT
    found = swarms(lon, lat)
    assert any({0, 1, 2, 3, 4} <= set(members) for members in found)


def test_a_swarm_found_again_is_the_known_one_with_the_most_tracks_in_common():
    matched, ended = match_swarms([{1, 2, 3, 4}, {10, 11, 12}], {7: {1, 2, 3}, 8: {20, 21, 22}})
    assert matched == [(7, {1, 2, 3, 4}), (None, {10, 11, 12})]
    assert ended == [8]


def test_two_swarms_merging_keep_the_one_they_share_most_with_and_end_the_other():
    matched, ended = match_swarms([{1, 2, 3, 4, 5}], {7: {1, 2, 3}, 8: {4, 5, 6}})
    assert matched == [(7, {1, 2, 3, 4, 5})]
    assert ended == [8]


def test_a_swarm_that_splits_stays_with_the_larger_part():
    matched, ended = match_swarms([{1, 2, 3, 4}, {5, 6, 7}], {7: {1, 2, 3, 4, 5, 6, 7}})
    assert matched == [(7, {1, 2, 3, 4}), (None, {5, 6, 7})]
    assert ended == []
