"""The air defense API: the notification inbox and its acknowledgement, the live stream as
Server-Sent Events (who may open one; the stream itself is stream_events.py), and the
webhook subscriptions of C2 systems. Air defense role only."""

import copy
import json
import uuid
from functools import partial
from importlib import import_module

import django_filters
import redis
from django.conf import settings
from django.contrib import auth
from django.db.models import Q
from django.utils.functional import SimpleLazyObject
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from airspace import roles
from airspace.air_defense import stream_slots
from airspace.web.filters import UtcIsoDateTimeFilter

from .models import AirDefenseNotification, WebhookSubscription
from .serializers import (
    CreatedWebhookSubscriptionSerializer,
    NotificationDetailSerializer,
    NotificationSerializer,
    WebhookSubscriptionSerializer,
)
from .services import acknowledge_notification, subscribe_webhook
from .stream_events import open_stream

TRUE_FALSE = (("true", "true"), ("false", "false"), ("1", "1"), ("0", "0"))


class NotificationFilter(django_filters.FilterSet):
    since = UtcIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Only notifications created at or after this ISO 8601 time (URL-encode a '+' offset, or use Z).",
    )
    unacknowledged = django_filters.ChoiceFilter(
        choices=TRUE_FALSE,
        method="filter_unacknowledged",
        help_text=(
            "true: only those waiting for an acknowledgement (warning or critical, nobody acknowledged yet); "
            "false: the others (acknowledged, or info, which needs none)."
        ),
    )
    # distinct=False: a column of the row itself repeats no row, and DISTINCT over the JSON payload made
    # PostgreSQL sort every match (the console's count of hostile alerts waiting).
    kind = django_filters.MultipleChoiceFilter(
        choices=AirDefenseNotification.Kind.choices,
        help_text="Repeat for several: ?kind=track.hostile&kind=swarm.",
        distinct=False,
    )
    severity = django_filters.MultipleChoiceFilter(
        choices=AirDefenseNotification.Severity.choices, help_text="Repeat for several.", distinct=False
    )

    class Meta:
        model = AirDefenseNotification
        fields = ["since", "unacknowledged", "kind", "severity"]

    def filter_unacknowledged(self, queryset, name, value):
        waiting = Q(acknowledged_at=None, severity__in=AirDefenseNotification.SEVERITIES_TO_ACKNOWLEDGE)
        return queryset.filter(waiting) if value in ("true", "1") else queryset.exclude(waiting)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The inbox: every notification, newest first."""

    permission_classes = [IsAuthenticated, roles.IsAirDefense]
    filterset_class = NotificationFilter

    def get_queryset(self):
        notifications = AirDefenseNotification.objects.select_related("acknowledged_by").order_by("-created_at", "id")
        if self.action == "retrieve":
            return notifications.prefetch_related("webhook_deliveries__subscription")
        return notifications

    def get_serializer_class(self):
        return NotificationDetailSerializer if self.action == "retrieve" else NotificationSerializer

    @extend_schema(
        request=None,
        responses=NotificationSerializer,
        description="Mark seen. Acknowledging again answers 200 with the first acknowledgement unchanged.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notification = acknowledge_notification(notification_id=self.get_object().pk, user=request.user)
        return Response(NotificationSerializer(notification).data)


class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """C2 systems that get every notification POSTed to them, HMAC-signed (docs/NOTIFICATIONS.md)."""

    permission_classes = [IsAuthenticated, roles.IsAirDefense]
    serializer_class = WebhookSubscriptionSerializer
    queryset = WebhookSubscription.objects.order_by("name", "id")
    filterset_fields = ["active"]

    @extend_schema(responses={201: CreatedWebhookSubscriptionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = subscribe_webhook(user=request.user, **serializer.validated_data)
        return Response(CreatedWebhookSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        if not serializer.validated_data.get("secret", True):
            serializer.validated_data.pop("secret")  # blank: keep the current secret
        serializer.save()


class EventStreamRenderer(renderers.BaseRenderer):
    """Lets clients that send `Accept: text/event-stream` (EventSource does) reach the stream;
    errors before the stream starts are rendered as JSON."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class TooManyStreams(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_streams"

    def __init__(self, refused):
        super().__init__(
            f"You have {refused.limit} live streams open, the most one user may have: close one, or try again later."
        )
        self.wait = refused.retry_after_s  # DRF's exception handler makes it the Retry-After header


class StreamsFull(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "streams_full"

    def __init__(self, refused):
        super().__init__(
            f"This server carries as many live streams as it may ({refused.limit}); try again in a moment."
        )
        self.wait = refused.retry_after_s


class StreamUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "stream_unavailable"
    default_detail = "The live stream cannot reach Redis right now; try again in a few seconds."
    wait = 5


class NotificationStreamView(APIView):
    """Server-Sent Events: each notification as `id:` (its id), `event:` (its kind) and `data:` (JSON:
    id, kind, severity, created_at, payload), and a `: heartbeat` comment every ~15 s. With a
    `Last-Event-ID` header (EventSource sends it when it reconnects) or `last_event_id` parameter,
    the notifications created after that one (and any committed late, up to a minute before it) are
    replayed from the database first, and so are those delivered since, however old (a notification
    the sweep delivered late went out live while the client was away). Delivery is at least once:
    ignore an id you have seen.

    Each user may hold `STREAM_MAX_PER_USER` streams open (429 past it) and each web process
    `STREAM_MAX_TOTAL` (503 past it), both with Retry-After. At every heartbeat the listener's
    credentials and role are checked again: a stream whose user lost the air defense role, was
    deactivated, signed out or had the token revoked ends with a `: closed: <why>` comment."""

    permission_classes = [IsAuthenticated, roles.IsAirDefense]
    renderer_classes = [renderers.JSONRenderer, EventStreamRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("Last-Event-ID", OpenApiTypes.UUID, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("last_event_id", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=False),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description="The event stream"),
            400: OpenApiResponse(description="Unknown Last-Event-ID"),
            429: OpenApiResponse(description="This user has STREAM_MAX_PER_USER streams open (Retry-After)"),
            503: OpenApiResponse(description="This server has STREAM_MAX_TOTAL streams open (Retry-After)"),
        },
    )
    def get(self, request):
        last_seen = self._last_seen(request)
        try:
            slot = stream_slots.acquire(user_id=request.user.pk)
        except stream_slots.StreamRefused as refused:
            raise (TooManyStreams if refused.per_user else StreamsFull)(refused) from None
        except redis.RedisError:
            raise StreamUnavailable() from None
        return open_stream(
            request=request._request,
            last_seen=last_seen,
            slot=slot,
            reason_to_close=partial(self._reason_to_close, request._request, request.user.pk),
        )

    def finalize_response(self, request, response, *args, **kwargs):
        # A refusal (400, 401, 403, 429, 503) is JSON, also for an EventSource that asked for events.
        if isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def _last_seen(self, request):
        """The notification the client saw last, or None for live only."""
        field = "Last-Event-ID" if "HTTP_LAST_EVENT_ID" in request.META else "last_event_id"
        value = request.META.get("HTTP_LAST_EVENT_ID") or request.query_params.get("last_event_id")
        if not value:
            return None
        try:
            notification_id = uuid.UUID(value.strip())
        except ValueError:
            raise ValidationError({field: ["Not a notification id."]}) from None
        notification = AirDefenseNotification.objects.filter(pk=notification_id).only("created_at").first()
        if notification is None:
            raise ValidationError({field: ["No notification has this id."]})
        return notification

    def _reason_to_close(self, http_request, user_id):
        """Why the listener who opened this stream may no longer listen, or None. The view's own
        authentication classes run again on the request's credentials — so a revoked or expired
        token fails whatever kind of token it is — with the browser session loaded afresh; then
        the view's permissions, on the user as the database has it now."""
        request = Request(_with_fresh_session(http_request), authenticators=self.get_authenticators())
        try:
            user = request.user
        except exceptions.APIException:
            return "the credentials are no longer valid"
        if not user.is_authenticated or user.pk != user_id:
            return "signed out"
        if not all(permission.has_permission(request, self) for permission in self.get_permissions()):
            return "no longer allowed to listen"
        return None


def _with_fresh_session(http_request):
    """A copy of the request whose session is read again from the session store, and whose user is
    the one that session holds now (none after sign-out, deactivation or a password change)."""
    fresh = copy.copy(http_request)
    session = getattr(http_request, "session", None)
    if session is not None:
        fresh.session = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
        fresh.user = SimpleLazyObject(lambda: auth.get_user(fresh))
    return fresh
