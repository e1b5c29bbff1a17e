"""API serializers for the registry and zones, and the volume validation that permits share."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from .geometry import GeometryError, parse_area, validate_altitude_band
from .models import FREE_TEXT_MAX_LENGTH, Aircraft, RestrictedZone


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
                area = parse_area(current("area"), radius_m, max_vertices=settings.MAX_AREA_VERTICES)
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


class UniqueAtSaveMixin:
    """Two requests registering one serial number (or naming two zones alike) at once both pass the
    uniqueness validators, and the second meets the database's unique constraint: a 500. That
    constraint waits for the first to commit, so validating again after it names the field (a 400).
    The save runs in one transaction with what it triggers (the airspace version counter)."""

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError:
            again = type(self)(self.instance, data=self.initial_data, partial=self.partial, context=self.context)
            if again.is_valid():
                raise  # not a uniqueness race: a real fault
            raise serializers.ValidationError(again.errors) from None


AREA_ON_REQUEST = "Only with ?include=area: lists leave the area out (each item's own URL has it)."


class WithoutAreaUnlessAskedMixin(serializers.Serializer):
    """An item of a list (airspace.api_filters.AreaOnRequestMixin): `area` and `radius_m` only when
    the request asked for them; optional in the schema, which documents them for that case."""

    area = serializers.JSONField(required=False, help_text=AREA_ON_REQUEST)
    radius_m = serializers.FloatField(required=False, allow_null=True, help_text=AREA_ON_REQUEST)

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("include_area", True):
            fields.pop("area")
            fields.pop("radius_m")
        return fields


class IdentifierField(serializers.CharField):
    """A serial number or Remote ID: trimmed and upper-cased *before* the uniqueness check, so that
    "abc-1" meets the stored "ABC-1" there (a 400) rather than at the database constraint (a 500)."""

    def __init__(self, *, unique_message, **kwargs):
        validators = [UniqueValidator(queryset=Aircraft.objects.all(), message=unique_message)]
        super().__init__(max_length=64, validators=validators, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class AircraftSerializer(UniqueAtSaveMixin, serializers.ModelSerializer):
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


class RestrictedZoneSerializer(UniqueAtSaveMixin, VolumeSerializerMixin, serializers.ModelSerializer):
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class RestrictedZoneSummarySerializer(WithoutAreaUnlessAskedMixin, RestrictedZoneSerializer):
    """A zone in the list (read only)."""


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
