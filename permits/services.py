"""What people (and the clock) do to flight permits, one function per act.

Each act locks the permit row, checks who may make it (403), whether the state allows it (409)
and whether the application is acceptable (400), makes the model transition, records it in the
history and, where air defense must know, writes the notification in the same transaction.

Locks are taken in one order everywhere — the zones lock (approvals and zone changes only), the
aircraft, then its permits (by id), then the airspace version row (counted up by every permit and
zone save) — so that two acts wait for each other instead of deciding on what the other is
changing, and never deadlock."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.notifications import notify_permit_change
from airspace.notices.services import Kind as NoticeKind
from airspace.notices.services import tell_operator
from airspace.registry.models import Aircraft
from airspace.web.fields import FREE_TEXT_MAX_LENGTH
from airspace.zones.models import RestrictedZone, lock_zones

from .models import (
    EDITABLE_STATES,
    IN_EFFECT_STATES,
    UNDECIDED_STATES,
    FlightPermit,
    PermitSignature,
    PermitTransitionLog,
    State,
    is_owner,
    transition_action,
)
from .selectors import permits_in_effect_touching
from .signing import sign_permit_token

logger = logging.getLogger(__name__)

Kind = AirDefenseNotification.Kind

# The URL form of each transition a person may ask for.
USER_TRANSITIONS = {
    "submit": "submit",
    "start-review": "start_review",
    "approve": "approve",
    "reject": "reject",
    "request-changes": "request_changes",
    "refer": "refer",
    "cancel": "cancel",
    "revoke": "revoke",
}
TRANSITIONS_NEEDING_REASON = {"reject", "request_changes", "refer", "revoke"}
# What an officer may decide from the permit page in one step (decide_permit).
DECISIONS = ("approve", "reject", "request_changes", "refer")

DENIED = {
    "submit": "Only the operator who owns this application may submit it.",
    "start_review": "Only command staff who did not apply may review this application.",
    "approve": "Only command staff who did not apply may approve this application.",
    "reject": "Only command staff who did not apply may reject this application.",
    "request_changes": "Only command staff who did not apply may request changes.",
    "refer": "Only command staff who did not apply may refer an application to a senior officer.",
    "cancel": "Only the operator who owns this permit may cancel it.",
    "revoke": "Only command staff may revoke a permit.",
}


def _permission_of(permit, transition_name):
    """The `permission` callable declared on the model transition (the same for every source)."""
    meta = getattr(permit, transition_name)._django_fsm
    return next(iter(meta.transitions.values())).permission


def available_transitions(permit, user):
    """URL names of the transitions this user may make on this permit right now."""
    names = {t.name for t in permit.get_available_user_state_transitions(user)}
    return [url_name for url_name, name in USER_TRANSITIONS.items() if name in names]


def available_decisions(permit, user):
    """The decisions (DECISIONS) this user may make on this permit from its page, in one step: an
    application submitted or under review, decided by command staff who did not apply; approve only
    when nothing stops the approval, refer only when a senior officer is needed and not yet asked."""
    if permit.state not in (State.SUBMITTED, State.UNDER_REVIEW):
        return []
    decisions = []
    for decision in DECISIONS:
        if not _permission_of(permit, decision)(permit, user):
            continue
        if decision == "approve" and (permit.approval_problems() or permit.ends_at <= timezone.now()):
            continue
        if decision == "refer" and _referral_problem(permit) is not None:
            continue
        decisions.append(decision)
    return decisions


def _locked(permit_id):
    """The permit, locked after its aircraft: the lock order of every act on aircraft and permits
    (aircraft, then permits, then the airspace version). suspend_aircraft locks the aircraft, then
    its permits; an approval that read the aircraft without waiting for that lock could approve a
    drone a suspension was grounding at the same moment, leaving an approved permit for a suspended
    aircraft (and air defense told "approved", never "revoked")."""
    aircraft_id = FlightPermit.objects.filter(pk=permit_id).values_list("aircraft_id", flat=True).get()
    # FOR NO KEY UPDATE: excludes a suspension (FOR UPDATE) and other acts on the same aircraft, but
    # not the foreign-key checks of rows that merely point at it (tracks, new permits).
    aircraft = Aircraft.objects.select_for_update(no_key=True).get(pk=aircraft_id)
    permit = FlightPermit.objects.select_for_update(of=("self",)).select_related("operator").get(pk=permit_id)
    if permit.aircraft_id != aircraft.pk:
        # Edited in between: only a draft or an application sent back can change its aircraft, and
        # no suspension locks those, so taking the new aircraft's lock now cannot deadlock.
        aircraft = Aircraft.objects.select_for_update(no_key=True).get(pk=permit.aircraft_id)
    permit.aircraft = aircraft
    return permit


# What the operator is told of a transition, in its transaction: (kind, text); {reason} is the officer's.
OPERATOR_NOTICES = {
    "approve": (
        NoticeKind.PERMIT_APPROVED,
        "Permit {reference} is approved: you may fly within its volume and window.",
    ),
    "reject": (NoticeKind.PERMIT_REJECTED, "Application {reference} is rejected: “{reason}”."),
    "request_changes": (
        NoticeKind.PERMIT_CHANGES_REQUESTED,
        "Command staff ask for changes to application {reference}: “{reason}”. Edit it and submit it again.",
    ),
    "revoke": (NoticeKind.PERMIT_REVOKED, "Permit {reference} is revoked: “{reason}”. Do not fly under it."),
}


def _tell_operator(permit, transition_name, reason):
    notice = OPERATOR_NOTICES.get(transition_name)
    if notice is None:
        return
    kind, text = notice
    if transition_name == "approve" and reason:
        text += " Note: “{reason}”."
    tell_operator(
        operator_id=permit.operator_id,
        kind=kind,
        text=text.format(reference=permit.reference, reason=reason),
        link=reverse("permit-detail", args=[permit.pk]),
    )


def _referral_problem(permit):
    """Why this application may not be referred to a senior officer: (400 or 409, message) or None."""
    if not permit.requires_senior_approval:
        return ValidationError(
            {"area": "The volume touches no restricted zone: any officer may approve it, so there is nothing to refer."}
        )
    if permit.needs_senior:
        return TransitionNotAllowed("This application is already referred to a senior officer.")
    return None


def _record(permit, transition_name, from_state, actor, reason=""):
    PermitTransitionLog.objects.create(
        permit=permit,
        transition=transition_name,
        from_state=from_state,
        to_state=permit.state,
        actor=actor,
        reason=reason,
    )


def _transition(*, permit_id, user, transition_name, reason="", notify=None):
    """Make one transition for a person: permission, then state, then the application's content."""
    reason = (reason or "").strip()
    with transaction.atomic():
        permit = _locked(permit_id)
        permission = _permission_of(permit, transition_name)
        if not permission(permit, user):
            if transition_name == "approve" and permit.restricted_zones and not roles.is_senior_officer(user):
                names = ", ".join(zone.name for zone in permit.restricted_zones)
                raise PermissionDenied(
                    f"The volume touches the restricted zone {names}: a senior officer must approve. "
                    "Refer it to a senior officer."
                )
            if transition_name == "approve" and permit.has_too_many_violations and not roles.is_senior_officer(user):
                count = len(permit.operator_violations)
                raise PermissionDenied(
                    f"The operator has {count} violations in {settings.SENIOR_APPROVAL_VIOLATIONS_DAYS} days: "
                    "a senior officer must approve."
                )
            if transition_name == "refer" and roles.is_senior_officer(user):
                raise PermissionDenied("A senior officer decides this application: there is nobody to refer it to.")
            raise PermissionDenied(DENIED[transition_name])
        method = getattr(permit, transition_name)
        if not can_proceed(method, check_conditions=False):
            raise TransitionNotAllowed(
                f"“{transition_action(transition_name)}” is not possible: "
                f"the permit is {permit.get_state_display().lower()}."
            )
        if transition_name in TRANSITIONS_NEEDING_REASON and not reason:
            raise ValidationError({"reason": "Give a reason: the operator and air defense will read it."})
        if len(reason) > FREE_TEXT_MAX_LENGTH:  # the pages send it here unchecked
            raise ValidationError({"reason": f"Keep the reason to {FREE_TEXT_MAX_LENGTH:,} characters."})
        if transition_name == "submit":
            problems = permit.submission_problems()
            if problems:
                raise ValidationError(problems)
        if transition_name == "approve":
            problems = permit.approval_problems()
            if problems:
                raise ValidationError(problems)
        if transition_name == "refer" and (problem := _referral_problem(permit)):
            raise problem
        if not can_proceed(method):
            raise TransitionNotAllowed(
                f"“{transition_action(transition_name)}” is no longer possible: the permit's window has ended."
            )
        from_state = permit.state
        if transition_name in ("submit", "start_review"):
            method(by=user)
        else:
            method(by=user, reason=reason)
        permit.save()
        _record(permit, transition_name, from_state, user, reason)
        kind = notify(from_state) if notify else None
        if kind:
            notify_permit_change(permit, kind)
        _tell_operator(permit, transition_name, reason)
    logger.info("permit %s: %s -> %s by %s", permit.reference, from_state, permit.state, user)
    return permit


def submit_permit(*, permit_id, user):
    return _transition(permit_id=permit_id, user=user, transition_name="submit")


def start_review(*, permit_id, officer):
    return _transition(permit_id=permit_id, user=officer, transition_name="start_review")


def approve_permit(*, permit_id, officer, reason=""):
    with transaction.atomic():
        # Shared with other approvals, exclusive to zone changes: the zones this approval checks
        # cannot change until it commits (zones/models.py). The first lock of the order.
        lock_zones(exclusive=False)
        permit = _transition(
            permit_id=permit_id,
            user=officer,
            transition_name="approve",
            reason=reason,
            notify=lambda _: Kind.PERMIT_APPROVED,
        )
        # Signed in the approval's transaction: an approved permit always has its code, and a
        # failed signature (no key) approves nothing.
        kid, token = sign_permit_token(permit, approver=officer)
        PermitSignature.objects.update_or_create(permit=permit, defaults={"kid": kid, "token": token})
        return permit


def reject_permit(*, permit_id, officer, reason):
    return _transition(permit_id=permit_id, user=officer, transition_name="reject", reason=reason)


def request_changes(*, permit_id, officer, reason):
    return _transition(permit_id=permit_id, user=officer, transition_name="request_changes", reason=reason)


def refer_permit(*, permit_id, officer, reason):
    """An ordinary officer cannot approve a volume touching a restricted zone: they hand it to a
    senior officer. It stays under review, unassigned, flagged for the senior officers' queue."""
    return _transition(permit_id=permit_id, user=officer, transition_name="refer", reason=reason)


def decide_permit(*, permit_id, officer, decision, reason=""):
    """The officer decides from the permit page in one step: approve, reject, request changes or
    refer to a senior officer. An application still `submitted` has its review started first, in the
    same transaction and as its own history row (who started the review, when), so the history
    reads as if the officer had pressed "Start review" — and a refused decision starts nothing."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": "Choose approve, reject, request changes or refer to a senior officer."})
    with transaction.atomic():
        if decision == "approve":
            lock_zones(exclusive=False)  # the first lock of the order, before the permit's
        permit = _locked(permit_id)  # the state read below cannot change under us
        if permit.state == State.SUBMITTED:
            start_review(permit_id=permit_id, officer=officer)
        return make_transition(permit_id=permit_id, user=officer, transition_name=decision, reason=reason)


def cancel_permit(*, permit_id, user, reason=""):
    # Air defense only tracks approved flights: cancelling an undecided application concerns nobody there.
    return _transition(
        permit_id=permit_id,
        user=user,
        transition_name="cancel",
        reason=reason,
        notify=lambda from_state: Kind.PERMIT_CANCELLED if from_state == State.APPROVED else None,
    )


def revoke_permit(*, permit_id, officer, reason):
    return _transition(
        permit_id=permit_id, user=officer, transition_name="revoke", reason=reason, notify=lambda _: Kind.PERMIT_REVOKED
    )


def revoke_permits_of_grounded_aircraft(*, aircraft, officer):
    """A suspended drone may not fly: the permits it would fly under are revoked with it."""
    in_effect = FlightPermit.objects.filter(aircraft=aircraft, state__in=IN_EFFECT_STATES)
    # Locked all at once, in id order, before any is changed: one permit at a time would hold the
    # airspace version row while waiting for the next permit, and deadlock with an officer's act.
    for permit_id in list(in_effect.select_for_update().order_by("pk").values_list("pk", flat=True)):
        revoke_permit(permit_id=permit_id, officer=officer, reason=f"Aircraft {aircraft.serial_number} was suspended.")


def cancel_permits_of_transferred_aircraft(*, aircraft, previous_operator, transfer):
    """A drone passed to another operator (trade/signals.py: aircraft_transferred, in the transfer's
    transaction, the aircraft already locked): the permits its previous owner holds in effect for it
    are cancelled, and air defense is told of each (permit.cancelled)."""
    in_effect = FlightPermit.objects.filter(aircraft=aircraft, operator=previous_operator, state__in=IN_EFFECT_STATES)
    reason = f"Aircraft {aircraft.serial_number} was transferred to {transfer.to_operator}."
    cancelled = []
    for permit in in_effect.select_for_update(of=("self",)).select_related("operator").order_by("pk"):
        permit.aircraft = aircraft
        from_state = permit.state
        permit.cancel_for_transfer(by=None, reason=reason)
        permit.save()
        _record(permit, "cancel_for_transfer", from_state, None, reason)
        notify_permit_change(permit, Kind.PERMIT_CANCELLED)
        logger.info("permit %s: %s -> %s (transfer)", permit.reference, from_state, permit.state)
        cancelled.append(permit)
    return cancelled


def lock_permits_under_zone(*, zone):
    """Before a prohibited zone is saved (zones/signals.py: zone_changing): lock the approved and
    active permits it touches — their aircraft first, then the permits, by id, as every act does —
    because the zone's save counts up the airspace version row, the last lock of the order."""
    if not (zone.active and zone.kind == RestrictedZone.Kind.PROHIBITED):
        return
    touching = permits_in_effect_touching(zone.boundary, zone.min_altitude_m, zone.max_altitude_m)
    if not touching:
        return
    aircraft = Aircraft.objects.select_for_update(no_key=True).filter(pk__in={p.aircraft_id for p in touching})
    list(aircraft.order_by("pk").values_list("pk", flat=True))
    permits = FlightPermit.objects.select_for_update(of=("self",)).filter(pk__in=[permit.pk for permit in touching])
    list(permits.order_by("pk").values_list("pk", flat=True))


def apply_zone_to_permits_in_effect(*, zone, officer):
    """A zone was drawn, reshaped, re-kinded or re-activated (zones/signals.py: zone_changed, in the
    zone change's transaction): what it does at once to the approved and active permits whose volume
    it touches (area and altitude band, whatever their window). Returns (revoked, to_review).

    - **Prohibited**: no flight may be permitted there. Each is revoked by `officer` with the zone
      named in the reason, which the operator reads on the permit and in its history; air defense
      gets permit.revoked through the outbox, and the classification index drops the permit at its
      next batch (the revocation counts the airspace version up).
    - **Restricted**: flights there need a senior officer's approval, not a ban. Permits already
      approved stay in effect — revoking every flight under a new restriction would ground lawful
      operations an officer may well let fly, and tell air defense of revocations nobody needed —
      but they are flagged: each permit now shows the zone and `requires_senior_approval`, and they
      are returned to the officer who drew the zone (the API's answer, a message on the page) to
      revoke any that the restriction rules out.

    A zone change holds the zones lock alone, and approvals share it (zones/models.py: lock_zones),
    so no permit can be approved under the zone while this runs."""
    if not zone.active:
        return [], []
    touching = [
        permit
        for permit in permits_in_effect_touching(zone.boundary, zone.min_altitude_m, zone.max_altitude_m)
        if zone.active_during(permit.starts_at, permit.ends_at)  # a scheduled zone: only the windows it meets
    ]
    if zone.kind != RestrictedZone.Kind.PROHIBITED:
        return [], touching
    reason = f"The prohibited zone {zone.name} now covers this flight's volume: no flight may be permitted there."
    return [revoke_permit(permit_id=permit.pk, officer=officer, reason=reason) for permit in touching], []


PERSON_TRANSITIONS = {
    "submit": lambda permit_id, user, reason: submit_permit(permit_id=permit_id, user=user),
    "start_review": lambda permit_id, user, reason: start_review(permit_id=permit_id, officer=user),
    "approve": lambda permit_id, user, reason: approve_permit(permit_id=permit_id, officer=user, reason=reason),
    "reject": lambda permit_id, user, reason: reject_permit(permit_id=permit_id, officer=user, reason=reason),
    "request_changes": lambda permit_id, user, reason: request_changes(
        permit_id=permit_id, officer=user, reason=reason
    ),
    "refer": lambda permit_id, user, reason: refer_permit(permit_id=permit_id, officer=user, reason=reason),
    "cancel": lambda permit_id, user, reason: cancel_permit(permit_id=permit_id, user=user, reason=reason),
    "revoke": lambda permit_id, user, reason: revoke_permit(permit_id=permit_id, officer=user, reason=reason),
}


def make_transition(*, permit_id, user, transition_name, reason=""):
    """Dispatch a transition asked for by name (the API and the pages use this)."""
    return PERSON_TRANSITIONS[transition_name](permit_id, user, reason)


# --- applications ---------------------------------------------------------------------------------


def check_may_apply(user):
    """Only operators apply; staff decide and may not create applications for anyone."""
    if not roles.is_operator(user) or roles.operator_of(user) is None:
        raise PermissionDenied("Only operators may apply for flight permits.")


def check_may_edit(permit, user):
    """The owner may edit, and only while the application is a draft or was sent back (else 409)."""
    if not is_owner(permit, user):
        raise PermissionDenied("Only the operator who owns this application may change it.")
    if permit.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(
            f"A permit that is {permit.get_state_display().lower()} cannot be edited: "
            "only drafts and applications sent back for changes can."
        )


def create_permit(*, user, aircraft, **volume_and_details):
    """An operator drafts an application for one of their aircraft."""
    check_may_apply(user)
    operator = roles.operator_of(user)
    if aircraft.operator_id != operator.pk:
        raise ValidationError({"aircraft": "Choose one of your own aircraft."})
    return FlightPermit.objects.create(operator=operator, aircraft=aircraft, created_by=user, **volume_and_details)


def update_permit(*, permit_id, user, **changes):
    """The owner edits a draft, or an application sent back for changes."""
    with transaction.atomic():
        permit = _locked(permit_id)
        check_may_edit(permit, user)
        aircraft = changes.get("aircraft")
        if aircraft is not None and aircraft.operator_id != permit.operator_id:
            raise ValidationError({"aircraft": "Choose one of your own aircraft."})
        for name, value in changes.items():
            setattr(permit, name, value)
        permit.forget_zones()
        permit.save()
    return permit


# --- the clock (Celery beat) ----------------------------------------------------------------------


def _system_transition(queryset, transition_name, notify_kind=None):
    """Move every due permit, each in its own transaction; rows another process holds are skipped."""
    moved = 0
    for permit_id in list(queryset.values_list("pk", flat=True)):
        with transaction.atomic():
            permit = (
                queryset.select_for_update(skip_locked=True, of=("self",))
                .select_related("aircraft", "operator")
                .filter(pk=permit_id)
                .first()
            )
            if permit is None:
                continue
            from_state = permit.state
            getattr(permit, transition_name)(by=None)
            permit.save()
            _record(permit, transition_name, from_state, None)
            if notify_kind:
                notify_permit_change(permit, notify_kind)
            moved += 1
        logger.info("permit %s: %s -> %s (system)", permit.reference, from_state, permit.state)
    return moved


def activate_due_permits(now=None):
    """Approved permits whose window has started become active."""
    now = now or timezone.now()
    due = FlightPermit.objects.filter(state=State.APPROVED, starts_at__lte=now, ends_at__gt=now)
    return _system_transition(due, "activate", Kind.PERMIT_ACTIVATED)


def complete_due_permits(now=None):
    """Active permits whose window has ended are completed; approved ones that never activated
    (the clock was down for the whole window) are activated and completed so air defense hears both."""
    now = now or timezone.now()
    activate_due_permits(now)
    _system_transition(
        FlightPermit.objects.filter(state=State.APPROVED, ends_at__lte=now), "activate", Kind.PERMIT_ACTIVATED
    )
    due = FlightPermit.objects.filter(state=State.ACTIVE, ends_at__lte=now)
    return _system_transition(due, "complete", Kind.PERMIT_COMPLETED)


def expire_stale_applications(now=None):
    """Applications nobody decided before their window started expire."""
    now = now or timezone.now()
    due = FlightPermit.objects.filter(state__in=UNDECIDED_STATES, starts_at__lte=now)
    return _system_transition(due, "expire")


def resign_permits_in_effect():
    """Sign the approved and active permits again with the current key (after a rotation that
    retires a compromised key): each gets a new code; the old one stops verifying once its key is
    removed. Returns how many."""
    signed = 0
    for permit in FlightPermit.objects.filter(state__in=IN_EFFECT_STATES).select_related(
        "operator", "aircraft", "decided_by"
    ):
        with transaction.atomic():
            kid, token = sign_permit_token(permit, approver=permit.decided_by)
            PermitSignature.objects.update_or_create(
                permit=permit, defaults={"kid": kid, "token": token, "signed_at": timezone.now()}
            )
        signed += 1
    return signed
