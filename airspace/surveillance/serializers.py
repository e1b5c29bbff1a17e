"""Serializers of tracks and of the sensor report batch (the latter for the OpenAPI schema only:
the batch is checked by reports.py beside this, which is what the hot path can afford)."""

from rest_framework import serializers

from .models import Classification, Track


class TrackSerializer(serializers.ModelSerializer):
    sensor = serializers.CharField(source="sensor.name", default=None, allow_null=True, read_only=True)
    aircraft_serial_number = serializers.CharField(
        source="aircraft.serial_number", default=None, allow_null=True, read_only=True
    )
    operator = serializers.CharField(source="aircraft.operator.name", default=None, allow_null=True, read_only=True)
    permit = serializers.CharField(source="permit.reference", default=None, allow_null=True, read_only=True)
    zone = serializers.CharField(source="zone.name", default=None, allow_null=True, read_only=True)
    zone_kind = serializers.CharField(source="zone.kind", default=None, allow_null=True, read_only=True)
    hostile = serializers.BooleanField(source="is_hostile", read_only=True)

    class Meta:
        model = Track
        fields = [
            "id",
            "identity",
            "classification",
            "hostile",
            "classification_changed_at",
            "sensor",
            "sensor_track_id",
            "remote_id",
            "aircraft_serial_number",
            "operator",
            "permit",
            "zone",
            "zone_kind",
            "last_lat",
            "last_lon",
            "last_altitude_m",
            "last_observed_at",
            "first_seen_at",
        ]
        read_only_fields = fields


class PositionReportInSerializer(serializers.Serializer):
    sensor_track_id = serializers.CharField(max_length=100)
    observed_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; not in the future.")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    altitude_m = serializers.FloatField(help_text="Metres above ground.")
    remote_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    speed_mps = serializers.FloatField(required=False, allow_null=True, min_value=0)
    heading_deg = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=360)


class ReportBatchInSerializer(serializers.Serializer):
    reports = PositionReportInSerializer(many=True)


class ReportOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    sensor_track_id = serializers.CharField()
    track = serializers.IntegerField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    permit = serializers.CharField(allow_null=True, help_text="Reference of the permit the report relates to.")
    zone = serializers.CharField(allow_null=True, help_text="Name of the restricted zone the report is inside.")


class ReportBatchOutSerializer(serializers.Serializer):
    results = ReportOutcomeSerializer(many=True)
