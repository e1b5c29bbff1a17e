"""Incidents: what follows a hostile alert. An incident is opened by the alert (or joined by the next
alert of the same track, or by the tracks of one swarm), worked by air defense and command staff —
response units assigned, the drone identified — and closed with an outcome from a fixed list, or
dismissed as a false alarm. An outcome against an operator is a violation on their record."""

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from airspace import roles
from airspace.air_defense.models import WebhookSubscription
from airspace.places import describe
from airspace.registry.identifiers import IdentifierField
from airspace.registry.models import Aircraft, Operator
from airspace.web.history import TransitionRecord
from airspace.zones.models import RestrictedZone


class State(models.TextChoices):
    OPEN = "open", "Open"
    RESPONDING = "responding", "Responding"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


ACTIVE_STATES = (State.OPEN, State.RESPONDING)
CLOSED_STATES = (State.RESOLVED, State.DISMISSED)


class Outcome(models.TextChoices):
    """How a resolved incident ended: the words a joint operations centre logs."""

    INTERCEPTED = "intercepted", "Intercepted"
    DRONE_DOWNED = "drone_downed", "Drone downed"
    DRONE_RECOVERED = "drone_recovered", "Drone landed / recovered"
    OPERATOR_DETAINED = "operator_detained", "Operator detained"
    WARNED_AND_RELEASED = "warned_and_released", "Warned and released"
    LOST_CONTACT = "lost_contact", "Lost contact"
    AUTHORIZED = "authorized", "Authorized after all"


# Outcomes against an operator: each is a violation on the operator's and the aircraft's record.
OUTCOMES_AGAINST_OPERATOR = (Outcome.OPERATOR_DETAINED, Outcome.WARNED_AND_RELEASED)


# --- permissions: (incident, user) -> bool -------------------------------------------------------


def works_incidents(incident, user):
    """Air defense and command staff work incidents; operators and sensors never see them."""
    return roles.is_air_defense(user) or roles.is_command_staff(user)


# --- conditions: (incident) -> bool ----------------------------------------------------------------


def not_merged(incident):
    """An incident folded into a swarm's is worked there."""
    return incident.merged_into_id is None


class Incident(ConcurrentTransitionMixin, models.Model):
    """One unauthorized flight (or one swarm) from its first hostile alert to its outcome."""

    state = FSMField(default=State.OPEN, choices=State.choices, protected=True, db_index=True)
    # The first alert: when and where, and the zone it was in (the statistics count by these).
    opened_at = models.DateTimeField(db_index=True)
    lat = models.FloatField()
    lon = models.FloatField()
    zone = models.ForeignKey(RestrictedZone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_alert_at = models.DateTimeField()
    alerts = models.PositiveIntegerField(default=1)
    # The swarm whose tracks share it (by name: surveillance sits above incidents).
    swarm = models.ForeignKey("airspace.Swarm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Folded into the incident of a swarm its track joined before anyone worked it: its alerts (which
    # name it) lead there; lists and statistics count the swarm's incident only.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True)
    # "Authorized after all": the permit the sensors did not see (by name: permits sit above incidents).
    permit = models.ForeignKey(
        "permits.FlightPermit", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )

    class Meta:
        ordering = ["-last_alert_at", "-id"]

    def __str__(self):
        return f"incident {self.pk} ({self.state})"

    @cached_property
    def place(self):
        """Where the first alert was, in words and MGRS (airspace.places, offline)."""
        return describe(self.lat, self.lon)

    @property
    def is_active(self):
        return self.state in ACTIVE_STATES and self.merged_into_id is None

    # --- transitions. Their bodies only stamp the incident; services.py records the history. ------

    @transition(
        field=state, source=State.OPEN, target=State.RESPONDING, permission=works_incidents, conditions=[not_merged]
    )
    def respond(self, by=None, reason=""):
        self.responded_at = self.responded_at or timezone.now()

    @transition(field=state, source=[State.OPEN, State.RESPONDING], target=State.RESOLVED, permission=works_incidents)
    def resolve(self, by=None, reason="", outcome="", permit=None):
        self._close(by, reason)
        self.outcome = outcome
        self.permit = permit

    @transition(field=state, source=[State.OPEN, State.RESPONDING], target=State.DISMISSED, permission=works_incidents)
    def dismiss(self, by=None, reason=""):
        self._close(by, reason)

    def _close(self, by, reason):
        self.closed_by = by
        self.closed_at = timezone.now()
        self.reason = reason


class IncidentTransitionLog(TransitionRecord):
    """The incident's history: one row per transition, who made it, when, and why."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="history")
    transition = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)

    @property
    def subject(self):
        return self.incident


class UnknownDrone(models.Model):
    """A drone that is in no registry, as staff saw it: a description and what it broadcast."""

    description = models.TextField()
    remote_id = IdentifierField(max_length=64, blank=True)
    serial_number = IdentifierField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.description[:60]


class IncidentTrack(models.Model):
    """A track in an incident, and who staff found it to be: a registered aircraft or an unknown
    drone, and the operator when one is found."""

    # No index of their own: the unique (incident, track) and the index (track, incident) serve both.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tracks", db_index=False)
    # By name: surveillance sits above incidents.
    track = models.ForeignKey("airspace.Track", on_delete=models.CASCADE, related_name="incident_links", db_index=False)
    joined_at = models.DateTimeField()
    alerts = models.PositiveIntegerField(default=1)
    aircraft = models.ForeignKey(Aircraft, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unknown_drone = models.ForeignKey(
        UnknownDrone, null=True, blank=True, on_delete=models.PROTECT, related_name="tracks"
    )
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "track"], name="incident_track_once")]
        # The hot path's question, once per batch with hostile alerts: the open incident of these tracks.
        indexes = [models.Index(fields=["track", "incident"], name="incident_track_by_track")]

    def __str__(self):
        return f"{self.incident} track {self.track_id}"


class ResponseUnit(models.Model):
    """Who goes out: a team, a patrol, a jammer. Its area of responsibility is an area like a zone's;
    its own webhook subscription, when it has one, receives the notifications addressed to it."""

    class Kind(models.TextChoices):
        INTERCEPT = "intercept", "Intercept team"
        POLICE = "police", "Police patrol"
        JAMMER = "jammer", "Electronic warfare / jammer"
        OBSERVATION = "observation", "Observation post"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    area = models.JSONField(null=True, blank=True)
    radius_m = models.FloatField(null=True, blank=True)
    boundary = models.JSONField(null=True, blank=True)
    subscription = models.ForeignKey(
        WebhookSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="units"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class UnitAssignment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(ResponseUnit, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "unit"], name="unit_assigned_once")]

    def __str__(self):
        return f"{self.unit} on {self.incident}"


class Violation(models.Model):
    """An outcome against an operator, on their record (and the aircraft's, when it is registered)."""

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="violations")
    aircraft = models.ForeignKey(Aircraft, null=True, blank=True, on_delete=models.PROTECT, related_name="violations")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="violations")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "operator"], name="one_violation_per_operator_and_incident")
        ]

    def __str__(self):
        return f"{self.operator}: {self.get_outcome_display()} ({self.at:%Y-%m-%d})"
