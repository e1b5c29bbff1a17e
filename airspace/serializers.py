"""API serializers for the registry and zones, and the volume validation that permits share."""

from decimal import Decimal

from django.db import transaction
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from .geometry import GeometryError, parse_area, validate_altitude_band
from .identifiers import normalize_identifier
from .models import Aircraft, RestrictedZone


class VolumeSerializerMixin(serializers.Serializer):
    """`area` (GeoJSON Polygon, or Point with `radius_m`) and an altitude band, validated by the
    geometry module; fills `boundary`, the polygon footprint, on the validated data."""

    area = serializers.JSONField()
    radius_m = serializers.FloatField(required=False, allow_null=True)
    min_altitude_m = serializers.FloatField()
    max_altitude_m = serializers.FloatField()

    altitude_ceiling_m = None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = getattr(self, "instance", None)

        def current(name):
            if name in attrs:
                return attrs[name]
            return getattr(instance, name, None)

        errors = {}
        if "area" in attrs or "radius_m" in attrs or instance is None:
            # A new area comes with its own radius (or none): the stored radius was the old circle's.
            radius_m = attrs.get("radius_m") if "area" in attrs else current("radius_m")
            try:
                area = parse_area(current("area"), radius_m)
            except GeometryError as exc:
                errors[exc.field] = [str(exc)]
            else:
                attrs["area"] = area.geojson
                attrs["radius_m"] = area.radius_m
                attrs["boundary"] = area.boundary_geojson
        try:
            validate_altitude_band(
                current("min_altitude_m"), current("max_altitude_m"), ceiling_m=self.altitude_ceiling_m
            )
        except GeometryError as exc:
            errors.setdefault(exc.field, []).append(str(exc))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class IdentifierField(serializers.CharField):
    """A serial number or Remote ID: normalized (identifiers.py) *before* the uniqueness check, so that
    "abc-1" meets the stored "ABC-1" there (a 400) rather than at the database constraint (a 500)."""

    def __init__(self, *, unique_message, **kwargs):
        validators = [UniqueValidator(queryset=Aircraft.objects.all(), message=unique_message)]
        super().__init__(max_length=64, validators=validators, **kwargs)

    def to_internal_value(self, data):
        return normalize_identifier(super().to_internal_value(data))


class AircraftSerializer(serializers.ModelSerializer):
    operator = serializers.StringRelatedField(read_only=True)
    serial_number = IdentifierField(unique_message="An aircraft with this serial number is already registered.")
    remote_id = IdentifierField(
        unique_message="An aircraft with this Remote ID is already registered.",
        help_text="Remote ID broadcast identifier",
    )
    mtow_kg = serializers.DecimalField(
        max_digits=7, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("1000")
    )

    class Meta:
        model = Aircraft
        fields = [
            "id",
            "operator",
            "serial_number",
            "remote_id",
            "manufacturer",
            "model",
            "category",
            "mtow_kg",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "operator", "status", "created_at"]


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


class ZoneChangeSerializer(RestrictedZoneSerializer):
    """The answer to drawing or changing a zone: the zone, and what it did to the flights already
    approved (airspace/services.py, _save_zone)."""

    revoked_permits = serializers.SerializerMethodField(
        help_text="References of the permits in effect that this prohibited zone covers, revoked at once."
    )
    permits_to_review = serializers.SerializerMethodField(
        help_text="References of the permits in effect that this restricted zone covers, left in effect to review."
    )

    def get_revoked_permits(self, zone) -> list[str]:
        return [permit.reference for permit in getattr(zone, "revoked_permits", [])]

    def get_permits_to_review(self, zone) -> list[str]:
        return [permit.reference for permit in getattr(zone, "permits_to_review", [])]

    class Meta(RestrictedZoneSerializer.Meta):
        fields = [*RestrictedZoneSerializer.Meta.fields, "revoked_permits", "permits_to_review"]


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a time zone: a time without one is ambiguous across the sites we serve."""

    default_error_messages = {"naive": "Give the time zone, e.g. 2026-11-24T14:00:00Z or +03:00."}

    def to_internal_value(self, value):
        if isinstance(value, str) and value.strip() and not _has_time_zone(value.strip()):
            self.fail("naive")
        return super().to_internal_value(value)


def _has_time_zone(text):
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime(text)
    except ValueError:
        return True  # let DateTimeField report the format error
    return parsed is None or parsed.tzinfo is not None
