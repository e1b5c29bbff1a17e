"""API serializers of the zones."""

from django.db import transaction
from rest_framework import serializers

from airspace.web.fields import VolumeSerializerMixin

from .models import RestrictedZone


class RestrictedZoneSerializer(VolumeSerializerMixin, serializers.ModelSerializer):
    min_altitude_m = serializers.FloatField(required=False, default=0)

    class Meta:
        model = RestrictedZone
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "area",
            "radius_m",
            "min_altitude_m",
            "max_altitude_m",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @transaction.atomic
    def save(self, **kwargs):
        return super().save(**kwargs)
