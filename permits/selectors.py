"""Which permits a person may see, and the staff review queue."""

from airspace import roles

from .models import IN_EFFECT_STATES, FlightPermit, State


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


def permits_in_effect_during(starts_at, ends_at, *, excluding=None):
    """Approved and active permits whose window overlaps this one: the other flights an officer
    weighs a decision against."""
    overlapping = FlightPermit.objects.select_related("operator", "aircraft").filter(
        state__in=IN_EFFECT_STATES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if excluding is not None:
        overlapping = overlapping.exclude(pk=excluding.pk)
    return overlapping.order_by("starts_at")
