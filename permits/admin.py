from django.contrib import admin

from .models import FlightPermit, PermitTransitionLog


class PermitTransitionLogInline(admin.TabularInline):
    model = PermitTransitionLog
    extra = 0
    can_delete = False
    readonly_fields = ["transition", "from_state", "to_state", "actor", "reason", "at"]


@admin.register(FlightPermit)
class FlightPermitAdmin(admin.ModelAdmin):
    list_display = ["reference", "operator", "aircraft", "state", "starts_at", "ends_at"]
    list_filter = ["state", "purpose"]
    search_fields = ["reference"]
    readonly_fields = ["state"]
    inlines = [PermitTransitionLogInline]

    def has_delete_permission(self, request, obj=None):
        # A permit is the record of what was authorized; its history and the sensor evidence
        # refer to it. Cancel or revoke it instead.
        return False
