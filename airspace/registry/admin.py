"""Admin of the registry."""

from django.contrib import admin

from .models import Aircraft, Operator, OperatorMembership


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "verified_at"]
    search_fields = ["name"]


@admin.register(Aircraft)
class AircraftAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "remote_id", "operator", "manufacturer", "model", "status"]
    list_filter = ["status", "category"]
    search_fields = ["serial_number", "remote_id"]


admin.site.register(OperatorMembership)
