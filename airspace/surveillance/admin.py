"""Admin of sensors, tracks and reports."""

from django.contrib import admin

from .models import PositionReport, Sensor, Track


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["identity", "classification", "last_observed_at"]
    list_filter = ["classification"]


admin.site.register([Sensor, PositionReport])
