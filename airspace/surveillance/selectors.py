"""Reads of the surveillance picture that are not a model's own: a track's last positions (its trail)."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from .models import PositionReport

# A trail long enough to show a heading and a turn, short enough to read at a glance.
TRAIL_POINTS = 10
MAX_TRAIL_POINTS = 50
# Only reports this close to a track's last one count: a trail is where it just flew, and the bound
# keeps the query to the newest evidence of a track that has been reporting for hours.
TRAIL_SPAN = timedelta(minutes=10)


def recent_positions(tracks, *, points=TRAIL_POINTS):
    """{track id: its last `points` positions within TRAIL_SPAN, oldest first} in one query (the
    evidence's (track, observed_at) index serves it)."""
    tracks = list(tracks)
    if not tracks:
        return {}
    since = min(track.last_observed_at for track in tracks) - TRAIL_SPAN
    newest_first = Window(RowNumber(), partition_by=[F("track_id")], order_by=F("observed_at").desc())
    reports = (
        PositionReport.objects.filter(track_id__in=[track.pk for track in tracks], observed_at__gte=since)
        .annotate(rank=newest_first)
        .filter(rank__lte=points)
        .order_by("track_id", "observed_at")
        .values_list("track_id", "lat", "lon", "altitude_m", "observed_at")
    )
    trails = defaultdict(list)
    for track_id, lat, lon, altitude_m, observed_at in reports:
        trails[track_id].append({"lat": lat, "lon": lon, "altitude_m": altitude_m, "observed_at": observed_at})
    return trails
