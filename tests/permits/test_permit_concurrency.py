"""Two people (or two clock runs) acting on the same permit at once, over two real database
connections: exactly one wins."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from permits import services
from permits.models import FlightPermit, State
from tests.conftest import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_officers_decide_at_once_one_wins(make_permit, make_user, client_for, second):
    permit = make_permit(state=State.UNDER_REVIEW)
    first_officer, second_officer = make_user("command_staff"), make_user("command_staff")
    body = {"reason": "decided on the map"}

    statuses = run_together(
        lambda: (
            client_for(first_officer).post(f"/api/v1/permits/{permit.id}/approve/", body, format="json").status_code
        ),
        lambda: (
            client_for(second_officer).post(f"/api/v1/permits/{permit.id}/{second}/", body, format="json").status_code
        ),
    )

    assert sorted(statuses) == [200, 409]
    permit.refresh_from_db()
    assert permit.state in (State.APPROVED, State.REJECTED)
    assert permit.history.filter(from_state=State.UNDER_REVIEW).count() == 1
    # The loser wrote nothing: one outbox row if the approval won, none if the rejection did.
    expected_notifications = 1 if permit.state == State.APPROVED else 0
    assert AirDefenseNotification.objects.filter(permit=permit).count() == expected_notifications


def test_a_decision_waits_for_the_row_lock_then_sees_the_new_state(make_permit, officer, senior_officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    locked = threading.Event()
    release = threading.Event()

    def hold_the_lock_and_reject():
        try:
            with transaction.atomic():
                FlightPermit.objects.select_for_update().get(pk=permit.pk)
                locked.set()
                release.wait(timeout=10)
                return services.reject_permit(permit_id=permit.pk, officer=senior_officer, reason="first")
        finally:
            connections.close_all()

    outcome = {}

    def approve_meanwhile():
        try:
            locked.wait(timeout=10)
            outcome["approve"] = services.approve_permit(permit_id=permit.pk, officer=officer)
        except Exception as exc:  # noqa: BLE001
            outcome["approve"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=lambda: outcome.setdefault("reject", hold_the_lock_and_reject()))
    waiter = threading.Thread(target=approve_meanwhile)
    holder.start()
    waiter.start()
    locked.wait(timeout=10)
    release.set()
    holder.join(timeout=30)
    waiter.join(timeout=30)

    from django_fsm import TransitionNotAllowed

    assert outcome["reject"].state == State.REJECTED
    assert isinstance(outcome["approve"], TransitionNotAllowed)
    permit.refresh_from_db()
    assert permit.state == State.REJECTED
    assert not AirDefenseNotification.objects.filter(permit=permit).exists()


def test_two_clock_runs_at_once_activate_each_permit_once(make_permit):
    permits = [make_permit(state=State.APPROVED) for _ in range(6)]
    FlightPermit.objects.filter(pk__in=[p.pk for p in permits]).update(
        starts_at=timezone.now() - timedelta(minutes=1), ends_at=timezone.now() + timedelta(hours=1)
    )

    counts = run_together(services.activate_due_permits, services.activate_due_permits)

    assert all(isinstance(count, int) for count in counts), counts
    assert sum(counts) == 6
    assert FlightPermit.objects.filter(state=State.ACTIVE).count() == 6
    assert AirDefenseNotification.objects.filter(kind="permit.activated").count() == 6
    assert connection.vendor == "postgresql"


def test_the_clock_skips_a_permit_someone_holds(make_permit):
    permit = make_permit(state=State.APPROVED)
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    locked = threading.Event()
    release = threading.Event()

    def hold():
        try:
            with transaction.atomic():
                FlightPermit.objects.select_for_update().get(pk=permit.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(timeout=10)
    try:
        assert services.activate_due_permits() == 0  # skipped, not blocked
    finally:
        release.set()
        holder.join(timeout=30)
    assert services.activate_due_permits() == 1


# --- an officer approves while another suspends the aircraft ----------------------------------------


def _approved_for_a_suspended_aircraft(permit):
    """The outcome the race must never leave: a permit in effect for a grounded drone."""
    from airspace.registry.models import Aircraft

    permit.refresh_from_db()
    permit.aircraft.refresh_from_db()
    return permit.aircraft.status == Aircraft.Status.SUSPENDED and permit.state in (State.APPROVED, State.ACTIVE)


def _told_air_defense(permit):
    return list(
        AirDefenseNotification.objects.filter(permit=permit).order_by("created_at").values_list("kind", flat=True)
    )


def test_a_suspension_while_an_approval_is_being_written_revokes_it_or_stops_it(make_permit, officer, senior_officer):
    """Deterministic: the approval has checked the aircraft (registered) and is about to write when
    the suspension runs. Without the aircraft lock the suspension found no permit in effect and
    committed, then the approval committed: an approved permit for a suspended aircraft."""
    from django.db.models.signals import pre_save

    from airspace.registry.services import suspend_aircraft

    permit = make_permit(state=State.UNDER_REVIEW)
    checked, suspended = threading.Event(), threading.Event()

    def pause_the_approval_after_its_checks(sender, instance, **kwargs):
        if instance.pk == permit.pk and instance.state == State.APPROVED and not checked.is_set():
            checked.set()
            suspended.wait(timeout=2)  # with the lock, the suspension waits for us: give up waiting

    def suspend_once_the_approval_has_checked():
        checked.wait(timeout=10)
        try:
            return suspend_aircraft(aircraft_id=permit.aircraft_id, officer=officer)
        finally:
            suspended.set()

    pre_save.connect(pause_the_approval_after_its_checks, sender=FlightPermit)
    try:
        approval, suspension = run_together(
            lambda: services.approve_permit(permit_id=permit.pk, officer=senior_officer),
            suspend_once_the_approval_has_checked,
        )
    finally:
        pre_save.disconnect(pause_the_approval_after_its_checks, sender=FlightPermit)

    assert not isinstance(suspension, Exception), suspension
    assert not _approved_for_a_suspended_aircraft(permit)
    if isinstance(approval, Exception):
        assert permit.state == State.UNDER_REVIEW and _told_air_defense(permit) == []
    else:  # the approval went first, and the suspension revoked it: air defense heard both
        assert permit.state == State.REVOKED
        assert _told_air_defense(permit) == ["permit.approved", "permit.revoked"]


@pytest.mark.parametrize("trial", range(5))
def test_approving_and_suspending_at_once_never_leave_an_approved_permit_for_a_suspended_aircraft(
    make_permit, officer, senior_officer, trial
):
    from airspace.registry.services import suspend_aircraft

    permit = make_permit(state=State.UNDER_REVIEW)

    run_together(
        lambda: services.approve_permit(permit_id=permit.pk, officer=senior_officer),
        lambda: suspend_aircraft(aircraft_id=permit.aircraft_id, officer=officer),
    )

    assert not _approved_for_a_suspended_aircraft(permit)
    assert _told_air_defense(permit) in ([], ["permit.approved", "permit.revoked"])


@pytest.mark.parametrize("second", ["approve", "reject", "request_changes"])
def test_two_officers_deciding_a_submitted_application_in_one_step_one_wins(make_permit, make_user, client_for, second):
    # Both start the review implicitly: the loser waits for the winner's lock, then finds it decided.
    permit = make_permit(state=State.SUBMITTED)
    first_officer, second_officer = make_user("command_staff"), make_user("command_staff")

    def decide(officer, decision):
        body = {"decision": decision, "reason": "decided on the map"}
        return client_for(officer).post(f"/api/v1/permits/{permit.id}/decide/", body, format="json").status_code

    statuses = run_together(lambda: decide(first_officer, "approve"), lambda: decide(second_officer, second))

    assert sorted(statuses) == [200, 409]
    permit.refresh_from_db()
    assert permit.state in (State.APPROVED, State.REJECTED, State.CHANGES_REQUESTED)
    # One review started, one decision: the loser's implicit start was rolled back with its refusal.
    assert [entry.transition for entry in permit.history.all()][1:2] == ["start_review"]
    assert permit.history.count() == 3
    assert permit.history.get(transition="start_review").actor == permit.decided_by
