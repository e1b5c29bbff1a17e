"""Restricted and prohibited zones: areas with an altitude band where flights are limited or forbidden."""

from functools import cached_property

from django.conf import settings
from django.db import connection, models


class RestrictedZone(models.Model):
    class Kind(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited"
        RESTRICTED = "restricted", "Restricted"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    # `area` is the normalized geometry as submitted (Polygon, or Point with radius_m);
    # `boundary` is its polygon footprint, which every spatial check uses.
    area = models.JSONField()
    radius_m = models.FloatField(null=True, blank=True)
    boundary = models.JSONField()
    min_altitude_m = models.FloatField(default=0)
    max_altitude_m = models.FloatField()
    active = models.BooleanField(default=True)
    # The zone's identifier in the authority's data (ED-269 `identifier`): what an import matches on.
    identifier = models.CharField(max_length=64, blank=True, db_index=True)
    # When the zone is in force (zones/schedule.py): empty, always; else its activation periods.
    schedule = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.kind})"

    def active_during(self, starts_at, ends_at):
        """Whether the zone is in force at any moment of this window (always, without a schedule)."""
        from .schedule import active_during

        return active_during(self.schedule, starts_at, ends_at)

    @property
    def parsed_area(self):
        from airspace.geometry import area_from_stored

        return area_from_stored(self.area, self.radius_m)

    @cached_property
    def footprint(self):
        """The boundary as a shapely polygon, built once however many volumes it is checked against."""
        from airspace.geometry import polygon_from_boundary

        return polygon_from_boundary(self.boundary)


# The key of the PostgreSQL advisory lock that stands for "the zones" (any constant no other lock uses).
ZONES_LOCK_KEY = 0x5A4F4E45


def lock_zones(*, exclusive):
    """Take the zones lock until the current transaction ends: approvals share it while they check
    the zones; a zone change holds it alone. So an approval either sees a zone drawn at the same
    moment, or committed before it and is revoked by it — never neither (row locks cannot say this:
    a new zone is a row the approval could not have locked). The first lock of both (see
    permits/services.py for the order). SQLite needs none: one write transaction at a time, and a
    write on a stale read fails instead of committing."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ZONES_LOCK_KEY])
