"""Which permits a person may see, the staff review queue, and a permit's conformance record."""

from datetime import timedelta

import shapely
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from airspace import roles
from airspace.geometry import altitude_bands_overlap, buffer_metres, polygon_from_boundary

from .models import IN_EFFECT_STATES, FlightPermit, PermitTransitionLog, State

# States only an approval leads to (a cancelled permit may or may not have been approved first).
WERE_APPROVED_STATES = (State.APPROVED, State.ACTIVE, State.COMPLETED, State.REVOKED)
# How far around a permit's volume the permit page shows the other flights in effect.
NEIGHBOURHOOD_M = 25_000


def permits_visible_to(user):
    permits = FlightPermit.objects.select_related("operator", "aircraft", "reviewer", "decided_by")
    if roles.is_command_staff(user):
        return permits
    if roles.is_air_defense(user):
        return were_approved(permits)
    operator = roles.operator_of(user)
    if roles.is_operator(user) and operator is not None:
        return permits.filter(operator=operator)
    return permits.none()


def were_approved(permits):
    """The permits among these that were approved at some point: approved, active, completed,
    revoked, and cancelled after approval — the flights air defense was told of. Air defense reads
    the friendly picture, never an application (draft, undecided, sent back, rejected, expired, or
    cancelled before a decision): what an operator applied for is not theirs to see."""
    cancelled_after_approval = Exists(
        PermitTransitionLog.objects.filter(permit=OuterRef("pk"), from_state=State.APPROVED, to_state=State.CANCELLED)
    )
    return permits.filter(Q(state__in=WERE_APPROVED_STATES) | Q(cancelled_after_approval, state=State.CANCELLED))


def review_queue(*, senior_first=False):
    """Applications waiting for a decision, the soonest flight first. For a senior officer, those
    referred to a senior officer come first: nobody else can decide them."""
    order = ["starts_at", "id"]
    if senior_first:
        order.insert(0, "-needs_senior")
    return (
        FlightPermit.objects.select_related("operator", "aircraft", "reviewer", "decided_by", "created_by")
        .filter(state__in=[State.SUBMITTED, State.UNDER_REVIEW])
        .order_by(*order)
    )


def permits_in_effect_during(starts_at, ends_at, *, excluding=None):
    """Approved and active permits whose window overlaps this one."""
    overlapping = FlightPermit.objects.select_related("operator", "aircraft").filter(
        state__in=IN_EFFECT_STATES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if excluding is not None:
        overlapping = overlapping.exclude(pk=excluding.pk)
    return overlapping.order_by("starts_at")


def neighbouring_flights(permit, *, within_m=NEIGHBOURHOOD_M):
    """The other flights an officer weighs a decision against: permits in effect during this one's
    window whose volume comes within `within_m` of it. A few thousand permits a day cover the
    whole country; only the ones nearby matter to this decision."""
    candidates = list(permits_in_effect_during(permit.starts_at, permit.ends_at, excluding=permit))
    if not candidates:
        return []
    nearby = buffer_metres(polygon_from_boundary(permit.boundary), within_m)
    areas = [polygon_from_boundary(other.boundary) for other in candidates]
    return [other for other, near in zip(candidates, shapely.intersects(nearby, areas), strict=True) if near]


def permits_in_effect_touching(boundary, min_altitude_m, max_altitude_m):
    """Approved and active permits whose volume touches this footprint and altitude band, whatever
    their window: a zone holds at all times. Tested in memory, as zones_touching does: zone changes
    are rare, and the permits in effect are a few days' worth."""
    in_effect = [
        permit
        for permit in FlightPermit.objects.filter(state__in=IN_EFFECT_STATES).order_by("pk")
        if altitude_bands_overlap(permit.min_altitude_m, permit.max_altitude_m, min_altitude_m, max_altitude_m)
    ]
    if not in_effect:
        return []
    footprint = polygon_from_boundary(boundary)
    areas = [polygon_from_boundary(permit.boundary) for permit in in_effect]
    return [permit for permit, touches in zip(in_effect, shapely.intersects(footprint, areas), strict=True) if touches]


def conformance_record(permit, *, now=None):
    """How the flight kept to its volume and window (flight following's PermitExcursion rows): how
    many excursions, how many were escalated to hostile, the longest and the farthest, how many
    started in the last hour (ASTM F3548 allows at most 18 an hour), and since when it is outside,
    if it is now. Reads `permit.excursions.all()`, so a prefetch serves a whole page."""
    now = now or timezone.now()
    excursions = list(permit.excursions.all())
    open_excursions = [excursion for excursion in excursions if excursion.ended_at is None]
    return {
        "excursions": len(excursions),
        "escalated": sum(excursion.escalated_at is not None for excursion in excursions),
        "longest_s": round(max((excursion.duration_s(now) for excursion in excursions), default=0), 1),
        "farthest_m": round(max((excursion.farthest_m for excursion in excursions), default=0), 1),
        "excursions_last_hour": sum(excursion.started_at >= now - timedelta(hours=1) for excursion in excursions),
        "outside_since": open_excursions[-1].started_at if open_excursions else None,
    }
