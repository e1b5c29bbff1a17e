"""What a TAK endpoint is sent: the live tracks, the permits in effect, its alerts not yet delivered."""

from datetime import timedelta

from django.conf import settings

from airspace.surveillance.models import Track
from permits.models import IN_EFFECT_STATES, FlightPermit

from .models import TakDelivery


def live_tracks(*, now):
    """The tracks seen in the last TAK_TRACK_WINDOW_S, newest first: each one's latest position only."""
    since = now - timedelta(seconds=settings.TAK_TRACK_WINDOW_S)
    return list(
        Track.objects.filter(last_observed_at__gte=since)
        .select_related("permit", "zone")
        .order_by("-last_observed_at")[: settings.TAK_MAX_TRACKS]
    )


def permits_in_effect(*, now):
    return list(
        FlightPermit.objects.filter(state__in=IN_EFFECT_STATES, ends_at__gt=now)
        .select_related("operator", "aircraft")
        .order_by("pk")
    )


def pending_alerts(endpoint):
    """The endpoint's alerts not delivered yet, oldest first, a batch at a time."""
    return list(
        TakDelivery.objects.filter(endpoint=endpoint, delivered_at=None)
        .select_related("notification")
        .order_by("created_at", "pk")[: settings.TAK_ALERT_BATCH]
    )
