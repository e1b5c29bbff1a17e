"""Admin of incidents: read them (people work them on the pages and the API, which record the
history), and keep the response units' names, kinds and webhooks."""

from django.contrib import admin

from .models import Incident, ResponseUnit, Violation


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "state", "opened_at", "zone", "alerts", "outcome"]
    list_filter = ["state", "outcome"]
    readonly_fields = [field.name for field in Incident._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ResponseUnit)
class ResponseUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "subscription", "active"]
    list_filter = ["kind", "active"]
    # The area is drawn on the units page or sent through the API, where the geometry is checked.
    fields = ["name", "kind", "subscription", "active"]


@admin.register(Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ["operator", "aircraft", "outcome", "at", "incident"]
    readonly_fields = ["operator", "aircraft", "outcome", "at", "incident"]

    def has_add_permission(self, request):
        return False
