"""Reads shared across apps: which zones a 4D volume touches."""

from functools import cached_property

import numpy as np
import shapely
from django.db.models import Count, Max, Q, Sum

from airspace.geometry import altitude_bands_overlap, polygon_from_boundary

from .models import RestrictedZone


class ZonesInForce(list):
    """The active zones by name (a list), with an STRtree over their footprints built the first time
    a volume is checked against them: a national airspace has thousands of zones, and testing each
    permit of a page against every one of them took seconds."""

    @cached_property
    def _tree(self):
        return shapely.STRtree([zone.footprint for zone in self])

    @cached_property
    def on_map(self):
        """The zones as the pages' maps draw them (zones_on_map), built once for the set."""
        return _on_map(self)

    def near(self, footprint):
        """The zones whose bounding box meets the footprint's, in the list's order."""
        if not self:
            return []
        return [self[at] for at in np.sort(self._tree.query(footprint)).tolist()]


# The zones in force as last read by this process, with their fingerprint (_zones_fingerprint).
_zones_in_force: tuple[tuple, ZonesInForce] | None = None


def _zones_fingerprint():
    """What tells one set of zones from another in one small query: how many, how many active, the
    latest change and the sum of the ids (a zone deleted and another added). Zones change through
    the model (save() stamps updated_at), as the airspace version's signals also assume."""
    return tuple(
        RestrictedZone.objects.aggregate(
            zones=Count("pk"), active=Count("pk", filter=Q(active=True)), latest=Max("updated_at"), ids=Sum("pk")
        ).values()
    )


def active_zones():
    """The zones in force, by name: read once, they can be checked against many volumes (zones_touching).
    Kept by the process until a zone changes: a national airspace has thousands, and reading them
    (and building their tree) for every page of permits took most of the page's time. Read-only:
    the instances are shared by the requests of the process."""
    global _zones_in_force
    fingerprint = _zones_fingerprint()
    cached = _zones_in_force
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    zones = ZonesInForce(RestrictedZone.objects.filter(active=True).order_by("name"))
    _zones_in_force = (fingerprint, zones)
    return zones


def zones_touching(boundary, min_altitude_m, max_altitude_m, kind=None, *, among=None, during=None):
    """Active zones (or those of `among`, from active_zones()) whose area intersects the footprint
    and whose altitude band overlaps the band — and, given a window `during` (starts_at, ends_at),
    whose schedule puts them in force at some moment of it. Tested in memory rather than with a
    spatial database: among active_zones(), only those its tree finds near the footprint."""
    footprint = polygon_from_boundary(boundary)
    if among is None:
        zones = RestrictedZone.objects.filter(active=True).order_by("name")
        if kind:
            zones = zones.filter(kind=kind)
    else:
        candidates = among.near(footprint) if isinstance(among, ZonesInForce) else among
        zones = [zone for zone in candidates if not kind or zone.kind == kind]
    return [
        zone
        for zone in zones
        if altitude_bands_overlap(min_altitude_m, max_altitude_m, zone.min_altitude_m, zone.max_altitude_m)
        and footprint.intersects(zone.footprint)
        and (during is None or zone.active_during(*during))
    ]


def zones_on_map(zones=None):
    """Zones as the pages' maps draw them (the active ones unless given: those of active_zones(),
    kept by the process until a zone changes)."""
    if zones is None:
        return list(active_zones().on_map)
    return _on_map(zones)


def _on_map(zones):
    return [
        {
            "name": zone.name,
            "kind": zone.kind,
            "boundary": zone.boundary,
            "min_altitude_m": zone.min_altitude_m,
            "max_altitude_m": zone.max_altitude_m,
        }
        for zone in zones
    ]
