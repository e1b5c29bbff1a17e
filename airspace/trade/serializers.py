"""API serializers of trade, and the check of a shipment: each drone (one row of a CSV file, or one
item of the API's list) passes the same serializer, then the identifiers are checked against each
other and against the records in two queries — every problem reported by line and field."""

import csv
import io
from decimal import Decimal

from rest_framework import serializers

from airspace.registry.identifiers import normalize_identifier
from airspace.registry.models import Aircraft, Operator

from .models import ImportedDrone, Sale, Shipment, Transfer, TransferTransitionLog

# A shipment is hundreds of drones, not a warehouse: the upload is checked and written in one request.
MAX_SHIPMENT_DRONES = 2000
MAX_CSV_BYTES = 2 * 1024 * 1024
CSV_COLUMNS = ["serial_number", "remote_id", "manufacturer", "model", "category", "mtow_kg"]


class IdentifierField(serializers.CharField):
    """A serial number or Remote ID, normalized by the registry's one rule (identifiers.py)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data):
        return normalize_identifier(super().to_internal_value(data))


class ImportedDroneSerializer(serializers.ModelSerializer):
    """One drone of a shipment, as the dealer declares it (uniqueness: `check_identifiers`)."""

    serial_number = IdentifierField()
    remote_id = IdentifierField(help_text="Remote ID broadcast identifier")
    mtow_kg = serializers.DecimalField(
        max_digits=7, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("1000")
    )
    dealer = serializers.CharField(source="shipment.dealer.name", read_only=True)
    customs_reference = serializers.CharField(source="shipment.customs_reference", read_only=True)
    imported_on = serializers.DateField(source="shipment.imported_on", read_only=True)
    sold_to = serializers.SerializerMethodField()
    sold_on = serializers.SerializerMethodField()
    # None until the buyer confirms it into the registry.
    aircraft = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = ImportedDrone
        fields = [
            "id",
            "serial_number",
            "remote_id",
            "manufacturer",
            "model",
            "category",
            "mtow_kg",
            "dealer",
            "customs_reference",
            "imported_on",
            "sold_to",
            "sold_on",
            "aircraft",
        ]
        read_only_fields = ["id", "aircraft"]

    def get_sold_to(self, drone) -> str | None:
        sale = getattr(drone, "sale", None)
        return sale.buyer if sale else None

    def get_sold_on(self, drone) -> str | None:
        sale = getattr(drone, "sale", None)
        return sale.sold_on.isoformat() if sale else None


def check_identifiers(rows, *, line_of):
    """Problems of identifiers across a shipment, as [(row index, field, message)]: the same one
    twice in the file, or one already imported or registered (two queries for the whole shipment)."""
    problems = []
    for field, label in (("serial_number", "serial number"), ("remote_id", "Remote ID")):
        values = [row.get(field) for row in rows]
        first_at = {}
        for index, value in enumerate(values):
            if value is None:
                continue
            if value in first_at:
                problems.append((index, field, f"This {label} is also on line {line_of(first_at[value])}."))
            else:
                first_at[value] = index
        known = {value for value in values if value}
        imported = set(ImportedDrone.objects.filter(**{f"{field}__in": known}).values_list(field, flat=True))
        registered = set(Aircraft.objects.filter(**{f"{field}__in": known}).values_list(field, flat=True))
        for index, value in enumerate(values):
            if value in imported:
                problems.append((index, field, f"A drone with this {label} was already imported."))
            elif value in registered:
                problems.append((index, field, f"An aircraft with this {label} is already registered."))
    return problems


def check_drones(items, *, line_of=lambda index: index + 1):
    """(validated drones, problems): each item through ImportedDroneSerializer, then the identifiers
    across them. Problems are {"line", "field", "message"}, in line order; none means all are valid."""
    validated, problems = [], []
    # One serializer for every row, as DRF's ListSerializer does: building its fields once rather
    # than per row is most of the time of a 500-row shipment.
    row = ImportedDroneSerializer()
    for index, item in enumerate(items):
        try:
            validated.append(row.run_validation(item))
        except serializers.ValidationError as invalid:
            validated.append({})
            detail = invalid.detail if isinstance(invalid.detail, dict) else {"non_field_errors": invalid.detail}
            for field, messages in detail.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    problems.append({"line": line_of(index), "field": field, "message": str(message)})
    for index, field, message in check_identifiers(validated, line_of=line_of):
        problems.append({"line": line_of(index), "field": field, "message": message})
    column = {name: position for position, name in enumerate(CSV_COLUMNS)}
    problems.sort(key=lambda problem: (problem["line"], column.get(problem["field"], len(column))))
    return validated, problems


def read_shipment_csv(upload):
    """The rows of an uploaded CSV file (a header line naming CSV_COLUMNS, then one drone a line) as
    (rows, {"file": message} or {}). Lines are numbered as in the file: the header is line 1."""
    if upload is None:
        return [], {"file": "Choose the shipment's CSV file."}
    if upload.size > MAX_CSV_BYTES:
        return [], {"file": f"The file may be at most {MAX_CSV_BYTES // (1024 * 1024)} MB."}
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], {"file": "The file is not UTF-8 text: save it as CSV (UTF-8)."}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        return [], {
            "file": f"The first line must name the columns {', '.join(CSV_COLUMNS)}; missing: {', '.join(missing)}."
        }
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if not any((value or "").strip() for key, value in row.items() if key in CSV_COLUMNS):
                continue  # a blank line
            rows.append((reader.line_num, {name: (row.get(name) or "").strip() for name in CSV_COLUMNS}))
            if len(rows) > MAX_SHIPMENT_DRONES:
                return [], {"file": f"A shipment may have at most {MAX_SHIPMENT_DRONES:,} drones."}
    except csv.Error as broken:
        return [], {"file": f"Line {reader.line_num} is not valid CSV: {broken}."}
    if not rows:
        return [], {"file": "The file has no drones after its header line."}
    return rows, {}


class ShipmentSerializer(serializers.ModelSerializer):
    dealer = serializers.CharField(source="dealer.name", read_only=True)
    customs_reference = serializers.CharField(max_length=64)
    drones = ImportedDroneSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "dealer", "customs_reference", "imported_on", "recorded_at", "drones"]
        read_only_fields = ["id", "dealer", "recorded_at", "drones"]

    def validate_customs_reference(self, value):
        value = value.strip()
        if Shipment.objects.filter(customs_reference=value).exists():
            raise serializers.ValidationError("A shipment with this customs reference is already recorded.")
        return value


class ShipmentInputSerializer(ShipmentSerializer):
    """A shipment with its drones in one JSON body (the CSV upload has its own view)."""

    drones = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=MAX_SHIPMENT_DRONES, write_only=True
    )


class ShipmentUploadSerializer(serializers.Serializer):
    customs_reference = serializers.CharField(max_length=64)
    imported_on = serializers.DateField()
    file = serializers.FileField(help_text=f"CSV with the columns {', '.join(CSV_COLUMNS)}")
    dry_run = serializers.BooleanField(default=False, help_text="Check every row and import nothing")

    validate_customs_reference = ShipmentSerializer.validate_customs_reference


class OperatorNameField(serializers.CharField):
    """An operator organization by its exact name (what a dealer or a seller knows of it)."""

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        # Checked here, not by validators: they would run on the operator this returns, after the query.
        if "\x00" in name:
            raise serializers.ValidationError("Null characters are not allowed.")
        operator = Operator.objects.filter(name=name).first() if len(name) <= 200 else None
        if operator is None:
            raise serializers.ValidationError("No operator organization has this name.")
        return operator

    def to_representation(self, value):
        return value.name


class SaleSerializer(serializers.ModelSerializer):
    serial_number = serializers.CharField(source="drone.serial_number", read_only=True)
    buyer_operator = OperatorNameField(required=False, allow_null=True)
    buyer_national_id = serializers.CharField(required=False, allow_blank=True, max_length=64)

    class Meta:
        model = Sale
        fields = ["id", "drone", "serial_number", "buyer_name", "buyer_national_id", "buyer_operator", "sold_on"]
        read_only_fields = ["id", "drone", "serial_number"]

    def validate(self, attrs):
        if not attrs.get("buyer_national_id") and not attrs.get("buyer_operator"):
            raise serializers.ValidationError(
                {"buyer_national_id": "Give the buyer's national ID number, or the operator that bought it."}
            )
        return attrs


class TransferHistorySerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = TransferTransitionLog
        fields = ["transition", "from_state", "to_state", "actor", "reason", "at"]


class TransferSerializer(serializers.ModelSerializer):
    aircraft = serializers.PrimaryKeyRelatedField(queryset=Aircraft.objects.all())
    serial_number = serializers.CharField(source="aircraft.serial_number", read_only=True)
    from_operator = serializers.StringRelatedField()
    to_operator = OperatorNameField(help_text="The exact name of the operator organization")
    history = TransferHistorySerializer(many=True, read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "aircraft",
            "serial_number",
            "from_operator",
            "to_operator",
            "state",
            "requested_at",
            "decided_at",
            "history",
        ]
        read_only_fields = ["id", "serial_number", "from_operator", "state", "requested_at", "decided_at", "history"]
        # One open transfer per drone is a state the service answers with a 409, not bad input.
        validators = []


class TraceQuerySerializer(serializers.Serializer):
    identifier = IdentifierField(help_text="A serial number or Remote ID")
