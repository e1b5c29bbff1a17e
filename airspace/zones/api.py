"""REST API of the zones: everyone reads them, command staff change them."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from airspace import roles
from airspace.web.filters import INCLUDE_AREA, AreaOnRequestMixin

from .models import RestrictedZone
from .serializers import RestrictedZoneSerializer, RestrictedZoneSummarySerializer, ZoneChangeSerializer
from .services import change_zone, deactivate_zone, draw_zone


@extend_schema_view(list=extend_schema(parameters=[INCLUDE_AREA]))
class RestrictedZoneViewSet(AreaOnRequestMixin, viewsets.ModelViewSet):
    """Everyone signed in reads the zones; only command staff create, change or delete them. A
    prohibited zone drawn, widened or re-activated over approved flights revokes them at once; a
    restricted one leaves them for review (permits/services.py: apply_zone_to_permits_in_effect)."""

    queryset = RestrictedZone.objects.all()
    filterset_fields = ["kind", "active"]
    area_columns = ("area", "boundary")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ZoneChangeSerializer
        if self.action in self.list_actions:
            return RestrictedZoneSummarySerializer
        return RestrictedZoneSerializer

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff may change restricted zones.")

    def perform_create(self, serializer):
        serializer.instance = draw_zone(officer=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = change_zone(
            zone_id=serializer.instance.pk, officer=self.request.user, **serializer.validated_data
        )

    def destroy(self, request, *args, **kwargs):
        deactivate_zone(zone_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
