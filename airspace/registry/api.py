"""REST API of the registry: parse input, call a service, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from airspace import roles

from .models import WHERE_IT_CAME_FROM, Aircraft
from .serializers import AircraftSerializer
from .services import suspend_aircraft, verify_aircraft


class AircraftViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Operators register and see their own aircraft; command staff see all and verify or suspend."""

    serializer_class = AircraftSerializer
    permission_classes = [IsAuthenticated, roles.IsOperatorOrCommandStaff]
    # Identifier filters match any spelling: the model field normalizes the looked-up value.
    filterset_fields = ["status", "category", "serial_number", "remote_id"]

    def get_queryset(self):
        aircraft = Aircraft.objects.select_related("operator").select_related(*WHERE_IT_CAME_FROM)
        if roles.is_command_staff(self.request.user):
            return aircraft
        return aircraft.filter(operator=roles.operator_of(self.request.user))

    def perform_create(self, serializer):
        operator = roles.operator_of(self.request.user)
        if operator is None:
            raise PermissionDenied("Only a user who flies for an operator may register aircraft.")
        serializer.save(operator=operator)

    @extend_schema(request=None, responses=AircraftSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        aircraft = verify_aircraft(aircraft_id=self.get_object().pk, officer=request.user)
        return Response(AircraftSerializer(aircraft).data)

    @extend_schema(request=None, responses=AircraftSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        aircraft = suspend_aircraft(aircraft_id=self.get_object().pk, officer=request.user)
        return Response(AircraftSerializer(aircraft).data)
