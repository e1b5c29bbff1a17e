"""The Django admin of the registry, zones, tracks and notifications (superusers' back office)."""

from django.contrib import admin

from .models import (
    Aircraft,
    AirDefenseNotification,
    Operator,
    OperatorMembership,
    PositionReport,
    RestrictedZone,
    Sensor,
    Track,
    WebhookDelivery,
    WebhookSubscription,
)


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "verified_at"]
    search_fields = ["name"]


@admin.register(Aircraft)
class AircraftAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "remote_id", "operator", "manufacturer", "model", "status"]
    list_filter = ["status", "category"]
    search_fields = ["serial_number", "remote_id"]
    # The status changes only through verify/suspend (a protected state field: the form could not set
    # it at all, which broke adding an aircraft here).
    readonly_fields = ["status", "status_changed_at", "status_changed_by"]


@admin.register(RestrictedZone)
class RestrictedZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "min_altitude_m", "max_altitude_m", "active"]
    list_filter = ["kind", "active"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["identity", "classification", "last_observed_at"]
    list_filter = ["classification"]


@admin.register(AirDefenseNotification)
class AirDefenseNotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "severity", "created_at", "delivered_at", "acknowledged_at"]
    list_filter = ["kind", "severity"]


admin.site.register([OperatorMembership, Sensor, PositionReport, WebhookSubscription, WebhookDelivery])
