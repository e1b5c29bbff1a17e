"""Routes of air defense: the inbox, the live stream and the webhook subscriptions (API, under
/api/v1/air-defense/), and the console page."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notifications", api.NotificationViewSet, basename="air-defense-notification")
router.register("subscriptions", api.WebhookSubscriptionViewSet, basename="webhook-subscription")

api_urls = [
    path("air-defense/stream/", api.NotificationStreamView.as_view(), name="air-defense-stream"),
    path("air-defense/", include(router.urls)),
]

page_urls = [
    path("console/", views.console, name="console"),
]
