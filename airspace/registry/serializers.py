"""API serializers of the registry."""

from decimal import Decimal

from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from airspace.web.fields import UniqueAtSaveMixin

from .identifiers import normalize_identifier
from .models import Aircraft


class IdentifierField(serializers.CharField):
    """A serial number or Remote ID: normalized (identifiers.py) *before* the uniqueness check, so that
    "abc-1" meets the stored "ABC-1" there (a 400) rather than at the database constraint (a 500)."""

    def __init__(self, *, unique_message, **kwargs):
        validators = [UniqueValidator(queryset=Aircraft.objects.all(), message=unique_message)]
        super().__init__(max_length=64, validators=validators, **kwargs)

    def to_internal_value(self, data):
        return normalize_identifier(super().to_internal_value(data))


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
    # Where it came from, when a dealer imported it (airspace/trade): the registry does not import
    # trade, it reads the record trade links to it.
    imported_by = serializers.SerializerMethodField()
    sold_to = serializers.SerializerMethodField()

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
            "imported_by",
            "sold_to",
        ]
        read_only_fields = ["id", "operator", "status", "created_at"]

    def get_imported_by(self, aircraft) -> str | None:
        imported = getattr(aircraft, "imported_drone", None)
        return imported.shipment.dealer.name if imported else None

    def get_sold_to(self, aircraft) -> str | None:
        sale = getattr(getattr(aircraft, "imported_drone", None), "sale", None)
        return sale.buyer if sale else None
