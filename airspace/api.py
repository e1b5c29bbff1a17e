"""REST API of the registry and zones: parse input, call the model or a service, serialize."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action, api_view, permission_classes, throttle_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import roles, sign_in
from .models import Aircraft, RestrictedZone
from .serializers import AircraftSerializer, RestrictedZoneSerializer, ZoneChangeSerializer
from .services import change_zone, deactivate_zone, draw_zone, suspend_aircraft, verify_aircraft


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


@extend_schema(
    request=TokenRequestSerializer,
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([])
def obtain_token(request):
    """Exchange a username and password for an API token."""
    credentials = TokenRequestSerializer(data=request.data)
    credentials.is_valid(raise_exception=True)
    if message := sign_in.refusal(credentials.validated_data["username"], request):
        raise exceptions.Throttled(wait=settings.SIGN_IN_LOCKOUT_S, detail=message)
    user = authenticate(request, **credentials.validated_data)
    if user is None or not user.is_active:
        raise serializers.ValidationError({"password": ["Unknown username or wrong password."]})
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})


class AircraftViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Operators register and see their own aircraft; command staff see all and verify or suspend."""

    serializer_class = AircraftSerializer
    permission_classes = [IsAuthenticated, roles.IsOperatorOrCommandStaff]
    # Identifier filters match any spelling: the model field normalizes the looked-up value.
    filterset_fields = ["status", "category", "serial_number", "remote_id"]

    def get_queryset(self):
        aircraft = Aircraft.objects.select_related("operator")
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


class RestrictedZoneViewSet(viewsets.ModelViewSet):
    """Everyone signed in reads the zones; only command staff create, change or delete them. A
    prohibited zone drawn, widened or re-activated over approved flights revokes them at once; a
    restricted one leaves them for review (airspace/services.py)."""

    queryset = RestrictedZone.objects.all()
    filterset_fields = ["kind", "active"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ZoneChangeSerializer
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
