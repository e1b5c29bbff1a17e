"""DRF fields and mixins shared by the API of several domains: a 4D volume's area and altitude band
(zones and permits), the bound on free text, a save that turns a lost uniqueness race into a 400,
lists without the area, a date-time that must carry its time zone, and where a thing is in words
and MGRS."""

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import serializers

from airspace.geometry import GeometryError, parse_area, validate_altitude_band

from .places import where, where_area

# The longest free text a person writes here (a permit's description, a zone's, a decision's reason):
# a few paragraphs. The columns are unbounded text, so the API and the pages check it.
FREE_TEXT_MAX_LENGTH = 2000


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
    """An item of a list (airspace.web.filters.AreaOnRequestMixin): `area` and `radius_m` only when
    the request asked for them; optional in the schema, which documents them for that case."""

    area = serializers.JSONField(required=False, help_text=AREA_ON_REQUEST)
    radius_m = serializers.FloatField(required=False, allow_null=True, help_text=AREA_ON_REQUEST)

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("include_area", True):
            fields.pop("area")
            fields.pop("radius_m")
        return fields


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


PLACE_HELP = 'Where it is, in words ("3.2 km NE of Hit, Al Anbar"; an area: its centre), computed offline.'
MGRS_HELP = 'Its MGRS position at 1 m ("38S MB 44123 88734"; an area: its centre).'


class PlaceFieldsMixin(serializers.Serializer):
    """`place` and `mgrs` of a position (`place_position`: lat, lon) or an area (`place_boundary`: the
    serializer's object's attribute holding its GeoJSON footprint). Add both names to Meta.fields."""

    place = serializers.SerializerMethodField(help_text=PLACE_HELP)
    mgrs = serializers.SerializerMethodField(help_text=MGRS_HELP)

    place_position = None  # (lat attribute, lon attribute)
    place_boundary = None  # the boundary attribute

    def _where(self, instance) -> dict:
        if self.place_position:
            lat, lon = self.place_position
            return where(getattr(instance, lat), getattr(instance, lon))
        return where_area(getattr(instance, self.place_boundary, None))

    def get_place(self, instance) -> str | None:
        return self._where(instance)["place"]

    def get_mgrs(self, instance) -> str | None:
        return self._where(instance)["mgrs"]
