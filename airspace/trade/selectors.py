"""Reads of trade: a dealer's stock and sales, what awaits an operator's confirmation, the transfers
a user may see, and the chain of a drone's life for any serial number or Remote ID."""

from django.db.models import Q

from airspace import roles
from airspace.registry.identifiers import normalize_identifier
from airspace.registry.models import Aircraft

from .models import ImportedDrone, Transfer, TransferState


def stock_for(user):
    """The imported drones a user may see: a dealer its own, command staff and air defense all."""
    drones = ImportedDrone.objects.select_related(
        "shipment__dealer", "sale__buyer_operator", "aircraft__operator"
    ).order_by("-shipment__imported_on", "serial_number")
    if roles.is_command_staff(user) or roles.is_air_defense(user):
        return drones
    dealer = roles.dealer_of(user) if roles.is_dealer(user) else None
    return drones.filter(shipment__dealer=dealer) if dealer else drones.none()


def awaiting_registration(operator):
    """Drones sold to this operator that it has not yet confirmed into the registry."""
    return (
        ImportedDrone.objects.filter(sale__buyer_operator=operator, aircraft__isnull=True)
        .select_related("shipment__dealer", "sale")
        .order_by("-sale__sold_on", "serial_number")
    )


def transfers_for(user):
    """Command staff see every transfer; an operator those of its drones, in or out."""
    transfers = Transfer.objects.select_related("aircraft", "from_operator", "to_operator", "requested_by")
    if roles.is_command_staff(user):
        return transfers
    operator = roles.operator_of(user) if roles.is_operator(user) else None
    if operator is None:
        return transfers.none()
    return transfers.filter(Q(from_operator=operator) | Q(to_operator=operator))


def _event(kind, at, text, **details):
    return {"event": kind, "at": at, "text": text, **details}


def drone_chain(identifier):
    """Everything on record about the drone with this serial number or Remote ID, oldest first:
    imported by, sold to, registered by, verified, transferred to. None when nothing is on record."""
    identifier = normalize_identifier(identifier)
    match = Q(serial_number=identifier) | Q(remote_id=identifier)
    drone = (
        ImportedDrone.objects.select_related("shipment__dealer", "sale__dealer", "sale__buyer_operator")
        .filter(match)
        .first()
    )
    aircraft = drone.aircraft if drone and drone.aircraft_id else Aircraft.objects.filter(match).first()
    if drone is None and aircraft is None:
        return None
    events = []
    if drone is not None:
        shipment = drone.shipment
        events.append(
            _event(
                "imported",
                shipment.imported_on,
                f"Imported by {shipment.dealer.name} (customs reference {shipment.customs_reference})",
                by=shipment.dealer.name,
                customs_reference=shipment.customs_reference,
            )
        )
        sale = getattr(drone, "sale", None)
        if sale is not None:
            events.append(_event("sold", sale.sold_on, f"Sold by {sale.dealer.name} to {sale.buyer}", to=sale.buyer))
    first_owner = None
    if aircraft is not None:
        transfers = list(
            aircraft.transfers.filter(state=TransferState.ACCEPTED)
            .select_related("from_operator", "to_operator")
            .order_by("decided_at")
        )
        first_owner = transfers[0].from_operator if transfers else aircraft.operator
        events.append(
            _event("registered", aircraft.created_at, f"Registered by {first_owner.name}", by=first_owner.name)
        )
        if aircraft.status_changed_at is not None:
            # The last verification or suspension (the registry keeps the last change only).
            verified = aircraft.status == Aircraft.Status.REGISTERED
            events.append(
                _event(
                    "verified" if verified else "suspended",
                    aircraft.status_changed_at,
                    f"{'Verified' if verified else 'Suspended'} by command staff",
                )
            )
        for transfer in transfers:
            events.append(
                _event(
                    "transferred",
                    transfer.decided_at,
                    f"Transferred from {transfer.from_operator.name} to {transfer.to_operator.name}",
                    to=transfer.to_operator.name,
                )
            )
    source = drone or aircraft
    return {
        "serial_number": source.serial_number,
        "remote_id": source.remote_id,
        "manufacturer": source.manufacturer,
        "model": source.model,
        "operator": aircraft.operator.name if aircraft else None,
        "aircraft_status": aircraft.status if aircraft else None,
        "events": events,
    }


def import_traces(remote_ids):
    """{remote_id: "imported by X on …, sold to Y …"} for the imported drones among these Remote IDs
    that no operator has registered — the lead a patrol needs about an unregistered track. One query
    for all of them (a sensor batch's alerts, never its reports)."""
    if not remote_ids:
        return {}
    drones = ImportedDrone.objects.filter(remote_id__in=list(remote_ids), aircraft__isnull=True).select_related(
        "shipment__dealer", "sale__buyer_operator"
    )
    traces = {}
    for drone in drones:
        shipment = drone.shipment
        trace = f"imported by {shipment.dealer.name} on {shipment.imported_on.isoformat()}"
        sale = getattr(drone, "sale", None)
        trace += f", sold to {sale.buyer} on {sale.sold_on.isoformat()}" if sale else ", never sold"
        traces[drone.remote_id] = trace
    return traces
