"""Admin of the zones."""

from django.contrib import admin

from .models import RestrictedZone


@admin.register(RestrictedZone)
class RestrictedZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "min_altitude_m", "max_altitude_m", "active"]
    list_filter = ["kind", "active"]
