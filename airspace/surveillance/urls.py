"""API routes of sensor reports and heartbeats, tracks, sensors and swarms (under /api/v1/)."""

from django.urls import path

from . import api

api_urls = [
    path("tracks/reports/", api.ReportBatchView.as_view(), name="track-reports"),
    path("tracks/remote-id/", api.RemoteIdView.as_view(), name="track-remote-id"),
    path("tracks/", api.TrackViewSet.as_view({"get": "list"}), name="track-list"),
    path("tracks/trails/", api.TrackViewSet.as_view({"get": "trails"}), name="track-trails"),
    path("tracks/<int:pk>/", api.TrackViewSet.as_view({"get": "retrieve"}), name="track-detail"),
    path("sensors/heartbeat/", api.SensorHeartbeatView.as_view(), name="sensor-heartbeat"),
    path("sensors/", api.SensorViewSet.as_view({"get": "list"}), name="sensor-list"),
    path(
        "sensors/<int:pk>/",
        api.SensorViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="sensor-detail",
    ),
    path("swarms/", api.SwarmViewSet.as_view({"get": "list"}), name="swarm-list"),
    path("swarms/<int:pk>/", api.SwarmViewSet.as_view({"get": "retrieve"}), name="swarm-detail"),
]

# Sensors and tracks have no pages of their own: the air defense console shows the tracks.
page_urls = []
