"""Routes of incidents: the API (under /api/v1/) and the pages."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views
from .api import IncidentViewSet, ResponseUnitViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("incidents", IncidentViewSet, basename="incident")
router.register("response-units", ResponseUnitViewSet, basename="response-unit")

api_urls = router.urls

page_urls = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/units/", views.units_page, name="incident-units"),
    path("incidents/statistics/", views.statistics_page, name="incident-statistics"),
    path("incidents/statistics.csv", views.statistics_csv, name="incident-statistics-csv"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/<slug:act>/", views.incident_act, name="incident-act"),
]
