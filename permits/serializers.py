"""Permit API input and output: the shape of the data, nothing of the workflow."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from airspace import roles
from airspace.registry.models import Aircraft
from airspace.web.fields import (
    FREE_TEXT_MAX_LENGTH,
    AwareDateTimeField,
    PlaceFieldsMixin,
    VolumeSerializerMixin,
    WithoutAreaUnlessAskedMixin,
)

from .models import FlightPermit, PermitTransitionLog, window_problems
from .selectors import conformance_record
from .services import DECISIONS, available_transitions
from .signing import qr_png_base64, qr_svg


class ConformanceSerializer(serializers.Serializer):
    excursions = serializers.IntegerField(help_text="Spells outside the volume or window, so far.")
    escalated = serializers.IntegerField(help_text="Of which escalated to hostile.")
    longest_s = serializers.FloatField()
    farthest_m = serializers.FloatField(help_text="Metres from the volume at the farthest.")
    excursions_last_hour = serializers.IntegerField(help_text="Started in the last hour (ASTM F3548: at most 18).")
    outside_since = serializers.DateTimeField(allow_null=True, help_text="Outside now, since then; null: inside.")


class OwnAircraftField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "No aircraft {pk_value} among yours: choose one of your own aircraft.",
    }

    def get_queryset(self):
        request = self.context.get("request")
        return Aircraft.objects.filter(operator=roles.operator_of(request.user) if request else None)


class FlightPermitSerializer(PlaceFieldsMixin, VolumeSerializerMixin, serializers.ModelSerializer):
    place_boundary = "boundary"
    aircraft = OwnAircraftField()
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    operator = serializers.StringRelatedField(read_only=True)
    aircraft_serial_number = serializers.CharField(source="aircraft.serial_number", read_only=True)
    # Null until someone reviews or decides: the schema must say so, or generated clients reject the answer.
    reviewer = serializers.StringRelatedField(read_only=True, allow_null=True)
    decided_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    available_transitions = serializers.SerializerMethodField()
    requires_senior_approval = serializers.BooleanField(read_only=True)
    needs_senior = serializers.BooleanField(
        read_only=True, help_text="Referred to a senior officer by an officer who may not approve it."
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True, help_text="The state in words.")
    zones = serializers.SerializerMethodField()
    conformance = serializers.SerializerMethodField(help_text="How the flight kept to its volume and window.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)

    class Meta:
        model = FlightPermit
        fields = [
            "id", "reference", "state", "state_label", "operator", "aircraft", "aircraft_serial_number", "purpose",
            "description", "area", "radius_m", "place", "mgrs", "min_altitude_m", "max_altitude_m", "starts_at",
            "ends_at", "available_transitions", "reviewer", "decided_by", "decided_at", "decision_reason",
            "requires_senior_approval", "needs_senior", "zones", "conformance", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "reference", "state", "operator", "reviewer", "decided_by", "decided_at", "decision_reason",
            "created_at", "updated_at",
        ]  # fmt: skip

    altitude_ceiling_m = None  # the ceiling is a submission rule (settings.PERMIT_MAX_ALTITUDE_M)

    def validate(self, attrs):
        # The volume's problems and the window's together: one answer names everything to fix.
        errors = {}
        try:
            attrs = super().validate(attrs)
        except serializers.ValidationError as invalid:
            errors = dict(invalid.detail)
        starts_at = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends_at = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if ("starts_at" in attrs or "ends_at" in attrs) and starts_at is not None and ends_at is not None:
            for field, message in window_problems(starts_at, ends_at).items():
                errors.setdefault(field, []).append(message)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def get_available_transitions(self, permit) -> list[str]:
        request = self.context.get("request")
        return available_transitions(permit, request.user) if request else []

    @extend_schema_field(ConformanceSerializer)
    def get_conformance(self, permit):
        return ConformanceSerializer(conformance_record(permit)).data

    def get_zones(self, permit) -> list[dict]:
        touched = permit.prohibited_zones + permit.restricted_zones
        return [{"id": zone.id, "name": zone.name, "kind": zone.kind} for zone in touched]


class FlightPermitSummarySerializer(WithoutAreaUnlessAskedMixin, FlightPermitSerializer):
    """A permit in a list (the permits, the review queue); read only."""


class PermitOnMapSerializer(serializers.Serializer):
    """A permit in effect as a map draws it (GET /api/v1/permits/map/): read as plain rows."""

    # The permit's own columns the API reads; `operator` and `aircraft_serial_number` come from the ids.
    PERMIT_COLUMNS = (
        "id", "reference", "state", "operator_id", "aircraft_id", "area", "radius_m", "min_altitude_m",
        "max_altitude_m", "starts_at", "ends_at",
    )  # fmt: skip

    id = serializers.IntegerField()
    reference = serializers.CharField()
    state = serializers.ChoiceField(choices=["approved", "active"])
    operator = serializers.CharField(help_text="The operator's name.")
    aircraft_serial_number = serializers.CharField()
    area = serializers.JSONField(help_text="GeoJSON Polygon, or Point with radius_m.")
    radius_m = serializers.FloatField(allow_null=True)
    min_altitude_m = serializers.FloatField()
    max_altitude_m = serializers.FloatField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class TransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH, default="")


class DecisionRequestSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=DECISIONS,
        error_messages={"invalid_choice": "Choose approve, reject, request_changes or refer."},
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH, default="")


class PermitTransitionLogSerializer(serializers.ModelSerializer):
    """One history row: the codes for machines, and the same in words for people."""

    actor = serializers.SerializerMethodField()
    label = serializers.CharField(read_only=True, help_text="What was done, in words: “Review started”.")
    description = serializers.CharField(
        read_only=True, help_text="The history line in words: “Approved by senior1: “reason””."
    )
    from_state_label = serializers.CharField(source="get_from_state_display", read_only=True)
    to_state_label = serializers.CharField(source="get_to_state_display", read_only=True)

    class Meta:
        model = PermitTransitionLog
        fields = [
            "transition", "label", "from_state", "from_state_label", "to_state", "to_state_label", "actor",
            "reason", "description", "at",
        ]  # fmt: skip

    def get_actor(self, entry) -> str:
        return entry.actor.username if entry.actor else "system"


class SignedPermitSerializer(serializers.Serializer):
    """A permit's signed code (permits/signing.py): the JWS token and its QR code."""

    reference = serializers.CharField(source="permit.reference")
    kid = serializers.CharField(help_text="The key that signed it (RFC 7638 thumbprint)")
    token = serializers.CharField(help_text="JWS compact serialization, EdDSA (Ed25519)")
    signed_at = serializers.DateTimeField()
    qr_svg = serializers.SerializerMethodField(help_text="The QR code of the token, an SVG element")
    qr_png = serializers.SerializerMethodField(help_text="The QR code of the token, a PNG in base64")

    def get_qr_svg(self, signature) -> str:
        return qr_svg(signature.token)

    def get_qr_png(self, signature) -> str:
        return qr_png_base64(signature.token)


class PermitVerifyQuerySerializer(serializers.Serializer):
    """The public check of a signed permit: the token a checkpoint scanned, or the permit's reference."""

    token = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
