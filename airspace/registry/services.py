"""What command staff do to the registry, one function per act."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from airspace import roles
from airspace.notices.services import Kind as NoticeKind
from airspace.notices.services import tell_operator

from .models import Aircraft
from .signals import aircraft_grounded

# What the operator is told, in the transaction of the change.
NOTICES = {
    "verify": (
        NoticeKind.AIRCRAFT_VERIFIED,
        "Aircraft {serial} ({make}) is verified: you may now name it in a permit application.",
    ),
    "suspend": (
        NoticeKind.AIRCRAFT_SUSPENDED,
        "Aircraft {serial} ({make}) is suspended by command staff: it may not fly, and any approved "
        "permit for it is revoked. Contact command staff to have it verified again.",
    ),
}


def _change_aircraft_status(*, aircraft_id, officer, transition_name, past_tense):
    if not roles.is_command_staff(officer):
        raise PermissionDenied(f"Only command staff may {transition_name} aircraft.")
    with transaction.atomic():
        aircraft = Aircraft.objects.select_for_update().get(pk=aircraft_id)
        transition = getattr(aircraft, transition_name)
        if not can_proceed(transition):
            # A 409 from the API; the aircraft page shows it as a message.
            raise TransitionNotAllowed(
                f"An aircraft that is {aircraft.get_status_display().lower()} cannot be {past_tense} now."
            )
        transition()
        aircraft.status_changed_at = timezone.now()
        aircraft.status_changed_by = officer
        aircraft.save()
        kind, text = NOTICES[transition_name]
        make = f"{aircraft.manufacturer} {aircraft.model}"
        tell_operator(
            operator_id=aircraft.operator_id,
            kind=kind,
            text=text.format(serial=aircraft.serial_number, make=make),
            link=reverse("aircraft"),
        )
    return aircraft


def verify_aircraft(*, aircraft_id, officer):
    """Command staff checked the drone: it may now be named in a permit."""
    return _change_aircraft_status(
        aircraft_id=aircraft_id, officer=officer, transition_name="verify", past_tense="verified"
    )


def suspend_aircraft(*, aircraft_id, officer):
    """Ground a drone: no new permits, its approved and active permits are revoked (air defense is
    told), and any flight of it is treated as unauthorized."""
    with transaction.atomic():
        aircraft = _change_aircraft_status(
            aircraft_id=aircraft_id, officer=officer, transition_name="suspend", past_tense="suspended"
        )
        # The permits listen (permits/receivers.py) and revoke them in this same transaction.
        aircraft_grounded.send(sender=Aircraft, aircraft=aircraft, officer=officer)
    return aircraft
