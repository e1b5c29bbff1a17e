"""API routes of the air defense inbox, stream and webhook subscriptions."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import air_defense_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notifications", air_defense_api.NotificationViewSet, basename="air-defense-notification")
router.register("subscriptions", air_defense_api.WebhookSubscriptionViewSet, basename="webhook-subscription")

urlpatterns = [
    path("stream/", air_defense_api.NotificationStreamView.as_view(), name="air-defense-stream"),
    path("", include(router.urls)),
]
