from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("aircraft", api.AircraftViewSet, basename="aircraft")
router.register("zones", api.RestrictedZoneViewSet, basename="zone")

urlpatterns = [
    path("auth/token/", api.obtain_token, name="obtain-token"),
    path("auth/token/revoke/", api.revoke_token, name="revoke-token"),
    path("auth/token/revoke-all/", api.revoke_all_tokens, name="revoke-all-tokens"),
    path("", include(router.urls)),
]
