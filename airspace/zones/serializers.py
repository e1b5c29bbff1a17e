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
from .schedule import ScheduleError, normalize


class ScheduleField(serializers.JSONField):
    """A zone's activation periods (zones/schedule.py), validated and stored in UTC."""

    def to_internal_value(self, data):
        try:
            return normalize(super().to_internal_value(data))
        except ScheduleError as exc:
            raise serializers.ValidationError(str(exc)) from None


class RestrictedZoneSerializer(UniqueAtSaveMixin, PlaceFieldsMixin, VolumeSerializerMixin, serializers.ModelSerializer):
    place_boundary = "boundary"
    min_altitude_m = serializers.FloatField(required=False, default=0)
    description = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)
    identifier = serializers.CharField(required=False, allow_blank=True, max_length=64)
    schedule = ScheduleField(
        required=False,
        help_text="Activation periods [{starts_at, ends_at, daily: {start, end, days}}] in UTC; empty: always.",
    )

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
            "identifier",
            "schedule",
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


class ZoneImportSerializer(serializers.Serializer):
    MAX_BYTES = 2_000_000

    file = serializers.FileField(help_text="ED-269 or ED-318 JSON, GeoJSON FeatureCollection, or KML")
    dry_run = serializers.BooleanField(default=False, help_text="Only say what would change")
    deactivate_missing = serializers.BooleanField(
        default=False, help_text="Deactivate the zones imported before (with an identifier) that the file no longer has"
    )


class ZoneImportPlanSerializer(serializers.Serializer):
    """What an import did (or, in a dry run, would do), zone by zone."""

    format = serializers.CharField(source="file_format")
    dry_run = serializers.SerializerMethodField()
    new = serializers.SerializerMethodField()
    changed = serializers.SerializerMethodField()
    unchanged = serializers.SerializerMethodField()
    deactivated = serializers.SerializerMethodField()
    revoked_permits = serializers.SerializerMethodField()
    permits_to_review = serializers.SerializerMethodField()

    def get_dry_run(self, plan) -> bool:
        return self.context["dry_run"]

    def get_new(self, plan) -> list[dict]:
        return [{"name": draft.name, "identifier": draft.identifier, "kind": draft.kind} for draft in plan.new]

    def get_changed(self, plan) -> list[dict]:
        return [
            {"name": draft.name, "identifier": draft.identifier, "was": zone.name, "fields": fields}
            for zone, draft, fields in plan.changed
        ]

    def get_unchanged(self, plan) -> list[dict]:
        return [{"name": zone.name, "identifier": zone.identifier} for zone, _ in plan.unchanged]

    def get_deactivated(self, plan) -> list[dict]:
        return [{"name": zone.name, "identifier": zone.identifier} for zone in plan.deactivated]

    def get_revoked_permits(self, plan) -> list[str]:
        return [permit.reference for permit in plan.revoked_permits]

    def get_permits_to_review(self, plan) -> list[str]:
        return [permit.reference for permit in plan.permits_to_review]
