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
    # The status changes only through verify/suspend (a protected state field: the form could not set
    # it at all, which broke adding an aircraft here).
    readonly_fields = ["status", "status_changed_at", "status_changed_by"]


admin.site.register(OperatorMembership)
