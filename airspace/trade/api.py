"""REST API of trade: parse input, call a service, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from airspace import roles

from .models import ImportedDrone, Shipment
from .selectors import awaiting_registration, drone_chain, stock_for, transfers_for
from .serializers import (
    ImportedDroneSerializer,
    SaleSerializer,
    ShipmentInputSerializer,
    ShipmentSerializer,
    ShipmentUploadSerializer,
    TraceQuerySerializer,
    TransferSerializer,
    check_drones,
    read_shipment_csv,
)
from .services import (
    TRANSFER_ACTS,
    confirm_purchase,
    dealer_required,
    record_shipment,
    request_transfer,
    sell_drone,
)

# A refused shipment names every bad row; a 400 about the request itself (no file, no customs
# reference) has the project's usual field errors instead, so neither part is required.
ROW_PROBLEMS = inline_serializer(
    "ShipmentRowProblems",
    {
        "rows": serializers.IntegerField(required=False),
        "problems": inline_serializer(
            "ShipmentRowProblem",
            {"line": serializers.IntegerField(), "field": serializers.CharField(), "message": serializers.CharField()},
            many=True,
            required=False,
        ),
    },
)


def refused(drones, problems):
    """The 400 of a shipment with any bad row: every row's problem by line and field."""
    return Response({"rows": len(drones), "problems": problems}, status=status.HTTP_400_BAD_REQUEST)


class IsDealerOrReader(BasePermission):
    message = "Only dealers, command staff and air defense see imported drones."

    def has_permission(self, request, view):
        return roles.has_role(request.user, roles.DEALER, roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE)


class ImportedDroneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A dealer sees its own stock and sales; command staff and air defense see every dealer's."""

    serializer_class = ImportedDroneSerializer
    permission_classes = [IsAuthenticated, IsDealerOrReader]
    filterset_fields = ["serial_number", "remote_id"]

    def get_queryset(self):
        return stock_for(self.request.user)

    @extend_schema(request=SaleSerializer, responses={201: SaleSerializer})
    @action(detail=True, methods=["post"])
    def sell(self, request, pk=None):
        dealer_required(request.user)
        serializer = SaleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sale = sell_drone(user=request.user, drone_id=self.get_object().pk, **serializer.validated_data)
        return Response(SaleSerializer(sale).data, status=status.HTTP_201_CREATED)


class ShipmentViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A dealer records a shipment (its drones in the body, or a CSV file with `upload`); nobody else
    creates imports. Staff and air defense read every dealer's shipments."""

    serializer_class = ShipmentSerializer
    permission_classes = [IsAuthenticated, IsDealerOrReader]

    def get_queryset(self):
        shipments = Shipment.objects.select_related("dealer").prefetch_related("drones__sale__buyer_operator")
        if roles.is_command_staff(self.request.user) or roles.is_air_defense(self.request.user):
            return shipments
        return shipments.filter(dealer=roles.dealer_of(self.request.user))

    def _created(self, shipment):
        shipment = self.get_queryset().get(pk=shipment.pk)  # its drones read in one query, not one each
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ShipmentInputSerializer, responses={201: ShipmentSerializer, 400: ROW_PROBLEMS})
    def create(self, request, *args, **kwargs):
        dealer_required(request.user)
        serializer = ShipmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        drones, problems = check_drones(serializer.validated_data.pop("drones"))
        if problems:
            return refused(drones, problems)
        shipment = record_shipment(user=request.user, drones=drones, **serializer.validated_data)
        return self._created(shipment)

    @extend_schema(
        request={"multipart/form-data": ShipmentUploadSerializer},
        responses={200: ROW_PROBLEMS, 201: ShipmentSerializer, 400: ROW_PROBLEMS},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        """A CSV file of the shipment's drones: every row checked, then all imported or none. With
        `dry_run` nothing is imported and a 200 says how many rows would be."""
        dealer_required(request.user)
        serializer = ShipmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.pop("file")
        dry_run = serializer.validated_data.pop("dry_run")
        rows, file_problem = read_shipment_csv(upload)
        if file_problem:
            raise ValidationError({field: [message] for field, message in file_problem.items()})
        lines = [line for line, _ in rows]
        drones, problems = check_drones([row for _, row in rows], line_of=lines.__getitem__)
        if problems:
            return refused(drones, problems)
        if dry_run:
            return Response({"rows": len(drones), "problems": []})
        shipment = record_shipment(user=request.user, drones=drones, **serializer.validated_data)
        return self._created(shipment)


class AwaitingRegistrationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Drones sold to the caller's operator organization, awaiting its confirmation."""

    # An id is a number: anything else is a 404 at the router, never a lookup that fails later.
    lookup_value_regex = "[0-9]+"

    serializer_class = ImportedDroneSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator
            return ImportedDrone.objects.none()
        if not roles.is_operator(self.request.user):
            raise PermissionDenied("Only operators have drones awaiting their registration.")
        return awaiting_registration(roles.operator_of(self.request.user))

    @extend_schema(
        request=None, responses={201: inline_serializer("Confirmed", {"aircraft": serializers.IntegerField()})}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Register the drone from its sale: nothing typed again; command staff then verify it."""
        aircraft = confirm_purchase(user=request.user, drone_id=pk)
        return Response({"aircraft": aircraft.pk}, status=status.HTTP_201_CREATED)


class TransferViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """An owner offers a drone to another operator (by its name); that operator accepts or declines;
    the owner may cancel while it waits. Command staff see every transfer."""

    serializer_class = TransferSerializer
    permission_classes = [IsAuthenticated, roles.IsOperatorOrCommandStaff]
    filterset_fields = ["state"]

    def get_queryset(self):
        return transfers_for(self.request.user).prefetch_related("history__actor")

    def perform_create(self, serializer):
        serializer.instance = request_transfer(
            user=self.request.user,
            aircraft_id=serializer.validated_data["aircraft"].pk,
            to_operator=serializer.validated_data["to_operator"],
        )

    def _act(self, request, name):
        transfer = TRANSFER_ACTS[name](transfer_id=self.get_object().pk, user=request.user)
        return Response(TransferSerializer(self.get_queryset().get(pk=transfer.pk)).data)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The drone becomes the buyer's; the seller's permits in effect for it are cancelled."""
        return self._act(request, "accept")

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(request, "decline")

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(request, "cancel")


class TraceView(APIView):
    """The chain of a drone's life for a serial number or Remote ID: imported by, sold to,
    registered by, verified, transferred to — with dates. For command staff and air defense."""

    permission_classes = [IsAuthenticated, roles.IsStaffOrAirDefense]

    @extend_schema(
        parameters=[OpenApiParameter("identifier", str, required=True, description="Serial number or Remote ID")],
        responses=inline_serializer(
            "DroneChain",
            {
                "serial_number": serializers.CharField(),
                "remote_id": serializers.CharField(),
                "manufacturer": serializers.CharField(),
                "model": serializers.CharField(),
                "operator": serializers.CharField(allow_null=True),
                "aircraft_status": serializers.CharField(allow_null=True),
                "events": inline_serializer(
                    "DroneChainEvent",
                    {"event": serializers.CharField(), "at": serializers.CharField(), "text": serializers.CharField()},
                    many=True,
                ),
            },
        ),
    )
    def get(self, request):
        query = TraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chain = drone_chain(query.validated_data["identifier"])
        if chain is None:
            raise NotFound("Nothing on record for this serial number or Remote ID.")
        return Response(chain)
