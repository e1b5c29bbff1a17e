"""Sensors (with their coverage and health), their position reports (kept as evidence), the tracks
the reports build, the swarms flight following finds among them, and the airspace version counter
that tells every process when to rebuild its classification index."""

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

    class Health(models.TextChoices):
        # Watched from its first report or heartbeat on: a sensor being installed is not "off the air".
        UNKNOWN = "unknown", "Not heard yet"
        ONLINE = "online", "Online"
        STALE = "stale", "Stale"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sensor")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RADAR)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What it can see, like a zone: `coverage_area` as given (Polygon, or Point with
    # coverage_radius_m), `coverage_boundary` its polygon footprint. Empty: not yet surveyed.
    coverage_area = models.JSONField(null=True, blank=True)
    coverage_radius_m = models.FloatField(null=True, blank=True)
    coverage_boundary = models.JSONField(null=True, blank=True)
    # Its reporting expectation: silent this long it is stale, then offline (empty: the
    # SENSOR_STALE_S and SENSOR_OFFLINE_S settings). A sensor that only posts when it sees something
    # sends heartbeats (POST /api/v1/sensors/heartbeat/) in between.
    stale_after_s = models.FloatField(null=True, blank=True)
    offline_after_s = models.FloatField(null=True, blank=True)
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.UNKNOWN)
    health_changed_at = models.DateTimeField(null=True, blank=True)
    last_heard_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name

    @property
    def stale_after(self):
        return self.stale_after_s or settings.SENSOR_STALE_S

    @property
    def offline_after(self):
        return self.offline_after_s or settings.SENSOR_OFFLINE_S

    @property
    def is_offline(self):
        return self.health == self.Health.OFFLINE


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
    # Set when flight following announced that this permitted drone went silent; cleared when it is
    # seen again. Written by the clock and by the batch that sees it again, never on every batch.
    contact_lost_at = models.DateTimeField(null=True, blank=True)
    # Where the pilot is, as the drone's Remote ID last said (the System message's operator location,
    # or a Network Remote ID flight's details): kept until a report says otherwise, so that a patrol
    # can be sent there. Empty for a drone that never broadcast it.
    operator_lat = models.FloatField(null=True, blank=True)
    operator_lon = models.FloatField(null=True, blank=True)
    operator_altitude_m = models.FloatField(null=True, blank=True)
    operator_observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_observed_at"]
        indexes = [models.Index(fields=["classification", "last_observed_at"])]

    def __str__(self):
        return f"{self.identity} ({self.classification})"

    @property
    def is_hostile(self):
        return self.classification in HOSTILE_CLASSIFICATIONS

    @property
    def operator_position(self):
        """Where the pilot was last reported, or None."""
        if self.operator_lat is None:
            return None
        return {
            "lat": self.operator_lat,
            "lon": self.operator_lon,
            "altitude_m": self.operator_altitude_m,
            "observed_at": self.operator_observed_at.isoformat() if self.operator_observed_at else None,
        }


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


class Swarm(models.Model):
    """Several hostile tracks close together within a short time (surveillance/swarms.py finds them,
    following.py follows them): announced once, as one alert naming them, while it lasts."""

    detected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    track_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField()
    largest_size = models.PositiveIntegerField()
    centre_lat = models.FloatField()
    centre_lon = models.FloatField()
    # From the centre to the farthest member.
    radius_m = models.FloatField()

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["detected_at"], name="swarm_active", condition=models.Q(ended_at=None))]

    def __str__(self):
        return f"swarm {self.pk} of {self.size} tracks"


class FollowingRun(models.Model):
    """One row per periodic job of flight following: a run locks its row with SKIP LOCKED, so two
    beat processes never run the same pass at once; it also keeps when the pass last ran to its end
    (in the admin: a clock that stopped is a blind spot too)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} (last run {self.last_run_at})"


class AirspaceVersion(models.Model):
    """One row, counted up in the same transaction as every change to a permit or a zone (logged in
    AirspaceChange), so that each process brings its classification index up to date at its next
    batch (airspace_index.py). A counter, unlike timestamps, cannot miss a change that commits after
    a later-stamped one."""

    number = models.BigIntegerField(default=0)
    # Drawn at random with every change: a process holding version N tells "the N it built from"
    # from another N reached after the counter went back (a transaction rolled back, as in the
    # tests; a database restored), and then rebuilds instead of trusting a stale index.
    token = models.BigIntegerField(default=0)

    def __str__(self):
        return f"airspace version {self.number}"


class AirspaceChange(models.Model):
    """What each airspace version changed, written in the same transaction as the counter: a process
    whose index is at version N reads the changes after N and applies them to its index (one permit
    or zone re-read each) instead of rebuilding it from every permit in effect. Pruned to the last
    AIRSPACE_CHANGES_KEPT; a process further behind, or that finds a gap, rebuilds in full."""

    class Kind(models.TextChoices):
        PERMIT = "permit"
        ZONE = "zone"
        # Anything not done through the models (a bulk load): every process rebuilds in full.
        EVERYTHING = "everything"

    number = models.BigIntegerField(primary_key=True)
    token = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField(null=True)

    def __str__(self):
        return f"airspace version {self.number}: {self.kind} {self.object_id}"
