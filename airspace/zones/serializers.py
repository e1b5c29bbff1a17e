"""API serializers of the zones."""

from rest_framework import serializers

from airspace.web.fields import (
    FREE_TEXT_MAX_LENGTH,
    PlaceFieldsMixin,
    UniqueAtSaveMixin,
    VolumeSerializerMixin,
    WithoutAreaUnlessAskedMixin,
)

from .models import RestrictedZone


class RestrictedZoneSerializer(UniqueAtSaveMixin, PlaceFieldsMixin, VolumeSerializerMixin, serializers.ModelSerializer):
    place_boundary = "boundary"
    min_altitude_m = serializers.FloatField(required=False, default=0)
    description = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)

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
            "place",
            "mgrs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class RestrictedZoneSummarySerializer(WithoutAreaUnlessAskedMixin, RestrictedZoneSerializer):
    """A zone in the list (read only)."""


class ZoneChangeSerializer(RestrictedZoneSerializer):
    """The answer to drawing or changing a zone: the zone, and what it did to the flights already
    approved (permits/services.py: apply_zone_to_permits_in_effect)."""

    revoked_permits = serializers.SerializerMethodField(
        help_text="References of the permits in effect that this prohibited zone covers, revoked at once."
    )
    permits_to_review = serializers.SerializerMethodField(
        help_text="References of the permits in effect that this restricted zone covers, left in effect to review."
    )

    class Meta(RestrictedZoneSerializer.Meta):
        fields = [*RestrictedZoneSerializer.Meta.fields, "revoked_permits", "permits_to_review"]

    def get_revoked_permits(self, zone) -> list[str]:
        return [permit.reference for permit in getattr(zone, "revoked_permits", [])]

    def get_permits_to_review(self, zone) -> list[str]:
        return [permit.reference for permit in getattr(zone, "permits_to_review", [])]
