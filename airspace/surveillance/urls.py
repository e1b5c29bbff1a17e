"""API routes of sensor reports and tracks (under /api/v1/)."""

from django.urls import path

from . import api

api_urls = [
    path("tracks/reports/", api.ReportBatchView.as_view(), name="track-reports"),
    path("tracks/", api.TrackViewSet.as_view({"get": "list"}), name="track-list"),
    path("tracks/<int:pk>/", api.TrackViewSet.as_view({"get": "retrieve"}), name="track-detail"),
]

# Sensors and tracks have no pages of their own: the air defense console shows the tracks.
page_urls = []
