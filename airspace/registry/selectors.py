"""Reads of the registry."""

from .models import WHERE_IT_CAME_FROM, Aircraft


def awaiting_verification():
    """Aircraft registered by their operator and not yet checked by command staff, oldest first:
    the one waiting longest is the pilot kept off the air longest."""
    return (
        Aircraft.objects.filter(status=Aircraft.Status.PENDING)
        .select_related("operator", *WHERE_IT_CAME_FROM)
        .order_by("created_at", "pk")
    )
