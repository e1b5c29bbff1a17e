"""Reads of the surveillance picture that are not a model's own: a track's last positions (its trail)."""

from collections import defaultdict

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from .models import PositionReport

# A trail long enough to show a heading and a turn, short enough to read at a glance.
TRAIL_POINTS = 10
MAX_TRAIL_POINTS = 50


def recent_positions(track_ids, *, points=TRAIL_POINTS):
    """{track id: its last `points` reports' positions, oldest first} in one query (the evidence's
    (track, observed_at) index serves each track's newest reports)."""
    newest_first = Window(RowNumber(), partition_by=[F("track_id")], order_by=F("observed_at").desc())
    reports = (
        PositionReport.objects.filter(track_id__in=list(track_ids))
        .annotate(rank=newest_first)
        .filter(rank__lte=points)
        .order_by("track_id", "observed_at")
        .values_list("track_id", "lat", "lon", "altitude_m", "observed_at")
    )
    trails = defaultdict(list)
    for track_id, lat, lon, altitude_m, observed_at in reports:
        trails[track_id].append({"lat": lat, "lon": lon, "altitude_m": altitude_m, "observed_at": observed_at})
    return trails
