"""Reads shared across apps: which zones a 4D volume touches."""

from airspace.geometry import altitude_bands_overlap, polygon_from_boundary

from .models import RestrictedZone


def active_zones():
    """The zones in force, by name: read once, they can be checked against many volumes (zones_touching)."""
    return list(RestrictedZone.objects.filter(active=True).order_by("name"))


def zones_touching(boundary, min_altitude_m, max_altitude_m, kind=None, *, among=None, during=None):
    """Active zones (or those of `among`, from active_zones()) whose area intersects the footprint
    and whose altitude band overlaps the band — and, given a window `during` (starts_at, ends_at),
    whose schedule puts them in force at some moment of it. Zones are few (tens), so they are
    tested in memory rather than with a spatial database."""
    footprint = polygon_from_boundary(boundary)
    if among is None:
        zones = RestrictedZone.objects.filter(active=True).order_by("name")
        if kind:
            zones = zones.filter(kind=kind)
    else:
        zones = [zone for zone in among if not kind or zone.kind == kind]
    return [
        zone
        for zone in zones
        if altitude_bands_overlap(min_altitude_m, max_altitude_m, zone.min_altitude_m, zone.max_altitude_m)
        and footprint.intersects(zone.footprint)
        and (during is None or zone.active_during(*during))
    ]


def zones_on_map(zones=None):
    """Zones as the pages' maps draw them (the active ones unless given)."""
    if zones is None:
        zones = RestrictedZone.objects.filter(active=True).order_by("name")
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
