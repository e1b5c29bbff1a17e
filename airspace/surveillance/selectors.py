"""Reads of the surveillance picture that are not a model's own: a track's last positions (its trail)."""

from collections import defaultdict
from datetime import timedelta

from django.db import connection
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from .models import PositionReport

# A trail long enough to show a heading and a turn, short enough to read at a glance.
TRAIL_POINTS = 10
MAX_TRAIL_POINTS = 50
# Only reports this close to a track's last one count: a trail is where it just flew.
TRAIL_SPAN = timedelta(minutes=10)

# Each track's newest reports straight from the evidence's (track, observed_at) index: a few rows
# read per track, however long it has been reporting (a window over all of them read every row).
LATEST_REPORTS_SQL = f"""
    SELECT latest.track_id, latest.lat, latest.lon, latest.altitude_m, latest.observed_at
    FROM unnest(%s::bigint[]) AS track(id)
    CROSS JOIN LATERAL (
        SELECT report.track_id, report.lat, report.lon, report.altitude_m, report.observed_at
        FROM {PositionReport._meta.db_table} AS report
        WHERE report.track_id = track.id AND report.observed_at >= %s
        ORDER BY report.observed_at DESC
        LIMIT %s
    ) AS latest
"""


def recent_positions(tracks, *, points=TRAIL_POINTS):
    """{track id: its last `points` positions within TRAIL_SPAN of its last report, oldest first}."""
    tracks = list(tracks)
    if not tracks:
        return {}
    since = min(track.last_observed_at for track in tracks) - TRAIL_SPAN
    ids = [track.pk for track in tracks]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(LATEST_REPORTS_SQL, [ids, since, points])
            rows = cursor.fetchall()
    else:  # the embedded demo's SQLite: a window over the same rows
        newest_first = Window(RowNumber(), partition_by=[F("track_id")], order_by=F("observed_at").desc())
        rows = (
            PositionReport.objects.filter(track_id__in=ids, observed_at__gte=since)
            .annotate(rank=newest_first)
            .filter(rank__lte=points)
            .values_list("track_id", "lat", "lon", "altitude_m", "observed_at")
        )
    trails = defaultdict(list)
    for track_id, lat, lon, altitude_m, observed_at in sorted(rows, key=lambda row: (row[0], row[4])):
        trails[track_id].append({"lat": lat, "lon": lon, "altitude_m": altitude_m, "observed_at": observed_at})
    return trails
