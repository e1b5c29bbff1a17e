"""The tracks API: sensors post batches of position reports and heartbeats; staff and air defense
read the tracks, the sensors with their health and coverage, and the swarms; command staff set a
sensor's coverage and reporting expectation."""

import time

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from airspace import roles
from airspace.metrics import record_report_batch
from airspace.web.fast_json import OrjsonParser, OrjsonRenderer
from permits.models import IN_EFFECT_STATES, PermitExcursion

from .following import note_sensor_heard, send_heartbeat
from .models import Classification, Sensor, Swarm, Track
from .remote_id import remote_id_reports, rename_report_errors
from .reports import parse_report_batch
from .selectors import MAX_TRAIL_POINTS, TRAIL_POINTS, recent_positions
from .serializers import (
    HeartbeatSerializer,
    RemoteIdInSerializer,
    ReportBatchInSerializer,
    ReportBatchOutSerializer,
    SensorSerializer,
    SwarmSerializer,
    TrackSerializer,
    TrackTrailSerializer,
)
from .tracks import active_since, ingest_reports

TRUE_FALSE = (("true", "true"), ("false", "false"))


def sensor_of(request):
    """The posting sensor of a sensor account, or a 403 saying why it may not post."""
    try:
        sensor = request.user.sensor
    except Sensor.DoesNotExist:
        raise PermissionDenied("This account is in the sensors role but no sensor is registered for it.") from None
    if not sensor.active:
        raise PermissionDenied(f"Sensor {sensor.name} is deactivated.")
    return sensor


class ReportBatchView(APIView):
    """Classify a batch of position reports, in order. Either the whole batch is stored or, with a
    400 naming each bad report's index and field, none of it."""

    permission_classes = [IsAuthenticated, roles.IsSensor]
    parser_classes = [OrjsonParser]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(request=ReportBatchInSerializer, responses=ReportBatchOutSerializer)
    def post(self, request):
        started = time.perf_counter()
        sensor = sensor_of(request)
        now = timezone.now()
        # Heard, even if the batch turns out bad: the sensor is on the air.
        note_sensor_heard(sensor=sensor, now=now)
        batch = parse_report_batch(request.data, now=now)
        results = ingest_reports(sensor=sensor, batch=batch)
        record_report_batch(results, started=started)
        return Response({"results": results})


class RemoteIdView(APIView):
    """What a Remote ID receiver decoded (ASTM F3411 Network Remote ID flights and details, or the
    OpenDroneID message sets it heard), classified like any sensor's reports with the Remote ID as the
    identifier, the pilot's position kept on the track. All or nothing: a 400 names the message and
    field (docs/REMOTE_ID.md)."""

    permission_classes = [IsAuthenticated, roles.IsSensor]
    parser_classes = [OrjsonParser]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(request=RemoteIdInSerializer, responses=ReportBatchOutSerializer)
    def post(self, request):
        sensor = sensor_of(request)
        now = timezone.now()
        note_sensor_heard(sensor=sensor, now=now)
        reports = remote_id_reports(request.data, now=now)
        try:
            batch = parse_report_batch(reports, now=now)
        except ValidationError as error:
            raise rename_report_errors(error, "flights" if "flights" in request.data else "uas_data") from None
        return Response({"results": ingest_reports(sensor=sensor, batch=batch)})


class SensorHeartbeatView(APIView):
    """A sensor with nothing to report says it is alive, so that a quiet sky is not taken for a
    sensor off the air. Any body is ignored. Answers its health and its stale and offline times."""

    permission_classes = [IsAuthenticated, roles.IsSensor]

    @extend_schema(request=None, responses=HeartbeatSerializer)
    def post(self, request):
        return Response(HeartbeatSerializer(send_heartbeat(sensor=sensor_of(request))).data)


class TrackFilter(django_filters.FilterSet):
    classification = django_filters.MultipleChoiceFilter(choices=Classification.choices)
    active = django_filters.ChoiceFilter(
        choices=(("true", "true"), ("false", "false")),
        method="filter_active",
        help_text="true: seen in the last minute (TRACK_ACTIVE_S); false: not.",
    )
    bbox = django_filters.CharFilter(
        method="filter_bbox", help_text="min_lon,min_lat,max_lon,max_lat: last position inside this box."
    )
    contact_lost = django_filters.ChoiceFilter(
        choices=TRUE_FALSE,
        method="filter_contact_lost",
        help_text="true: drones under a permit in effect that went silent (CONTACT_LOST_S) and were not seen since.",
    )
    sensor_offline = django_filters.ChoiceFilter(
        choices=TRUE_FALSE, method="filter_sensor_offline", help_text="true: last seen by a sensor that is now offline."
    )

    class Meta:
        model = Track
        # remote_id matches any spelling: the model field normalizes the looked-up value.
        fields = ["classification", "active", "bbox", "remote_id", "contact_lost", "sensor_offline"]

    def filter_contact_lost(self, queryset, name, value):
        lost = queryset.filter(contact_lost_at__isnull=False, permit__state__in=IN_EFFECT_STATES)
        return lost if value == "true" else queryset.exclude(pk__in=lost.values("pk"))

    def filter_sensor_offline(self, queryset, name, value):
        if value == "true":
            return queryset.filter(sensor__health=Sensor.Health.OFFLINE)
        return queryset.exclude(sensor__health=Sensor.Health.OFFLINE)

    def filter_active(self, queryset, name, value):
        if value == "true":
            return queryset.filter(last_observed_at__gte=active_since())
        return queryset.filter(last_observed_at__lt=active_since())

    def filter_bbox(self, queryset, name, value):
        try:
            min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
        except ValueError:
            raise ValidationError({"bbox": ["Give four numbers: min_lon,min_lat,max_lon,max_lat."]}) from None
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError(
                {"bbox": ["Need -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90."]}
            )
        return queryset.filter(
            last_lon__gte=min_lon, last_lon__lte=max_lon, last_lat__gte=min_lat, last_lat__lte=max_lat
        )


class TrailQuerySerializer(serializers.Serializer):
    points = serializers.IntegerField(
        min_value=2,
        max_value=MAX_TRAIL_POINTS,
        default=TRAIL_POINTS,
        help_text=f"Positions per track, the newest (2 to {MAX_TRAIL_POINTS}; {TRAIL_POINTS} unless given).",
    )


class TrackViewSet(viewsets.ReadOnlyModelViewSet):
    """Tracks with their last position and classification, most recently seen first."""

    permission_classes = [IsAuthenticated, roles.IsStaffOrAirDefense]
    serializer_class = TrackSerializer
    filterset_class = TrackFilter
    queryset = (
        Track.objects.select_related("sensor", "aircraft__operator", "permit", "zone")
        .annotate(
            escalated=Exists(
                PermitExcursion.objects.filter(track=OuterRef("pk"), ended_at=None, escalated_at__isnull=False)
            )
        )
        .order_by("-last_observed_at", "id")
    )

    @extend_schema(parameters=[TrailQuerySerializer], responses=TrackTrailSerializer(many=True))
    @action(detail=False, methods=["get"])
    def trails(self, request):
        """The tracks' last positions from the evidence, oldest first: a map's short trails when it
        opens, before it has seen any movement itself. Same filters and order as the track list."""
        query = TrailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tracks = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        positions = recent_positions(tracks, points=query.validated_data["points"])
        trails = [{"track": track.pk, "positions": positions.get(track.pk, [])} for track in tracks]
        return self.get_paginated_response(TrackTrailSerializer(trails, many=True).data)


class SensorFilter(django_filters.FilterSet):
    health = django_filters.MultipleChoiceFilter(choices=Sensor.Health.choices)

    class Meta:
        model = Sensor
        fields = ["health", "active", "kind"]


class SensorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The sensors, their coverage and health: command staff and air defense read them (which
    sensors are off the air, and what they no longer see); command staff set the coverage and the
    reporting expectation."""

    permission_classes = [IsAuthenticated, roles.IsStaffOrAirDefense]
    serializer_class = SensorSerializer
    filterset_class = SensorFilter
    queryset = Sensor.objects.order_by("name", "id")
    http_method_names = ["get", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff may change a sensor's coverage or reporting expectation.")


class SwarmFilter(django_filters.FilterSet):
    active = django_filters.ChoiceFilter(
        choices=TRUE_FALSE, method="filter_active", help_text="true: swarms still seen together."
    )

    class Meta:
        model = Swarm
        fields = ["active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(ended_at__isnull=value == "true")


class SwarmViewSet(viewsets.ReadOnlyModelViewSet):
    """Swarms of hostile tracks, newest first, each with its member tracks where they were last seen."""

    permission_classes = [IsAuthenticated, roles.IsStaffOrAirDefense]
    serializer_class = SwarmSerializer
    filterset_class = SwarmFilter
    queryset = Swarm.objects.order_by("-detected_at", "-id")

    def get_serializer(self, *args, **kwargs):
        # The member tracks of the swarms on the page in one query, not one per swarm.
        swarms = args[0] if args else []
        swarms = [swarms] if isinstance(swarms, Swarm) else list(swarms)
        kwargs["context"] = {
            **self.get_serializer_context(),
            "tracks_by_id": Track.objects.in_bulk({pk for swarm in swarms for pk in swarm.track_ids}),
        }
        return super().get_serializer(*args, **kwargs)
