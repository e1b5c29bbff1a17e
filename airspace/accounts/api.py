"""The API's sign-in: a username and password exchanged for a token."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from airspace.accounts import sign_in


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
