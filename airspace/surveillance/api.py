"""The tracks API: sensors post batches of position reports; staff and air defense read the tracks."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from airspace import roles
from airspace.web.fast_json import OrjsonParser, OrjsonRenderer

from .models import Classification, Sensor, Track
from .reports import parse_report_batch
from .serializers import ReportBatchInSerializer, ReportBatchOutSerializer, TrackSerializer
from .tracks import active_since, ingest_reports


class ReportBatchView(APIView):
    """Classify a batch of position reports, in order. Either the whole batch is stored or, with a
    400 naming each bad report's index and field, none of it."""

    permission_classes = [IsAuthenticated, roles.IsSensor]
    parser_classes = [OrjsonParser]
    renderer_classes = [OrjsonRenderer]

    @extend_schema(request=ReportBatchInSerializer, responses=ReportBatchOutSerializer)
    def post(self, request):
        try:
            sensor = request.user.sensor
        except Sensor.DoesNotExist:
            raise PermissionDenied("This account is in the sensors role but no sensor is registered for it.") from None
        if not sensor.active:
            raise PermissionDenied(f"Sensor {sensor.name} is deactivated.")
        batch = parse_report_batch(request.data, now=timezone.now())
        return Response({"results": ingest_reports(sensor=sensor, batch=batch)})


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

    class Meta:
        model = Track
        # remote_id matches any spelling: the model field normalizes the looked-up value.
        fields = ["classification", "active", "bbox", "remote_id"]

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


class TrackViewSet(viewsets.ReadOnlyModelViewSet):
    """Tracks with their last position and classification, most recently seen first."""

    permission_classes = [IsAuthenticated, roles.IsStaffOrAirDefense]
    serializer_class = TrackSerializer
    filterset_class = TrackFilter
    queryset = Track.objects.select_related("sensor", "aircraft__operator", "permit", "zone").order_by(
        "-last_observed_at", "id"
    )
