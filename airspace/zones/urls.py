"""Routes of the zones: the API and the page."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("zones", api.RestrictedZoneViewSet, basename="zone")

api_urls = router.urls

page_urls = [
    path("zones/", views.zones_page, name="zones"),
    path("zones/<int:pk>/deactivate/", views.zone_deactivate, name="zone-deactivate"),
    path("zones/import/", views.zone_import, name="zone-import"),
]
