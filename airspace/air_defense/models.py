"""Air defense notifications (the outbox) and the C2 webhook subscriptions with their deliveries."""

import uuid

from django.conf import settings
from django.db import models


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
        # Flight following (surveillance/following.py): what happens over time.
        TRACK_CONFORMING_AGAIN = "track.conforming_again"
        TRACK_CONTACT_LOST = "track.contact_lost"
        TRACK_CONTACT_REGAINED = "track.contact_regained"
        SENSOR_STALE = "sensor.stale"
        SENSOR_OFFLINE = "sensor.offline"
        SENSOR_ONLINE = "sensor.online"
        SWARM = "swarm"
        # Incidents (airspace/incidents): a response unit sent to one.
        INCIDENT_UNIT_ASSIGNED = "incident.unit_assigned"

    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    # What someone must acknowledge: warnings and critical alerts. An info item (a permit approved,
    # a sensor back online) is news for the picture, not a call to act, so it needs no click.
    SEVERITIES_TO_ACKNOWLEDGE = (Severity.WARNING, Severity.CRITICAL)
    # The alerts the console counts in its title: a drone treated as hostile, alone or in a swarm.
    HOSTILE_KINDS = (Kind.TRACK_HOSTILE, Kind.SWARM)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    payload = models.JSONField()
    permit = models.ForeignKey(
        "permits.FlightPermit", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    track = models.ForeignKey(
        "airspace.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    # The lease of the task last queued for it (its delivery, then the creation of its webhook
    # deliveries): until then the sweep leaves it to that task.
    queued_until = models.DateTimeField(null=True, blank=True)
    # When its webhook deliveries were created, one per active subscription (on the webhooks queue,
    # after the delivery to the stream, so that an alert never waits for them).
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # When its TAK deliveries were created, one per active TAK endpoint (airspace/c2/tasks.py).
    tak_fanned_out_at = models.DateTimeField(null=True, blank=True)
    # A notification for one subscriber (a response unit's own webhook): the subscriptions that take
    # only what is addressed to them get it, and the others get it as they get everything.
    addressed_to = models.ForeignKey(
        "WebhookSubscription",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
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
            # The console's question: which alerts wait for someone to acknowledge them, newest first?
            # A few among the hundreds of thousands of notifications a national airspace keeps.
            models.Index(
                fields=["created_at"],
                name="notification_awaiting_ack",
                condition=models.Q(acknowledged_at=None, severity__in=["warning", "critical"]),
            ),
            # The c2 queue's question: which notifications have no TAK deliveries yet?
            models.Index(
                fields=["created_at"], name="notification_not_sent_to_tak", condition=models.Q(tak_fanned_out_at=None)
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.id}"

    @property
    def needs_acknowledgement(self):
        return self.severity in self.SEVERITIES_TO_ACKNOWLEDGE


class WebhookSubscription(models.Model):
    """A C2 system that wants every notification POSTed to it, signed with its own secret."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    # Standard Webhooks form, `whsec_` and the base64 of the key (airspace/air_defense/webhooks.py).
    secret = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    # A response unit's own webhook: it receives only the notifications addressed to it.
    addressed_only = models.BooleanField(default=False)
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
