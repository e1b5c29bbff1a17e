"""Notices in the API."""

from rest_framework import serializers

from .models import OperatorNotice


class OperatorNoticeSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = OperatorNotice
        fields = ["id", "kind", "kind_label", "text", "link", "created_at", "read", "read_at"]
        read_only_fields = fields

    def get_read(self, notice) -> bool:
        return notice.read_at is not None
