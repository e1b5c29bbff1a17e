"""Sensors, their position reports (kept as evidence), the tracks the reports build, and the
airspace version counter that tells every process when to rebuild its classification index."""

from django.conf import settings
from django.db import models

from airspace.registry.identifiers import IdentifierField
from airspace.registry.models import Aircraft
from airspace.zones.models import RestrictedZone


class Sensor(models.Model):
    class Kind(models.TextChoices):
        RADAR = "radar", "Radar"
        RF = "rf", "RF detector"
        REMOTE_ID = "remote_id", "Remote ID receiver"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sensor")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RADAR)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Classification(models.TextChoices):
    AUTHORIZED = "authorized", "Authorized"
    NONCONFORMING = "nonconforming", "Nonconforming"
    UNAUTHORIZED = "unauthorized", "Unauthorized"
    UNREGISTERED = "unregistered", "Unregistered"


HOSTILE_CLASSIFICATIONS = (Classification.UNAUTHORIZED, Classification.UNREGISTERED)


class Track(models.Model):
    """One flying object as the sensors follow it: keyed by Remote ID when it broadcasts one,
    otherwise by the sensor's own track id."""

    identity = models.CharField(max_length=200, unique=True)
    # Every batch rewrites its tracks' rows, and each index is one more write per row: only the
    # indexes that queries use are kept (identity, classification, last seen, aircraft).
    sensor = models.ForeignKey(
        Sensor, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks", db_index=False
    )
    sensor_track_id = models.CharField(max_length=100, blank=True)
    remote_id = IdentifierField(max_length=64, blank=True)
    aircraft = models.ForeignKey(Aircraft, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks")
    permit = models.ForeignKey(
        "permits.FlightPermit", null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks", db_index=False
    )
    zone = models.ForeignKey(
        RestrictedZone, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks", db_index=False
    )
    classification = models.CharField(max_length=20, choices=Classification.choices)
    classification_changed_at = models.DateTimeField()
    last_lat = models.FloatField()
    last_lon = models.FloatField()
    last_altitude_m = models.FloatField()
    last_observed_at = models.DateTimeField(db_index=True)
    first_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_observed_at"]
        indexes = [models.Index(fields=["classification", "last_observed_at"])]

    def __str__(self):
        return f"{self.identity} ({self.classification})"

    @property
    def is_hostile(self):
        return self.classification in HOSTILE_CLASSIFICATIONS


class PositionReport(models.Model):
    """One sensor observation, kept as evidence with the classification it was given."""

    # Thousands of rows a second, written only by tracks.py beside this with ids it has just read: one
    # index (track, observed_at) serves a track's history, and the foreign keys are not checked by
    # the database (each check is a lookup per row at commit, which cost more than the COPY).
    track = models.ForeignKey(
        Track, on_delete=models.CASCADE, related_name="reports", db_index=False, db_constraint=False
    )
    sensor = models.ForeignKey(
        Sensor, null=True, on_delete=models.SET_NULL, related_name="reports", db_index=False, db_constraint=False
    )
    sensor_track_id = models.CharField(max_length=100)
    remote_id = IdentifierField(max_length=64, blank=True)
    observed_at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField()
    lon = models.FloatField()
    altitude_m = models.FloatField()
    speed_mps = models.FloatField(null=True, blank=True)
    heading_deg = models.FloatField(null=True, blank=True)
    classification = models.CharField(max_length=20, choices=Classification.choices)
    permit = models.ForeignKey(
        "permits.FlightPermit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        indexes = [models.Index(fields=["track", "observed_at"])]

    def __str__(self):
        return f"{self.sensor_track_id} at {self.observed_at:%Y-%m-%d %H:%M:%S} ({self.classification})"


class AirspaceVersion(models.Model):
    """One row, counted up in the same transaction as every change to a permit or a zone, so that
    each process rebuilds its classification index at its next batch (classification.py). A
    counter, unlike timestamps, cannot miss a change that commits after a later-stamped one."""

    number = models.BigIntegerField(default=0)

    def __str__(self):
        return f"airspace version {self.number}"
