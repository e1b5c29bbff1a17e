"""Which permits a person may see, and the staff review queue."""

from airspace import roles

from .models import FlightPermit, State


def permits_visible_to(user):
    permits = FlightPermit.objects.select_related("operator", "aircraft", "reviewer", "decided_by")
    if roles.is_command_staff(user) or roles.is_air_defense(user):
        return permits
    operator = roles.operator_of(user)
    if roles.is_operator(user) and operator is not None:
        return permits.filter(operator=operator)
    return permits.none()


def review_queue():
    """Applications waiting for a decision, the soonest flight first."""
    return (
        FlightPermit.objects.select_related("operator", "aircraft", "reviewer")
        .filter(state__in=[State.SUBMITTED, State.UNDER_REVIEW])
        .order_by("starts_at", "id")
    )
