"""The clock's transitions (called by Celery beat): activate, complete, expire — each recorded,
each notified where air defense must know, each idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from permits import services
from permits.models import FlightPermit, State

Kind = AirDefenseNotification.Kind


def notifications(kind):
    return AirDefenseNotification.objects.filter(kind=kind).count()


def move_window(permit, starts_in, hours=2):
    starts_at = timezone.now() + starts_in
    FlightPermit.objects.filter(pk=permit.pk).update(starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours))


@pytest.mark.django_db
def test_activate_due_permits(make_permit):
    due = make_permit(state=State.APPROVED)
    not_yet = make_permit(state=State.APPROVED, starts_in=timedelta(hours=5))
    move_window(due, -timedelta(minutes=1))

    assert services.activate_due_permits() == 1
    assert services.activate_due_permits() == 0  # idempotent

    due.refresh_from_db()
    not_yet.refresh_from_db()
    assert due.state == State.ACTIVE
    assert not_yet.state == State.APPROVED
    assert notifications(Kind.PERMIT_ACTIVATED) == 1
    entry = due.history.last()
    assert (entry.transition, entry.from_state, entry.to_state, entry.actor) == ("activate", "approved", "active", None)


@pytest.mark.django_db
def test_activate_with_an_explicit_now(make_permit):
    permit = make_permit(state=State.APPROVED, starts_in=timedelta(hours=5))
    assert services.activate_due_permits(now=timezone.now() + timedelta(hours=4)) == 0
    assert services.activate_due_permits(now=timezone.now() + timedelta(hours=5, minutes=1)) == 1
    permit.refresh_from_db()
    assert permit.state == State.ACTIVE


@pytest.mark.django_db
def test_complete_due_permits(make_permit):
    permit = make_permit(state=State.ACTIVE)
    still_flying = make_permit(state=State.ACTIVE)
    move_window(permit, -timedelta(hours=3))
    before = notifications(Kind.PERMIT_COMPLETED)

    assert services.complete_due_permits() == 1
    assert services.complete_due_permits() == 0

    permit.refresh_from_db()
    still_flying.refresh_from_db()
    assert permit.state == State.COMPLETED
    assert still_flying.state == State.ACTIVE
    assert notifications(Kind.PERMIT_COMPLETED) == before + 1
    assert [h.transition for h in permit.history.all()][-1] == "complete"


@pytest.mark.django_db
def test_approved_permit_whose_whole_window_was_missed_is_activated_then_completed(make_permit):
    # The clock was down for the whole window: air defense still hears that it flew and ended.
    permit = make_permit(state=State.APPROVED)
    move_window(permit, -timedelta(hours=3))
    assert services.complete_due_permits() == 1
    permit.refresh_from_db()
    assert permit.state == State.COMPLETED
    assert [h.transition for h in permit.history.all()][-2:] == ["activate", "complete"]
    assert notifications(Kind.PERMIT_ACTIVATED) == 1
    assert notifications(Kind.PERMIT_COMPLETED) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED])
def test_expire_stale_applications(make_permit, state):
    stale = make_permit(state=state)
    fresh = make_permit(state=state)
    draft = make_permit(state=State.DRAFT)
    for permit in (stale, draft):
        move_window(permit, -timedelta(minutes=1))
    before = AirDefenseNotification.objects.count()

    assert services.expire_stale_applications() == 1
    assert services.expire_stale_applications() == 0

    stale.refresh_from_db()
    fresh.refresh_from_db()
    draft.refresh_from_db()
    assert stale.state == State.EXPIRED
    assert fresh.state == state
    assert draft.state == State.DRAFT  # a draft never reached anyone: it just stays the operator's
    # Nobody in air defense heard of an undecided application, so nobody is told it expired.
    assert AirDefenseNotification.objects.count() == before
    entry = stale.history.last()
    assert (entry.transition, entry.from_state, entry.to_state, entry.actor) == ("expire", state, "expired", None)


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.REJECTED, State.CANCELLED, State.REVOKED, State.COMPLETED, State.EXPIRED])
def test_the_clock_leaves_final_states_alone(make_permit, state):
    permit = make_permit(state=state)
    move_window(permit, -timedelta(hours=3))
    assert services.activate_due_permits() == 0
    assert services.complete_due_permits() == 0
    assert services.expire_stale_applications() == 0
    permit.refresh_from_db()
    assert permit.state == state


@pytest.mark.django_db
def test_people_cannot_make_the_clocks_transitions(make_permit, senior_officer):
    from django_fsm import has_transition_perm

    permit = make_permit(state=State.APPROVED)
    assert not has_transition_perm(permit.activate, senior_officer)
    assert has_transition_perm(permit.activate, None)
