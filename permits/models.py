"""The flight permit and its state machine. Every state change is a transition method here;
the rules of who may make it and when are its `permission` and `conditions`."""

import secrets
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from airspace import roles
from airspace.registry.models import Aircraft, Operator
from airspace.web.history import TransitionRecord
from airspace.zones.models import RestrictedZone


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


# The words of each transition, the one place pages and the API's history take them from:
# (what a button says, what the history says was done).
TRANSITION_WORDS = {
    "submit": ("Submit for review", "Submitted"),
    "start_review": ("Start review", "Review started"),
    "approve": ("Approve", "Approved"),
    "reject": ("Reject", "Rejected"),
    "request_changes": ("Request changes", "Changes requested"),
    "refer": ("Refer to a senior officer", "Referred to a senior officer"),
    "cancel": ("Cancel", "Cancelled"),
    "revoke": ("Revoke", "Revoked"),
    "activate": ("Activate", "Window opened: the flight may take off"),
    "complete": ("Complete", "Window ended: completed"),
    "expire": ("Expire", "Expired: not decided before its window started"),
}


def transition_action(name):
    """What a button making this transition says: "Request changes"."""
    return TRANSITION_WORDS[name][0]


def transition_done(name):
    """What the history says was done: "Changes requested"."""
    return TRANSITION_WORDS[name][1]


EDITABLE_STATES = (State.DRAFT, State.CHANGES_REQUESTED)
UNDECIDED_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)
IN_EFFECT_STATES = (State.APPROVED, State.ACTIVE)


class Purpose(models.TextChoices):
    PHOTOGRAPHY = "photography", "Photography"
    MEDIA = "media", "Media"
    SURVEY = "survey", "Survey"
    AGRICULTURE = "agriculture", "Agriculture"
    INSPECTION = "inspection", "Inspection"
    DELIVERY = "delivery", "Delivery"
    SEARCH_AND_RESCUE = "search_and_rescue", "Search and rescue"
    OTHER = "other", "Other"


def new_reference():
    # Unambiguous alphabet (no 0/O, 1/I) so a reference can be read over the radio.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"FP-{timezone.now():%y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(5))


# --- permissions: (permit, user) -> bool. They say who may make a transition at all. ------------


def is_owner(permit, user):
    operator = roles.operator_of(user)
    return roles.is_operator(user) and operator is not None and operator.pk == permit.operator_id


def is_staff_not_applicant(permit, user):
    """Command staff, but never on an application they made or that their own organization made."""
    if not roles.is_command_staff(user) or permit.created_by_id == user.pk:
        return False
    operator = roles.operator_of(user)
    return operator is None or operator.pk != permit.operator_id


def may_decide(permit, user):
    """Deciding a volume that touches a restricted zone takes a senior officer."""
    if not is_staff_not_applicant(permit, user):
        return False
    return roles.is_senior_officer(user) or not permit.requires_senior_approval


def may_refer(permit, user):
    """An ordinary officer hands an application only a senior officer may approve to one; a senior
    officer decides it."""
    return is_staff_not_applicant(permit, user) and not roles.is_senior_officer(user)


def is_command_staff(permit, user):
    return roles.is_command_staff(user)


def is_system(permit, user):
    return user is None


# --- conditions: (permit) -> bool ---------------------------------------------------------------


def window_not_ended(permit):
    return permit.ends_at > timezone.now()


def is_submittable(permit):
    return not permit.submission_problems()


def needs_a_senior(permit):
    return permit.requires_senior_approval


def not_yet_referred(permit):
    return not permit.needs_senior


def is_approvable(permit):
    return not permit.approval_problems()


def window_problems(starts_at, ends_at, *, now=None):
    """What is wrong with a permit window, as {field: message}; empty when it is fine."""
    now = now or timezone.now()
    problems = {}
    if starts_at < now - settings.PERMIT_START_GRACE:
        problems["starts_at"] = "The window must start in the future."
    elif starts_at > now + settings.PERMIT_PLANNING_HORIZON:
        # ASTM F3548's 30-day planning horizon: the zones, the registry and the staff on duty that
        # far ahead are not known, and a permit for the year 9999 is a typo, not a plan.
        days = settings.PERMIT_PLANNING_HORIZON.total_seconds() / 86400
        problems["starts_at"] = f"The window may start at most {days:g} days from now (the planning horizon)."
    if ends_at <= starts_at:
        problems["ends_at"] = "The window must end after it starts."
    elif ends_at <= now:
        # The start's grace would otherwise let a window that ended seconds ago through.
        problems["ends_at"] = "The window has already ended."
    elif ends_at - starts_at > settings.PERMIT_MAX_DURATION:
        hours = settings.PERMIT_MAX_DURATION.total_seconds() / 3600
        problems["ends_at"] = f"The window may last at most {hours:g} hours."
    return problems


class FlightPermit(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=20, unique=True, default=new_reference, editable=False)
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="permits")
    aircraft = models.ForeignKey(Aircraft, on_delete=models.PROTECT, related_name="permits")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    description = models.TextField(blank=True)
    # The 4D operation volume. `area` is the normalized geometry as submitted (Polygon, or Point
    # with radius_m); `boundary` is its polygon footprint used by every spatial check.
    area = models.JSONField()
    radius_m = models.FloatField(null=True, blank=True)
    boundary = models.JSONField()
    min_altitude_m = models.FloatField()
    max_altitude_m = models.FloatField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # Referred by an ordinary officer to a senior officer (the `refer` transition): the queue flags
    # it "Senior officer needed" and puts it first for senior officers. Cleared by the decision.
    needs_senior = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["state", "starts_at"]),
            models.Index(fields=["state", "ends_at"]),
            # The permits in effect in a window, soonest first (the console's map, bench/national.py):
            # a fifth of a national table, scattered through it; counted from the index alone.
            models.Index(
                fields=["starts_at", "id", "ends_at"],
                condition=models.Q(state__in=["approved", "active"]),
                name="permit_in_effect_by_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="permit_window_ordered"),
            models.CheckConstraint(
                condition=models.Q(max_altitude_m__gt=models.F("min_altitude_m")), name="permit_altitude_band_ordered"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def parsed_area(self):
        from airspace.geometry import area_from_stored

        return area_from_stored(self.area, self.radius_m, self.boundary)

    def _touching(self, kind):
        from airspace.zones.selectors import zones_touching

        among = getattr(self, "_zones_in_force", None)
        # A zone with a schedule restricts only the windows it is in force in (zones/schedule.py).
        return zones_touching(
            self.boundary,
            self.min_altitude_m,
            self.max_altitude_m,
            kind=kind,
            among=among,
            during=(self.starts_at, self.ends_at),
        )

    def check_against(self, zones):
        """Judge the volume against these zones (active_zones(), read once for a whole list of
        permits) rather than reading them again for each permit."""
        self.forget_zones()
        self._zones_in_force = zones

    @cached_property
    def prohibited_zones(self):
        return self._touching(RestrictedZone.Kind.PROHIBITED)

    @cached_property
    def restricted_zones(self):
        return self._touching(RestrictedZone.Kind.RESTRICTED)

    @cached_property
    def operator_violations(self):
        """The operator's violations in the last SENIOR_APPROVAL_VIOLATIONS_DAYS (incidents)."""
        from airspace.incidents.selectors import violations_of

        return list(violations_of(self.operator_id, days=settings.SENIOR_APPROVAL_VIOLATIONS_DAYS))

    def check_violations_against(self, violations_by_operator):
        """Take the operator's recent violations from those read once for a whole list of permits
        (incidents.selectors.recent_violations_by_operator) rather than reading them for each."""
        self.__dict__["operator_violations"] = violations_by_operator.get(self.operator_id, [])

    @property
    def has_too_many_violations(self):
        return 0 < settings.SENIOR_APPROVAL_VIOLATIONS <= len(self.operator_violations)

    @property
    def requires_senior_approval(self):
        """A restricted zone, or an operator with SENIOR_APPROVAL_VIOLATIONS violations in
        SENIOR_APPROVAL_VIOLATIONS_DAYS days: the one place that says a senior officer must approve."""
        return bool(self.restricted_zones) or self.has_too_many_violations

    def submission_problems(self):
        """Why this application may not be submitted now, as {field: message}: everything that
        would stop an approval, and the window and ceiling an application must respect."""
        problems = {**window_problems(self.starts_at, self.ends_at), **self.approval_problems()}
        if self.max_altitude_m > settings.PERMIT_MAX_ALTITUDE_M:
            problems["max_altitude_m"] = f"Permits go up to {settings.PERMIT_MAX_ALTITUDE_M:g} m above ground."
        return problems

    def approval_problems(self):
        """Why this application may not be approved now, as {field: message}. Checked again at
        approval because both can change after submission: a zone drawn over it, its drone suspended."""
        problems = {}
        if aircraft_problem := self.aircraft_problem():
            problems["aircraft"] = aircraft_problem
        if self.prohibited_zones:
            names = ", ".join(zone.name for zone in self.prohibited_zones)
            problems["area"] = f"The volume enters the prohibited zone {names}: no flight may be permitted there."
        return problems

    def aircraft_problem(self):
        """Why this permit's aircraft may not fly under it (checked at submission and approval), or None."""
        if self.aircraft.operator_id != self.operator_id:
            return "The aircraft belongs to another operator."
        if self.aircraft.status != Aircraft.Status.REGISTERED:
            return (
                f"Aircraft {self.aircraft.serial_number} is {self.aircraft.get_status_display().lower()}, "
                "not registered: it cannot fly under a permit."
            )
        return None

    def forget_zones(self):
        """Drop the cached zone checks after the volume changed."""
        self.__dict__.pop("prohibited_zones", None)
        self.__dict__.pop("restricted_zones", None)
        self.__dict__.pop("_zones_in_force", None)

    # --- transitions. Their bodies stay empty: the service functions in services.py record the
    # history and write the notification in the same transaction. ---------------------------------

    @transition(
        field=state,
        source=[State.DRAFT, State.CHANGES_REQUESTED],
        target=State.SUBMITTED,
        permission=is_owner,
        conditions=[is_submittable],
    )
    def submit(self, by=None):
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.UNDER_REVIEW, permission=is_staff_not_applicant)
    def start_review(self, by=None):
        self.reviewer = by

    @transition(
        field=state,
        source=State.UNDER_REVIEW,
        target=State.APPROVED,
        permission=may_decide,
        conditions=[is_approvable, window_not_ended],
    )
    def approve(self, by=None, reason=""):
        self._decide(by, reason)

    @transition(
        field=state,
        source=State.UNDER_REVIEW,
        target=State.UNDER_REVIEW,
        permission=may_refer,
        conditions=[needs_a_senior, not_yet_referred],
    )
    def refer(self, by=None, reason=""):
        """Still under review, now for a senior officer: unassigned from the officer who referred it."""
        self.needs_senior = True
        self.reviewer = None

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REJECTED, permission=is_staff_not_applicant)
    def reject(self, by=None, reason=""):
        self._decide(by, reason)

    @transition(
        field=state, source=State.UNDER_REVIEW, target=State.CHANGES_REQUESTED, permission=is_staff_not_applicant
    )
    def request_changes(self, by=None, reason=""):
        self._decide(by, reason)

    @transition(
        field=state,
        source=[State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED, State.APPROVED],
        target=State.CANCELLED,
        permission=is_owner,
        conditions=[window_not_ended],
    )
    def cancel(self, by=None, reason=""):
        pass

    @transition(field=state, source=list(IN_EFFECT_STATES), target=State.CANCELLED, permission=is_system)
    def cancel_for_transfer(self, by=None, reason=""):
        """The drone passed to another operator (airspace/trade): its old owner may no longer fly it."""
        self.decision_reason = reason  # air defense reads why in the notification

    @transition(field=state, source=[State.APPROVED, State.ACTIVE], target=State.REVOKED, permission=is_command_staff)
    def revoke(self, by=None, reason=""):
        self._decide(by, reason)

    @transition(field=state, source=State.APPROVED, target=State.ACTIVE, permission=is_system)
    def activate(self, by=None):
        pass

    @transition(field=state, source=State.ACTIVE, target=State.COMPLETED, permission=is_system)
    def complete(self, by=None):
        pass

    @transition(field=state, source=list(UNDECIDED_STATES), target=State.EXPIRED, permission=is_system)
    def expire(self, by=None):
        pass

    def _decide(self, by, reason):
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_reason = reason
        self.needs_senior = False


class PermitTransitionLog(TransitionRecord):
    """The permit's history: one row per transition, who made it, when, and why."""

    permit = models.ForeignKey(FlightPermit, on_delete=models.CASCADE, related_name="history")
    transition = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)

    @property
    def subject(self):
        return self.permit

    @property
    def label(self):
        """What was done, in words: "Review started"."""
        return transition_done(self.transition) if self.transition in TRANSITION_WORDS else self.transition

    @property
    def description(self):
        """The history line: "Approved by senior1: “coordinated with the river police”"."""
        actor = self.actor.username if self.actor_id else "the system"
        text = f"{self.label} by {actor}"
        return f"{text}: “{self.reason}”" if self.reason else text


class PermitExcursion(models.Model):
    """One spell of a permitted flight outside its volume or its window: from the first report
    outside to the first back inside. The permit's record of them — how many, the longest, the
    farthest — is what a conformance budget (ASTM F3548: at most 18 an hour) is counted on. Written
    by flight following (airspace/surveillance/tracks.py and following.py)."""

    class End(models.TextChoices):
        BACK_INSIDE = "back_inside", "Back inside its volume"
        RECLASSIFIED = "reclassified", "No longer under this permit"
        SIGHT_LOST = "sight_lost", "No longer seen"

    class Escalation(models.TextChoices):
        GRACE = "grace", "Outside past the grace period"
        DISTANCE = "distance", "Too far from its volume"
        ZONE = "zone", "Inside a zone it is not approved for"

    permit = models.ForeignKey(FlightPermit, on_delete=models.CASCADE, related_name="excursions")
    track = models.ForeignKey("airspace.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=End.choices, blank=True)
    # Metres from the volume (3D) at the farthest report; 0 when only the window was left.
    farthest_m = models.FloatField(default=0)
    outside_window = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=20, choices=Escalation.choices, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["track"], condition=models.Q(ended_at=None), name="one_open_excursion_per_track"
            )
        ]
        indexes = [
            # The clock's question every few seconds: which open, unescalated excursions passed the grace.
            models.Index(
                fields=["started_at"],
                name="excursion_to_escalate",
                condition=models.Q(ended_at=None, escalated_at=None),
            )
        ]

    def __str__(self):
        return f"{self.permit} outside from {self.started_at:%H:%M:%S}"

    def duration_s(self, now=None):
        """Seconds outside so far (until now for an open excursion)."""
        return ((self.ended_at or now or timezone.now()) - self.started_at).total_seconds()


class PermitSignature(models.Model):
    """The approval, signed (permits/signing.py): the token a checkpoint verifies offline, shown as a
    QR code. Written in the approval's transaction; `kid` names the key that signed it."""

    permit = models.OneToOneField(FlightPermit, on_delete=models.CASCADE, related_name="signature")
    kid = models.CharField(max_length=64)
    token = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.permit} signed by key {self.kid[:8]}"
