"""What dealers and operators do with a drone's ownership, one function per act: a dealer records a
shipment and sells from it, the buyer confirms the drone into the registry, an owner transfers a
drone to another operator, who accepts or declines.

Each act checks who may make it (403), whether the state allows it (409) and the input (400).
Accepting a transfer locks the aircraft first, as every act on aircraft and permits does
(permits/services.py: the lock order), then the transfer."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django_fsm import TransitionNotAllowed, can_proceed

from airspace import roles
from airspace.notices.services import Kind as NoticeKind
from airspace.notices.services import tell_operator
from airspace.registry.models import Aircraft

from .models import ImportedDrone, Sale, Shipment, Transfer, TransferState, TransferTransitionLog
from .signals import aircraft_transferred

logger = logging.getLogger(__name__)

DRONE_FIELDS = ("serial_number", "remote_id", "manufacturer", "model", "category", "mtow_kg")


def dealer_required(user):
    """The dealer the user records for; nobody else records imports or sales (403)."""
    dealer = roles.dealer_of(user) if roles.is_dealer(user) else None
    if dealer is None:
        raise PermissionDenied("Only a licensed dealer records imports and sales.")
    return dealer


def record_shipment(*, user, customs_reference, imported_on, drones):
    """A dealer records one import through customs and every drone in it, all or none. `drones` are
    validated rows (serializers.py checked each field and that no identifier is taken)."""
    dealer = dealer_required(user)
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                dealer=dealer, customs_reference=customs_reference, imported_on=imported_on, recorded_by=user
            )
            ImportedDrone.objects.bulk_create(
                ImportedDrone(shipment=shipment, **{name: drone[name] for name in DRONE_FIELDS}) for drone in drones
            )
    except IntegrityError as clash:
        # Another request took one of these identifiers (or the customs reference) after the check.
        raise ValidationError(
            {"drones": "Another import recorded one of these identifiers or this customs reference just now."}
        ) from clash
    logger.info("shipment %s: %d drones imported by %s", customs_reference, len(drones), dealer)
    return shipment


def _own_drone(dealer, drone_id, *, lock=False):
    drones = ImportedDrone.objects.select_related("shipment__dealer")
    if lock:
        drones = drones.select_for_update(of=("self",))
    drone = drones.filter(pk=drone_id, shipment__dealer=dealer).first()
    if drone is None:
        raise Http404("No such drone in your stock.")
    return drone


def sell_drone(*, user, drone_id, buyer_name, sold_on, buyer_national_id="", buyer_operator=None):
    """A dealer records the sale of a drone from its own stock: to a person (their national ID
    number) or an operator organization, which then confirms it into the registry."""
    dealer = dealer_required(user)
    if not buyer_national_id and buyer_operator is None:
        raise ValidationError(
            {"buyer_national_id": "Give the buyer's national ID number, or the operator that bought it."}
        )
    with transaction.atomic():
        drone = _own_drone(dealer, drone_id, lock=True)
        if Sale.objects.filter(drone=drone).exists():
            raise TransitionNotAllowed(f"{drone.serial_number} is already sold.")
        sale = Sale.objects.create(
            drone=drone,
            dealer=dealer,
            buyer_name=buyer_name,
            buyer_national_id=buyer_national_id,
            buyer_operator=buyer_operator,
            sold_on=sold_on,
            recorded_by=user,
        )
        if buyer_operator is not None:
            tell_operator(
                operator_id=buyer_operator.pk,
                kind=NoticeKind.DRONE_BOUGHT,
                text=f"{dealer} sold you {drone} on {sold_on:%-d %b %Y}: confirm it to register it.",
                link=reverse("awaiting-registration"),
            )
    return sale


def confirm_purchase(*, user, drone_id):
    """The operator that bought a drone confirms it: the registry's aircraft is made from the import
    record (nothing typed again), pending, and command staff verify it as any other."""
    operator = roles.operator_of(user) if roles.is_operator(user) else None
    if operator is None:
        raise PermissionDenied("Only the operator that bought a drone confirms it.")
    with transaction.atomic():
        drone = (
            ImportedDrone.objects.select_for_update(of=("self",))
            .filter(pk=drone_id, sale__buyer_operator=operator)
            .first()
        )
        if drone is None:
            raise Http404("No drone sold to your organization has this id.")
        if drone.aircraft_id is not None:
            raise TransitionNotAllowed(f"{drone.serial_number} is already registered.")
        taken = Aircraft.objects.filter(serial_number=drone.serial_number) | Aircraft.objects.filter(
            remote_id=drone.remote_id
        )
        if taken.exists():
            raise TransitionNotAllowed(f"An aircraft with {drone.serial_number}'s identifiers is already registered.")
        aircraft = Aircraft.objects.create(operator=operator, **{name: getattr(drone, name) for name in DRONE_FIELDS})
        drone.aircraft = aircraft
        drone.save(update_fields=["aircraft"])
    logger.info("aircraft %s registered by %s from its sale", aircraft.serial_number, operator)
    return aircraft


# --- transfers ------------------------------------------------------------------------------------


def request_transfer(*, user, aircraft_id, to_operator):
    """The owner of a drone offers it to another operator, who accepts or declines."""
    operator = roles.operator_of(user) if roles.is_operator(user) else None
    if operator is None:
        raise PermissionDenied("Only the operator that owns a drone transfers it.")
    with transaction.atomic():
        aircraft = Aircraft.objects.select_for_update(no_key=True).filter(pk=aircraft_id, operator=operator).first()
        if aircraft is None:
            raise ValidationError({"aircraft": "Choose one of your own aircraft."})
        if to_operator.pk == operator.pk:
            raise ValidationError({"to_operator": "Choose another operator: the drone is already yours."})
        # The aircraft's lock above makes two offers of one drone wait for each other: the second sees the first.
        if Transfer.objects.filter(aircraft=aircraft, state=TransferState.REQUESTED).exists():
            raise TransitionNotAllowed(f"{aircraft.serial_number} already waits for a transfer to be accepted.")
        transfer = Transfer.objects.create(
            aircraft=aircraft, from_operator=operator, to_operator=to_operator, requested_by=user
        )
        _record(transfer, "request", "", user)
        tell_operator(
            operator_id=to_operator.pk,
            kind=NoticeKind.TRANSFER_OFFERED,
            text=f"{operator} offers you aircraft {aircraft.serial_number}: accept or decline it.",
            link=reverse("transfers"),
        )
    return transfer


PAST = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}
DENIED = {
    "accept": "Only the operator the drone is offered to may accept it.",
    "decline": "Only the operator the drone is offered to may decline it.",
    "cancel": "Only the operator that offered the drone may cancel the transfer.",
}


def _permission_of(transfer, transition_name):
    meta = getattr(transfer, transition_name)._django_fsm
    return next(iter(meta.transitions.values())).permission


def _record(transfer, transition_name, from_state, actor, reason=""):
    TransferTransitionLog.objects.create(
        transfer=transfer,
        transition=transition_name,
        from_state=from_state,
        to_state=transfer.state,
        actor=actor,
        reason=reason,
    )


def _transfer_transition(*, transfer_id, user, transition_name):
    with transaction.atomic():
        aircraft_id = Transfer.objects.filter(pk=transfer_id).values_list("aircraft_id", flat=True).first()
        if aircraft_id is None:
            raise Http404("No such transfer.")
        # The lock order of every act on a drone: the aircraft, then what hangs on it. FOR NO KEY
        # UPDATE, as the permit acts take it: only the owner changes, so the rows that merely point at
        # the aircraft (a sensor's track, a new permit) need not wait.
        aircraft = Aircraft.objects.select_for_update(no_key=True).get(pk=aircraft_id)
        transfer = Transfer.objects.select_for_update(of=("self",)).get(pk=transfer_id)
        transfer.aircraft = aircraft
        if not _permission_of(transfer, transition_name)(transfer, user):
            raise PermissionDenied(DENIED[transition_name])
        method = getattr(transfer, transition_name)
        if not can_proceed(method, check_conditions=False):
            state = transfer.get_state_display().lower()
            raise TransitionNotAllowed(f"A transfer that is {state} cannot be {PAST[transition_name]} now.")
        if not can_proceed(method):
            raise TransitionNotAllowed(f"{aircraft.serial_number} no longer belongs to {transfer.from_operator}.")
        from_state = transfer.state
        method(by=user)
        transfer.save()
        reason = ""
        if transition_name == "accept":
            previous_operator = transfer.from_operator
            aircraft.operator = transfer.to_operator
            aircraft.save(update_fields=["operator"])
            reason = f"{aircraft.serial_number} now belongs to {transfer.to_operator}."
            # The permits listen (permits/receivers.py): the previous owner's permits in effect for
            # this drone are cancelled in this same transaction, and air defense is told.
            aircraft_transferred.send(
                sender=Transfer, aircraft=aircraft, previous_operator=previous_operator, transfer=transfer
            )
        _record(transfer, transition_name, from_state, user, reason)
        _tell_the_other_side(transfer, transition_name)
    logger.info("transfer %s: %s -> %s by %s", transfer.pk, from_state, transfer.state, user)
    return transfer


# What the other side of a transfer is told, in the transition's transaction: (who, kind, text).
TRANSFER_NOTICES = {
    "accept": (
        "from_operator",
        NoticeKind.TRANSFER_ACCEPTED,
        "{to} accepted aircraft {serial}: it is theirs now, and your permits in effect for it are cancelled.",
    ),
    "decline": ("from_operator", NoticeKind.TRANSFER_DECLINED, "{to} declined aircraft {serial}: it stays yours."),
    "cancel": ("to_operator", NoticeKind.TRANSFER_CANCELLED, "{frm} withdrew its offer of aircraft {serial}."),
}


def _tell_the_other_side(transfer, transition_name):
    side, kind, text = TRANSFER_NOTICES[transition_name]
    tell_operator(
        operator_id=getattr(transfer, f"{side}_id"),
        kind=kind,
        text=text.format(to=transfer.to_operator, frm=transfer.from_operator, serial=transfer.aircraft.serial_number),
        link=reverse("transfers"),
    )


def accept_transfer(*, transfer_id, user):
    return _transfer_transition(transfer_id=transfer_id, user=user, transition_name="accept")


def decline_transfer(*, transfer_id, user):
    return _transfer_transition(transfer_id=transfer_id, user=user, transition_name="decline")


def cancel_transfer(*, transfer_id, user):
    return _transfer_transition(transfer_id=transfer_id, user=user, transition_name="cancel")


TRANSFER_ACTS = {"accept": accept_transfer, "decline": decline_transfer, "cancel": cancel_transfer}


def available_transfer_acts(transfer, user):
    """The acts this user may make on this transfer now (the buttons a page shows)."""
    names = {t.name for t in transfer.get_available_user_state_transitions(user)}
    return [name for name in TRANSFER_ACTS if name in names]
