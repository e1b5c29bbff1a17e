"""REST API of the zones: everyone reads them, command staff change them."""

from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from airspace import roles

from .models import RestrictedZone
from .serializers import RestrictedZoneSerializer
from .services import deactivate_zone


class RestrictedZoneViewSet(viewsets.ModelViewSet):
    """Everyone signed in reads the zones; only command staff create, change or delete them."""

    serializer_class = RestrictedZoneSerializer
    queryset = RestrictedZone.objects.all()
    filterset_fields = ["kind", "active"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff may change restricted zones.")

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

    def destroy(self, request, *args, **kwargs):
        deactivate_zone(zone_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
