"""Notices in the admin: read only, they are a record of what the operator was told."""

from django.contrib import admin

from .models import OperatorNotice


@admin.register(OperatorNotice)
class OperatorNoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "operator", "kind", "text", "read_at"]
    list_filter = ["kind"]
    readonly_fields = ["operator", "kind", "text", "link", "created_at", "read_at"]
