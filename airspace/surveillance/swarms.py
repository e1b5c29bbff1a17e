"""Swarms among hostile tracks: the core, numpy and shapely with no Django (following.py feeds it the
hostile tracks seen lately and keeps the swarms it finds).

A swarm is a density-based cluster (DBSCAN) of last positions: a track with at least `min_size - 1`
others within `radius_m` is a core of a swarm; cores within `radius_m` of each other are one swarm,
and so is any track within `radius_m` of a core. Three drones 400 m apart in a line with a 500 m
radius are one swarm; two pairs 5 km apart are none. The neighbours come from one STRtree query of
boxes around the points, then exact great-circle distances.
"""

import numpy as np
import shapely

from airspace.geometry import degree_boxes, metres_between


def find_swarms(lon, lat, *, radius_m: float, min_size: int) -> list[np.ndarray]:
    """Groups of point positions (sorted arrays of indices into lon/lat), largest first."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    count = len(lon)
    if count < min_size or min_size < 1:
        return []
    tree = shapely.STRtree(shapely.points(lon, lat))
    left, right = tree.query(degree_boxes(lon, lat, radius_m))
    close = metres_between(lon[left], lat[left], lon[right], lat[right]) <= radius_m
    left, right = left[close], right[close]  # each point is its own neighbour too
    neighbours = np.bincount(left, minlength=count)
    core = neighbours >= min_size

    # Connected cores: label propagation, each core taking the smallest label among its core neighbours.
    label = np.where(core, np.arange(count), -1)
    between_cores = core[left] & core[right]
    core_left, core_right = left[between_cores], right[between_cores]
    while True:
        lowest = label.copy()
        np.minimum.at(lowest, core_left, label[core_right])
        if np.array_equal(lowest, label):
            break
        label = lowest
    # A border point joins the swarm of the lowest-labelled core within reach.
    border = ~core[left] & core[right]
    reach = np.full(count, count)
    np.minimum.at(reach, left[border], label[right[border]])
    label = np.where(~core & (reach < count), reach, label)

    swarms = [np.flatnonzero(label == value) for value in np.unique(label[label >= 0])]
    swarms = [members for members in swarms if len(members) >= min_size]
    return sorted(swarms, key=lambda members: (-len(members), members[0]))


def centre_and_radius(lon, lat) -> tuple[float, float, float]:
    """The mean position of a swarm's members and the metres from it to the farthest one."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    centre_lon, centre_lat = float(lon.mean()), float(lat.mean())
    radius = float(metres_between(centre_lon, centre_lat, lon, lat).max())
    return centre_lon, centre_lat, radius


def match_swarms(found: list[set], known: dict[int, set]) -> tuple[list[tuple[int | None, set]], list[int]]:
    """Tell the swarms found now from the ones already known (by their members): each found swarm is
    the known one it shares the most tracks with (each known swarm at most once), or a new one
    (None). Returns [(known id or None, members)] in the order found, and the known ids that
    matched nothing (ended)."""
    taken, matched = set(), []
    for members in found:
        overlaps = [(len(members & known_members), -swarm_id) for swarm_id, known_members in known.items()]
        best = max((overlap for overlap in overlaps if overlap[0] and -overlap[1] not in taken), default=None)
        swarm_id = -best[1] if best else None
        if swarm_id is not None:
            taken.add(swarm_id)
        matched.append((swarm_id, members))
    return matched, [swarm_id for swarm_id in known if swarm_id not in taken]
