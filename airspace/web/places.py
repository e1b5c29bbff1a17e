"""Where a thing is, for the API and the pages: a position's or an area's place in words and its
MGRS (airspace.places), as the `place` and `mgrs` fields every reader of a position gets."""

from functools import lru_cache

from shapely.geometry import shape

from airspace import places


@lru_cache(maxsize=8192)
def where(lat: float | None, lon: float | None) -> dict:
    """{"place": ..., "mgrs": ...}; both None for no position. Cached: the console asks for the same
    tracks' last positions every few seconds."""
    if lat is None or lon is None:
        return {"place": None, "mgrs": None}
    try:
        return places.describe(lat, lon).as_dict()
    except ValueError:
        return {"place": None, "mgrs": None}


def where_area(boundary: dict | None) -> dict:
    """The place of an area's centre (its polygon's centroid; a circle's is its centre)."""
    if not boundary:
        return where(None, None)
    centre = shape(boundary).centroid
    return where(round(centre.y, 6), round(centre.x, 6))
