"""The API's sign-in: a username and password exchanged for an API token, and revoking tokens."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from airspace.accounts import sign_in
from airspace.accounts.services import get_api_token, revoke_api_token, revoke_api_tokens


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
