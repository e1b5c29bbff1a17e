"""REST API of the registry and zones: parse input, call the model or a service, serialize."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import roles, sign_in
from .api_tokens import get_api_token, revoke_api_token, revoke_api_tokens
from .models import Aircraft, RestrictedZone
from .serializers import AircraftSerializer, RestrictedZoneSerializer
from .services import deactivate_zone, suspend_aircraft, verify_aircraft


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)


RevokedSerializer = inline_serializer("TokensRevoked", {"revoked": serializers.IntegerField()})


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: inline_serializer(
            "TokenResponse", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}
        ),
        400: OpenApiResponse(description="A field is missing or too long, or the username or password is wrong."),
        429: OpenApiResponse(
            description="This username failed too often, or this address tries too fast: wait `Retry-After` seconds."
        ),
    },
)
@api_view(["POST"])
@authentication_classes([])  # a password is the credential here, whatever Authorization header comes along
@permission_classes([AllowAny])
@throttle_classes([sign_in.SignInAddressThrottle])
def obtain_token(request):
    """Exchange a username and password for an API token, sent as `Authorization: Token <key>` until
    it expires. A username that failed too often is refused for a while (429)."""
    credentials = TokenRequestSerializer(data=request.data)
    credentials.is_valid(raise_exception=True)
    user = authenticate(request, **credentials.validated_data)
    if user is None:
        # django-axes marks the request when this username is (now) locked out.
        if getattr(request, "axes_locked_out", False):
            raise exceptions.Throttled(wait=sign_in.lockout_seconds(request), detail=sign_in.lockout_message(request))
        raise serializers.ValidationError({"password": ["Unknown username or wrong password."]})
    token = get_api_token(user=user)
    return Response({"token": token.key, "expires": serializers.DateTimeField().to_representation(token.expires)})


@extend_schema(request=None, responses={200: RevokedSerializer, 401: OpenApiResponse(description="No valid token.")})
@api_view(["POST"])
@authentication_classes([TokenAuthentication])  # the token to revoke is the one this request carries
@permission_classes([IsAuthenticated])
def revoke_token(request):
    """Revoke the API token this request is made with: it answers 401 from now on."""
    return Response({"revoked": revoke_api_token(token=request.auth)})


@extend_schema(request=None, responses=RevokedSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def revoke_all_tokens(request):
    """Revoke every API token of the signed-in user (with a token or the browser session)."""
    return Response({"revoked": revoke_api_tokens(user=request.user)})


class AircraftViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Operators register and see their own aircraft; command staff see all and verify or suspend."""

    serializer_class = AircraftSerializer
    permission_classes = [IsAuthenticated, roles.IsOperatorOrCommandStaff]
    filterset_fields = ["status", "category"]

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
