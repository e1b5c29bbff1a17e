"""Permit fixtures: `make_permit` drives a real application to any state through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.geometry import parse_area
from airspace.registry.models import Aircraft
from permits import services
from permits.models import FlightPermit, State
from tests.conftest import square

# Baghdad, well away from the zones the tests create unless they ask otherwise.
DEFAULT_AREA = square(44.30, 33.25)

# How to reach each state from a draft: (actor, service) steps.
PATHS = {
    State.DRAFT: [],
    State.SUBMITTED: ["submit"],
    State.UNDER_REVIEW: ["submit", "start_review"],
    State.CHANGES_REQUESTED: ["submit", "start_review", "request_changes"],
    State.APPROVED: ["submit", "start_review", "approve"],
    State.REJECTED: ["submit", "start_review", "reject"],
    State.CANCELLED: ["cancel"],
    State.ACTIVE: ["submit", "start_review", "approve", "activate"],
    State.COMPLETED: ["submit", "start_review", "approve", "activate", "complete"],
    State.REVOKED: ["submit", "start_review", "approve", "revoke"],
    State.EXPIRED: ["submit", "expire"],
}


def volume(area=None, radius_m=None, min_altitude_m=0, max_altitude_m=120, starts_in=timedelta(hours=2), hours=2):
    parsed = parse_area(area or DEFAULT_AREA, radius_m)
    starts_at = timezone.now() + starts_in
    return {
        "area": parsed.geojson,
        "radius_m": parsed.radius_m,
        "boundary": parsed.boundary_geojson,
        "min_altitude_m": min_altitude_m,
        "max_altitude_m": max_altitude_m,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
    }


def _shift_window(permit, now_inside=True):
    """Move the window around 'now' so the clock's transitions are due (tests of the clock)."""
    now = timezone.now()
    if now_inside:
        FlightPermit.objects.filter(pk=permit.pk).update(
            starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
        )
    else:
        FlightPermit.objects.filter(pk=permit.pk).update(
            starts_at=now - timedelta(hours=2), ends_at=now - timedelta(minutes=1)
        )


@pytest.fixture
def make_permit(db, make_user, make_aircraft):
    """make_permit(state=..., owner=..., aircraft=..., **volume kwargs) -> FlightPermit in that state."""
    reviewer_cache = {}

    def officer():
        if "officer" not in reviewer_cache:
            reviewer_cache["officer"] = make_user("senior_officer")
        return reviewer_cache["officer"]

    def make(state=State.DRAFT, owner=None, aircraft=None, purpose="survey", **volume_kwargs):
        owner = owner or make_user("operator", organization="Permit Fixture Aerial")
        operator = owner.operator_membership.operator
        aircraft = aircraft or make_aircraft(operator, status=Aircraft.Status.REGISTERED)
        permit = services.create_permit(user=owner, aircraft=aircraft, purpose=purpose, **volume(**volume_kwargs))
        for step in PATHS[State(state)]:
            if step == "submit":
                services.submit_permit(permit_id=permit.pk, user=owner)
            elif step == "start_review":
                services.start_review(permit_id=permit.pk, officer=officer())
            elif step == "approve":
                services.approve_permit(permit_id=permit.pk, officer=officer())
            elif step in ("reject", "request_changes", "revoke"):
                services.make_transition(
                    permit_id=permit.pk, user=officer(), transition_name=step, reason=f"{step} (fixture)"
                )
            elif step == "cancel":
                services.cancel_permit(permit_id=permit.pk, user=owner)
            elif step == "activate":
                _shift_window(permit)
                assert services.activate_due_permits() >= 1
            elif step == "complete":
                _shift_window(permit, now_inside=False)
                assert services.complete_due_permits() >= 1
            elif step == "expire":
                _shift_window(permit)
                assert services.expire_stale_applications() >= 1
        permit = FlightPermit.objects.get(pk=permit.pk)
        assert permit.state == state
        return permit

    return make
