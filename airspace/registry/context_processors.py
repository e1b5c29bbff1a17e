"""The navigation's count of drones awaiting verification: one COUNT, for command staff only."""

from airspace import roles

from .selectors import awaiting_verification


def aircraft_awaiting_verification(request):
    user = getattr(request, "user", None)
    if not roles.is_command_staff(user):
        return {}
    return {"aircraft_awaiting_verification": awaiting_verification().count()}
