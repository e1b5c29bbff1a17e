"""The flight permit and its state machine. Every state change is a transition method here;
the rules of who may make it and when are its `permission` and `conditions`."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from airspace import roles
from airspace.models import Aircraft, Operator


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


# --- permissions: (permit, user) -> bool -------------------------------------------------------


def is_owner(permit, user):
    return (
        roles.is_operator(user)
        and roles.operator_of(user) is not None
        and roles.operator_of(user).pk == permit.operator_id
    )


def is_staff_not_applicant(permit, user):
    return roles.is_command_staff(user) and permit.created_by_id != getattr(user, "pk", None)


def is_command_staff(permit, user):
    return roles.is_command_staff(user)


def is_system(permit, user):
    return user is None


# --- conditions: (permit) -> bool --------------------------------------------------------------


def window_not_ended(permit):
    return permit.ends_at > timezone.now()


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["state", "starts_at"]), models.Index(fields=["state", "ends_at"])]
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

        return area_from_stored(self.area, self.radius_m)

    # --- transitions. Their bodies stay empty: the service functions in services.py record the
    # history and write the notification in the same transaction. ---------------------------------

    @transition(field=state, source=[State.DRAFT, State.CHANGES_REQUESTED], target=State.SUBMITTED, permission=is_owner)
    def submit(self, by=None):
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.UNDER_REVIEW, permission=is_staff_not_applicant)
    def start_review(self, by=None):
        self.reviewer = by

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED, permission=is_staff_not_applicant)
    def approve(self, by=None, reason=""):
        self._decide(by, reason)

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


class PermitTransitionLog(models.Model):
    """The permit's history: one row per transition, who made it, when, and why."""

    permit = models.ForeignKey(FlightPermit, on_delete=models.CASCADE, related_name="history")
    transition = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.permit} {self.from_state} -> {self.to_state}"
