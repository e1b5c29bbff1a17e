"""The registry (operators, aircraft), restricted zones, sensors and their position reports,
tracks, and the air defense notifications with their webhook deliveries."""

import uuid

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition


class Operator(models.Model):
    """An organization (or a person flying on their own) that owns drones and applies for permits."""

    name = models.CharField(max_length=200, unique=True)
    contact_email = models.EmailField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OperatorMembership(models.Model):
    """Which operator a user flies for: one operator per user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator_membership")
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} @ {self.operator}"


class Aircraft(FSMModelMixin, models.Model):
    class Category(models.TextChoices):
        MULTIROTOR = "multirotor", "Multirotor"
        FIXED_WING = "fixed_wing", "Fixed wing"
        HYBRID_VTOL = "hybrid_vtol", "Hybrid VTOL"
        HELICOPTER = "helicopter", "Helicopter"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending verification"
        REGISTERED = "registered", "Registered"
        SUSPENDED = "suspended", "Suspended"

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="aircraft")
    serial_number = models.CharField(max_length=64, unique=True)
    remote_id = models.CharField(max_length=64, unique=True, help_text="Remote ID broadcast identifier")
    manufacturer = models.CharField(max_length=100)
    model = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    mtow_kg = models.DecimalField(max_digits=7, decimal_places=3, help_text="Maximum take-off mass in kg")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["serial_number"]
        verbose_name_plural = "aircraft"

    def __str__(self):
        return f"{self.manufacturer} {self.model} ({self.serial_number})"

    @transition(field=status, source=[Status.PENDING, Status.SUSPENDED], target=Status.REGISTERED)
    def verify(self):
        """Command staff checked the aircraft: it may now be named in a permit."""

    @transition(field=status, source=[Status.PENDING, Status.REGISTERED], target=Status.SUSPENDED)
    def suspend(self):
        """Grounded: no new permit, and any flight of it is unauthorized."""


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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.kind})"

    @property
    def parsed_area(self):
        from .geometry import area_from_stored

        return area_from_stored(self.area, self.radius_m)


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
    remote_id = models.CharField(max_length=64, blank=True)
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

    # Thousands of rows a second, written only by airspace/tracks.py with ids it has just read: one
    # index (track, observed_at) serves a track's history, and the foreign keys are not checked by
    # the database (each check is a lookup per row at commit, which cost more than the COPY).
    track = models.ForeignKey(
        Track, on_delete=models.CASCADE, related_name="reports", db_index=False, db_constraint=False
    )
    sensor = models.ForeignKey(
        Sensor, null=True, on_delete=models.SET_NULL, related_name="reports", db_index=False, db_constraint=False
    )
    sensor_track_id = models.CharField(max_length=100)
    remote_id = models.CharField(max_length=64, blank=True)
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


class AirDefenseNotification(models.Model):
    """The outbox: written in the same transaction as the change it reports, delivered after commit."""

    class Kind(models.TextChoices):
        PERMIT_APPROVED = "permit.approved"
        PERMIT_ACTIVATED = "permit.activated"
        PERMIT_CANCELLED = "permit.cancelled"
        PERMIT_REVOKED = "permit.revoked"
        PERMIT_COMPLETED = "permit.completed"
        TRACK_HOSTILE = "track.hostile"
        TRACK_NONCONFORMING = "track.nonconforming"

    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    payload = models.JSONField()
    permit = models.ForeignKey(
        "permits.FlightPermit", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    # The lease of the task last queued for it (its delivery, then the creation of its webhook
    # deliveries): until then the sweep leaves it to that task.
    queued_until = models.DateTimeField(null=True, blank=True)
    # When its webhook deliveries were created, one per active subscription (on the webhooks queue,
    # after the delivery to the stream, so that an alert never waits for them).
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["delivered_at"], name="notification_undelivered", condition=models.Q(delivered_at=None)
            ),
            # The stream's replay: what was delivered since a client's last event.
            models.Index(fields=["delivered_at"], name="notification_delivered_at"),
            # The sweep's other question: which delivered ones still have no webhook deliveries?
            models.Index(
                fields=["queued_until"], name="notification_not_fanned_out", condition=models.Q(fanned_out_at=None)
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.id}"


class WebhookSubscription(models.Model):
    """A C2 system that wants every notification POSTed to it, signed with its own secret."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    # Standard Webhooks form, `whsec_` and the base64 of the key (airspace/webhooks.py).
    secret = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} -> {self.url}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(
        AirDefenseNotification, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When the next attempt is due; while an attempt is in flight, when that attempt is given up for lost.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The lease of the task queued for its next attempt: until then the sweep leaves it to that task.
    queued_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "notification"], name="one_delivery_per_subscription")
        ]
        indexes = [
            # The sweep's question: which pending posts are due? (A burst leaves tens of thousands pending.)
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_pending", condition=models.Q(status="pending")
            )
        ]

    def __str__(self):
        return f"{self.notification_id} -> {self.subscription} ({self.status})"


class AirspaceVersion(models.Model):
    """One row, counted up in the same transaction as every change to a permit or a zone, so that
    each process rebuilds its classification index at its next batch (classification.py). A
    counter, unlike timestamps, cannot miss a change that commits after a later-stamped one."""

    number = models.BigIntegerField(default=0)

    def __str__(self):
        return f"airspace version {self.number}"
