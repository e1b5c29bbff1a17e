"""What the permits do when the registry or the zones below them change (they cannot import the
permits, so they send signals: airspace/registry/signals.py, airspace/zones/signals.py,
airspace/trade/signals.py). Receivers run in the sender's transaction."""

from django.dispatch import receiver

from airspace.registry.signals import aircraft_grounded
from airspace.trade.signals import aircraft_transferred
from airspace.zones.signals import zone_changed, zone_changing

from .services import (
    apply_zone_to_permits_in_effect,
    cancel_permits_of_transferred_aircraft,
    lock_permits_under_zone,
    revoke_permits_of_grounded_aircraft,
)


@receiver(aircraft_grounded)
def _revoke_permits_of_grounded_aircraft(sender, *, aircraft, officer, **kwargs):
    revoke_permits_of_grounded_aircraft(aircraft=aircraft, officer=officer)


@receiver(aircraft_transferred)
def _cancel_permits_of_transferred_aircraft(sender, *, aircraft, previous_operator, transfer, **kwargs):
    cancel_permits_of_transferred_aircraft(aircraft=aircraft, previous_operator=previous_operator, transfer=transfer)


@receiver(zone_changing)
def _lock_permits_under_zone(sender, *, zone, **kwargs):
    lock_permits_under_zone(zone=zone)


@receiver(zone_changed)
def _apply_zone_to_permits_in_effect(sender, *, zone, officer, **kwargs):
    revoked, to_review = apply_zone_to_permits_in_effect(zone=zone, officer=officer)
    return {"revoked_permits": revoked, "permits_to_review": to_review}
