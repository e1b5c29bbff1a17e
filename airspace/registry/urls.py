"""Routes of the registry: the aircraft API and pages."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("aircraft", api.AircraftViewSet, basename="aircraft")

api_urls = router.urls

page_urls = [
    path("aircraft/", views.aircraft_page, name="aircraft"),
    path("aircraft/verification/", views.verification_queue, name="aircraft-verification"),
    path("aircraft/<int:pk>/<slug:action>/", views.aircraft_status, name="aircraft-status"),
]
