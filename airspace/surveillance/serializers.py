"""Serializers of tracks, sensors and swarms, and of the sensor report batch (the latter for the
OpenAPI schema only: the batch is checked by reports.py beside this, which is what the hot path can
afford)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from airspace.geometry import GeometryError, parse_area
from airspace.web.fields import PlaceFieldsMixin

from .models import Classification, Sensor, Swarm, Track

# A sensor's own stale and offline times: at least one clock tick, at most a day.
MIN_SILENCE_S = 5
MAX_SILENCE_S = 86_400


class OperatorPositionSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    altitude_m = serializers.FloatField(allow_null=True)
    observed_at = serializers.DateTimeField(allow_null=True)


class TrackSerializer(PlaceFieldsMixin, serializers.ModelSerializer):
    place_position = ("last_lat", "last_lon")
    sensor = serializers.CharField(source="sensor.name", default=None, allow_null=True, read_only=True)
    aircraft_serial_number = serializers.CharField(
        source="aircraft.serial_number", default=None, allow_null=True, read_only=True
    )
    operator = serializers.CharField(source="aircraft.operator.name", default=None, allow_null=True, read_only=True)
    permit = serializers.CharField(source="permit.reference", default=None, allow_null=True, read_only=True)
    zone = serializers.CharField(source="zone.name", default=None, allow_null=True, read_only=True)
    zone_kind = serializers.CharField(source="zone.kind", default=None, allow_null=True, read_only=True)
    hostile = serializers.SerializerMethodField(help_text="Hostile by its class, or a nonconforming flight escalated.")
    escalated = serializers.SerializerMethodField(
        help_text="A nonconforming flight escalated to hostile (outside too long, too far, or in a zone)."
    )
    sensor_health = serializers.CharField(source="sensor.health", default=None, allow_null=True, read_only=True)
    sensor_offline = serializers.SerializerMethodField(help_text="Last seen by a sensor that is now offline.")
    operator_position = serializers.SerializerMethodField(
        help_text="Where the pilot was last reported (Remote ID operator location): lat, lon, altitude_m, "
        "observed_at; null if the drone never said."
    )

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
            "place",
            "mgrs",
            "last_altitude_m",
            "last_observed_at",
            "first_seen_at",
            "contact_lost_at",
            "escalated",
            "sensor_health",
            "sensor_offline",
            "operator_position",
        ]
        read_only_fields = fields

    def get_escalated(self, track) -> bool:
        # Annotated by the tracks API in one query (TrackViewSet); False elsewhere.
        return bool(getattr(track, "escalated", False))

    def get_hostile(self, track) -> bool:
        return track.is_hostile or self.get_escalated(track)

    def get_sensor_offline(self, track) -> bool:
        return track.sensor is not None and track.sensor.is_offline

    @extend_schema_field(OperatorPositionSerializer(allow_null=True))
    def get_operator_position(self, track):
        return track.operator_position


class OperatorInSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    altitude_m = serializers.FloatField(required=False, allow_null=True)


class TrailPositionSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    altitude_m = serializers.FloatField()
    observed_at = serializers.DateTimeField()


class TrackTrailSerializer(serializers.Serializer):
    """A track's last positions, oldest first (the tracks API's `trails`)."""

    track = serializers.IntegerField(help_text="The track's id.")
    positions = TrailPositionSerializer(many=True)


class PositionReportInSerializer(serializers.Serializer):
    sensor_track_id = serializers.CharField(max_length=100)
    observed_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; not in the future.")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    altitude_m = serializers.FloatField(help_text="Metres above ground.")
    remote_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    speed_mps = serializers.FloatField(required=False, allow_null=True, min_value=0)
    heading_deg = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=360)
    operator = OperatorInSerializer(
        required=False, allow_null=True, help_text="Where the pilot is, if the sensor knows (Remote ID)."
    )


class ReportBatchInSerializer(serializers.Serializer):
    reports = PositionReportInSerializer(many=True)


class RemoteIdInSerializer(serializers.Serializer):
    """For the OpenAPI schema: the shapes are the standards' own (docs/REMOTE_ID.md); remote_id.py checks them."""

    flights = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="ASTM F3411-22a RIDFlight objects."
    )
    flight_details = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="ASTM F3411-22a RIDFlightDetails, by flight id."
    )
    uas_data = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="OpenDroneID message sets: BasicID, Location, System, OperatorID, SelfID (opendroneid-core-c names).",
    )
    received_at = serializers.DateTimeField(
        required=False, help_text="When the receiver heard the uas_data (its Location TimeStamp is after the hour)."
    )


class ReportOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    sensor_track_id = serializers.CharField()
    track = serializers.IntegerField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    permit = serializers.CharField(allow_null=True, help_text="Reference of the permit the report relates to.")
    zone = serializers.CharField(allow_null=True, help_text="Name of the restricted zone the report is inside.")


class ReportBatchOutSerializer(serializers.Serializer):
    results = ReportOutcomeSerializer(many=True)


class SensorSerializer(serializers.ModelSerializer):
    """A sensor with its coverage (a GeoJSON Polygon, or a Point with `coverage_radius_m`, as zones
    are drawn), its reporting expectation and its health. Command staff set the coverage and the
    expectation; the health is the clock's."""

    coverage_area = serializers.JSONField(required=False, allow_null=True)
    coverage_radius_m = serializers.FloatField(required=False, allow_null=True)
    stale_after_s = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=MIN_SILENCE_S,
        max_value=MAX_SILENCE_S,
        help_text="Silent this long, the sensor is stale (empty: SENSOR_STALE_S).",
    )
    offline_after_s = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=MIN_SILENCE_S,
        max_value=MAX_SILENCE_S,
        help_text="Silent this long, it is offline and air defense is told (empty: SENSOR_OFFLINE_S).",
    )
    effective_stale_after_s = serializers.FloatField(source="stale_after", read_only=True)
    effective_offline_after_s = serializers.FloatField(source="offline_after", read_only=True)

    class Meta:
        model = Sensor
        fields = [
            "id",
            "name",
            "kind",
            "lat",
            "lon",
            "active",
            "coverage_area",
            "coverage_radius_m",
            "coverage_boundary",
            "stale_after_s",
            "offline_after_s",
            "effective_stale_after_s",
            "effective_offline_after_s",
            "health",
            "health_changed_at",
            "last_heard_at",
        ]
        read_only_fields = ["id", "name", "coverage_boundary", "health", "health_changed_at", "last_heard_at"]
        extra_kwargs = {
            "lat": {"min_value": -90, "max_value": 90},
            "lon": {"min_value": -180, "max_value": 180},
        }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        errors = {}
        if "coverage_area" in attrs or "coverage_radius_m" in attrs:
            area = attrs.get("coverage_area", getattr(self.instance, "coverage_area", None))
            # A new area comes with its own radius (or none): the stored radius was the old circle's.
            radius_m = attrs.get("coverage_radius_m", getattr(self.instance, "coverage_radius_m", None))
            if "coverage_area" in attrs and "coverage_radius_m" not in attrs:
                radius_m = None
            if area is None:
                if radius_m is not None:
                    errors["coverage_radius_m"] = ["A radius needs a Point coverage_area, its centre."]
                attrs.update(coverage_area=None, coverage_radius_m=None, coverage_boundary=None)
            else:
                try:
                    parsed = parse_area(area, radius_m, max_vertices=settings.MAX_AREA_VERTICES)
                except GeometryError as exc:
                    errors[f"coverage_{exc.field}"] = [str(exc)]
                else:
                    attrs.update(
                        coverage_area=parsed.geojson,
                        coverage_radius_m=parsed.radius_m,
                        coverage_boundary=parsed.boundary_geojson,
                    )
        stale = attrs.get("stale_after_s", getattr(self.instance, "stale_after_s", None)) or settings.SENSOR_STALE_S
        offline = (
            attrs.get("offline_after_s", getattr(self.instance, "offline_after_s", None)) or settings.SENSOR_OFFLINE_S
        )
        if ("stale_after_s" in attrs or "offline_after_s" in attrs) and offline <= stale:
            errors["offline_after_s"] = [f"Must be longer than the stale time ({stale:g} s)."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class HeartbeatSerializer(serializers.Serializer):
    """What a heartbeat answers: the sensor's health and what is expected of it."""

    sensor = serializers.CharField(source="name")
    health = serializers.ChoiceField(choices=Sensor.Health.choices)
    last_heard_at = serializers.DateTimeField()
    stale_after_s = serializers.FloatField(source="stale_after")
    offline_after_s = serializers.FloatField(source="offline_after")


class SwarmSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField()
    tracks = serializers.SerializerMethodField(help_text="The member tracks where they were last seen.")

    class Meta:
        model = Swarm
        fields = [
            "id",
            "active",
            "size",
            "largest_size",
            "centre_lat",
            "centre_lon",
            "radius_m",
            "detected_at",
            "last_seen_at",
            "ended_at",
            "track_ids",
            "tracks",
        ]
        read_only_fields = fields

    def get_active(self, swarm) -> bool:
        return swarm.ended_at is None

    def get_tracks(self, swarm) -> list[dict]:
        tracks = self.context.get("tracks_by_id", {})
        return [
            {
                "id": track.pk,
                "sensor_track_id": track.sensor_track_id,
                "classification": track.classification,
                "last_lat": track.last_lat,
                "last_lon": track.last_lon,
                "last_altitude_m": track.last_altitude_m,
                "last_observed_at": track.last_observed_at,
            }
            for track in (tracks.get(pk) for pk in swarm.track_ids)
            if track is not None
        ]
