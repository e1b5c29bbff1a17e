"""Admin of the notifications and webhooks."""

from django.contrib import admin

from .models import AirDefenseNotification, WebhookDelivery, WebhookSubscription


@admin.register(AirDefenseNotification)
class AirDefenseNotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "severity", "created_at", "delivered_at", "acknowledged_at"]
    list_filter = ["kind", "severity"]


admin.site.register([WebhookSubscription, WebhookDelivery])
