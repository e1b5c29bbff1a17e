"""What the permits do when the registry below them changes (the registry cannot import the permits,
so it sends signals: airspace/registry/signals.py). Receivers run in the sender's transaction."""

from django.dispatch import receiver

from airspace.registry.signals import aircraft_grounded

from .services import revoke_permits_of_grounded_aircraft


@receiver(aircraft_grounded)
def _revoke_permits_of_grounded_aircraft(sender, *, aircraft, officer, **kwargs):
    revoke_permits_of_grounded_aircraft(aircraft=aircraft, officer=officer)
