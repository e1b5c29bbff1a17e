"""API routes of sensor reports and tracks."""

from django.urls import path

from . import track_api

urlpatterns = [
    path("reports/", track_api.ReportBatchView.as_view(), name="track-reports"),
    path("", track_api.TrackViewSet.as_view({"get": "list"}), name="track-list"),
    path("<int:pk>/", track_api.TrackViewSet.as_view({"get": "retrieve"}), name="track-detail"),
]
