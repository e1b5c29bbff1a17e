"""The air defense API: the notification inbox and its acknowledgement, the live stream as
Server-Sent Events, and the webhook subscriptions of C2 systems. Air defense role only."""

import json
import time
import uuid
from collections import OrderedDict
from datetime import timedelta

import django_filters
from django.conf import settings
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from airspace import roles
from airspace.air_defense import stream
from airspace.web.filters import UtcIsoDateTimeFilter

from .models import AirDefenseNotification, WebhookSubscription
from .serializers import (
    CreatedWebhookSubscriptionSerializer,
    NotificationDetailSerializer,
    NotificationSerializer,
    WebhookSubscriptionSerializer,
)
from .services import acknowledge_notification, subscribe_webhook
from .stream import stream_message

# created_at is stamped when the row is written, not when its transaction commits: a notification
# may become visible after a newer one was already streamed. Replaying from a little before the
# cursor catches it; receivers de-duplicate on the id anyway (at-least-once).
REPLAY_MARGIN = timedelta(seconds=60)
TRUE_FALSE = (("true", "true"), ("false", "false"), ("1", "1"), ("0", "0"))


class NotificationFilter(django_filters.FilterSet):
    since = UtcIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Only notifications created at or after this ISO 8601 time (URL-encode a '+' offset, or use Z).",
    )
    unacknowledged = django_filters.ChoiceFilter(
        choices=TRUE_FALSE, method="filter_unacknowledged", help_text="true: only those nobody acknowledged yet."
    )
    kind = django_filters.ChoiceFilter(choices=AirDefenseNotification.Kind.choices)
    severity = django_filters.ChoiceFilter(choices=AirDefenseNotification.Severity.choices)

    class Meta:
        model = AirDefenseNotification
        fields = ["since", "unacknowledged", "kind", "severity"]

    def filter_unacknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=value in ("true", "1"))


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


def _event(notification_message):
    return (
        f"id: {notification_message['id']}\n"
        f"event: {notification_message['kind']}\n"
        f"data: {json.dumps(notification_message, separators=(',', ':'))}\n\n"
    )


class NotificationStreamView(APIView):
    """Server-Sent Events: each notification as `id:` (its id), `event:` (its kind) and `data:` (JSON:
    id, kind, severity, created_at, payload), and a `: heartbeat` comment every ~15 s. With a
    `Last-Event-ID` header (EventSource sends it when it reconnects) or `last_event_id` parameter,
    the notifications created after that one (and any committed late, up to a minute before it) are
    replayed from the database first, and so are those delivered since, however old (a notification
    the sweep delivered late went out live while the client was away). Delivery is at least once:
    ignore an id you have seen."""

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
        },
    )
    def get(self, request):
        last_seen = self._last_seen(request)
        response = StreamingHttpResponse(self._events(last_seen), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx must not buffer the stream
        return response

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

    def _events(self, last_seen):
        heartbeat_s = settings.AIR_DEFENSE_STREAM_HEARTBEAT_S
        # Without Redis, notifications delivered by another process (the clock) never reach this
        # process's fan-out: poll the database for them, often enough to look live.
        catch_up_s = None if stream.uses_redis() else min(2.0, heartbeat_s)
        seen = _SeenIds()
        cursor = last_seen.created_at if last_seen else timezone.now()
        if last_seen:
            seen.add(str(last_seen.pk))
        # Subscribe before replaying, so nothing created meanwhile falls between the two.
        with stream.subscribe() as subscription:
            yield "retry: 3000\n: connected\n\n"
            if last_seen:
                cursor, replayed = self._created_since(cursor, seen)
                yield from replayed
            next_heartbeat = time.monotonic() + heartbeat_s
            next_catch_up = time.monotonic() + (catch_up_s or heartbeat_s)
            while True:
                wait = min(next_heartbeat, next_catch_up) - time.monotonic()
                message = subscription.get(timeout=max(wait, 0.05))
                if message and seen.add(message["id"]):
                    yield _event(message)
                now = time.monotonic()
                if catch_up_s and now >= next_catch_up:
                    next_catch_up = now + catch_up_s
                    cursor, missed = self._created_since(cursor, seen)
                    yield from missed
                if now >= next_heartbeat:
                    next_heartbeat = now + heartbeat_s
                    yield ": heartbeat\n\n"

    @staticmethod
    def _created_since(cursor, seen, batch=500):
        """Events of the notifications created or delivered at or after `cursor` (less the replay
        margin) not sent on this connection yet, and the new cursor."""
        events = []
        since = cursor - REPLAY_MARGIN
        # The live stream carries a notification when it is delivered, which after a crash or an
        # outage is the sweep's doing, minutes after it was created: the client may have been away
        # when it went out live, so whatever was delivered since counts too, however old.
        recent = AirDefenseNotification.objects.filter(Q(created_at__gte=since) | Q(delivered_at__gte=since))
        after = None
        while True:
            page = recent.order_by("created_at", "id")
            if after:
                page = page.filter(Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.id))
            notifications = list(page[:batch])
            events.extend(_event(stream_message(n)) for n in notifications if seen.add(str(n.pk)))
            if notifications:
                after = notifications[-1]
                cursor = max(cursor, after.created_at)
            if len(notifications) < batch:
                return cursor, events


class _SeenIds:
    """The ids one connection has sent, bounded: a long-lived stream must not grow without end."""

    def __init__(self, limit=10_000):
        self._ids = OrderedDict()
        self._limit = limit

    def add(self, notification_id):
        """Remember the id; False if it was already sent."""
        if notification_id in self._ids:
            return False
        self._ids[notification_id] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True
