"""Incident API input and output: the shape of the data, nothing of the workflow."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from airspace.air_defense.models import WebhookSubscription
from airspace.geometry import GeometryError, parse_area
from airspace.web.fields import FREE_TEXT_MAX_LENGTH, AwareDateTimeField, UniqueAtSaveMixin

from .models import Incident, IncidentTrack, IncidentTransitionLog, Outcome, ResponseUnit, UnitAssignment
from .selectors import identification


class ResponseUnitSerializer(UniqueAtSaveMixin, serializers.ModelSerializer):
    """A unit; `area` (a GeoJSON Polygon, or a Point with `radius_m`) is its area of responsibility."""

    area = serializers.JSONField(required=False, allow_null=True)
    radius_m = serializers.FloatField(required=False, allow_null=True)
    subscription = serializers.PrimaryKeyRelatedField(
        queryset=WebhookSubscription.objects.all(),
        required=False,
        allow_null=True,
        help_text="The unit's own webhook subscription (one that takes only what is addressed to it).",
    )

    class Meta:
        model = ResponseUnit
        fields = ["id", "name", "kind", "area", "radius_m", "subscription", "active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("area") is not None:
            try:
                area = parse_area(attrs["area"], attrs.get("radius_m"))
            except GeometryError as error:
                raise serializers.ValidationError({error.field: [str(error)]}) from error
            attrs["area"], attrs["radius_m"] = area.geojson, area.radius_m
            attrs["boundary"] = area.boundary_geojson
        elif "area" in attrs:
            attrs["radius_m"], attrs["boundary"] = None, None
        return attrs


class UnitAssignmentSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name")
    unit_id = serializers.IntegerField()
    kind = serializers.CharField(source="unit.kind")
    assigned_by = serializers.StringRelatedField()

    class Meta:
        model = UnitAssignment
        fields = ["unit_id", "unit", "kind", "assigned_by", "assigned_at"]
        read_only_fields = fields


class IncidentTrackSerializer(serializers.ModelSerializer):
    identity = serializers.CharField(source="track.identity")
    classification = serializers.CharField(source="track.classification")
    position = serializers.SerializerMethodField()
    aircraft_serial_number = serializers.CharField(source="aircraft.serial_number", allow_null=True, default=None)
    operator = serializers.CharField(source="operator.name", allow_null=True, default=None)
    identified_as = serializers.SerializerMethodField()

    class Meta:
        model = IncidentTrack
        fields = [
            "track",
            "identity",
            "classification",
            "position",
            "joined_at",
            "alerts",
            "aircraft_serial_number",
            "unknown_drone",
            "operator",
            "identified_as",
            "identified_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "altitude_m": {"type": "number"},
                "observed_at": {"type": "string", "format": "date-time"},
            },
        }
    )
    def get_position(self, link):
        track = link.track
        return {
            "lat": track.last_lat,
            "lon": track.last_lon,
            "altitude_m": track.last_altitude_m,
            "observed_at": track.last_observed_at.isoformat(),
        }

    def get_identified_as(self, link) -> str:
        return identification(link)


class IncidentSerializer(serializers.ModelSerializer):
    zone = serializers.CharField(source="zone.name", allow_null=True, default=None)
    closed_by = serializers.StringRelatedField(allow_null=True)
    permit = serializers.CharField(source="permit.reference", allow_null=True, default=None)
    units = UnitAssignmentSerializer(source="assignments", many=True, read_only=True)
    place = serializers.CharField(source="place.place", help_text="Where the first alert was, in words.")
    mgrs = serializers.CharField(source="place.mgrs", help_text="Where the first alert was, in MGRS (1 m).")

    class Meta:
        model = Incident
        fields = [
            "id",
            "state",
            "opened_at",
            "last_alert_at",
            "alerts",
            "lat",
            "lon",
            "place",
            "mgrs",
            "zone",
            "swarm",
            "merged_into",
            "responded_at",
            "closed_at",
            "closed_by",
            "outcome",
            "reason",
            "permit",
            "units",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    tracks = IncidentTrackSerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "tracks"]
        read_only_fields = fields


class IncidentTransitionLogSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = IncidentTransitionLog
        fields = ["transition", "from_state", "to_state", "actor", "reason", "at"]
        read_only_fields = fields


class IncidentTransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=FREE_TEXT_MAX_LENGTH)


class ResolveRequestSerializer(IncidentTransitionRequestSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    permit = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="For 'authorized': the permit reference."
    )


class AssignRequestSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class UnknownDroneInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=FREE_TEXT_MAX_LENGTH)
    remote_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    serial_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class IdentifyRequestSerializer(serializers.Serializer):
    track = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    aircraft = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64, help_text="A registered aircraft's serial number."
    )
    unknown_drone = UnknownDroneInputSerializer(required=False, allow_null=True, default=None)
    operator = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1)


class StatisticsQuerySerializer(serializers.Serializer):
    starts_at = AwareDateTimeField(required=False, help_text="From (default: 12 weeks ago).")
    ends_at = AwareDateTimeField(required=False, help_text="Until (default: now).")
    zone = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def validate(self, attrs):
        if attrs.get("starts_at") and attrs.get("ends_at") and attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "The range must end after it starts."})
        return attrs


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField()
    incidents = serializers.IntegerField()


class ZoneCountSerializer(serializers.Serializer):
    zone = serializers.CharField()
    incidents = serializers.IntegerField()


class OutcomeCountSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()
    incidents = serializers.IntegerField()


class RepeatOperatorSerializer(serializers.Serializer):
    operator = serializers.CharField()
    violations = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    incidents = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Open or responding.")
    resolved = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    per_week = WeekSerializer(many=True)
    per_zone = ZoneCountSerializer(many=True)
    outcomes = OutcomeCountSerializer(many=True)
    median_to_response_s = serializers.FloatField(allow_null=True, help_text="From the first alert to responding.")
    median_to_resolution_s = serializers.FloatField(allow_null=True, help_text="From the first alert to resolved.")
    repeat_operators = RepeatOperatorSerializer(many=True)
