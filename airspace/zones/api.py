"""REST API of the zones: everyone reads them, command staff change them."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from airspace import roles
from airspace.web.filters import INCLUDE_AREA, AreaOnRequestMixin

from . import formats
from .models import RestrictedZone
from .serializers import (
    RestrictedZoneSerializer,
    RestrictedZoneSummarySerializer,
    ZoneChangeSerializer,
    ZoneImportPlanSerializer,
    ZoneImportSerializer,
)
from .services import change_zone, deactivate_zone, draw_zone, import_zones


def read_upload(upload):
    """The zone file of an import form or request, read and checked; a 400 naming the feature and
    the field when it is bad."""
    if upload.size > ZoneImportSerializer.MAX_BYTES:
        raise ValidationError({"file": [f"The file is larger than {ZoneImportSerializer.MAX_BYTES // 1_000_000} MB."]})
    try:
        return formats.read_zone_file(upload.read(), max_vertices=settings.MAX_AREA_VERTICES)
    except formats.ZoneFileError as exc:
        raise ValidationError({"file": [str(exc)], "feature": exc.feature, "field": exc.field}) from None


# What an export answers with, by format (zones/formats.py CONTENT_TYPES), for the schema: the two
# JSON formats are JSON objects, KML is a document.
EXPORT_RESPONSES = {
    (200, content_type): OpenApiTypes.BINARY if content_type.endswith("xml") else OpenApiTypes.OBJECT
    for content_type in formats.CONTENT_TYPES.values()
}


class ExportTooLarge(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "export_too_large"


def capped(queryset):
    """The rows of an export, refused (400 naming the limit) past EXPORT_MAX_FEATURES: an export is
    built whole in memory (every shape, then the document), so one request must not take them all
    when the table has grown past what a process can hold."""
    limit = settings.EXPORT_MAX_FEATURES
    rows = list(queryset[: limit + 1])
    if len(rows) > limit:
        raise ExportTooLarge(f"The export holds more than EXPORT_MAX_FEATURES={limit:,} features.")
    return rows


def export_response(shapes, file_format, *, title, filename):
    """A download of shapes in one of the formats (zones/formats.py)."""
    response = HttpResponse(
        formats.write(shapes, file_format, title=title), content_type=formats.CONTENT_TYPES[file_format]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{formats.EXTENSIONS[file_format]}"'
    return response


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

    @extend_schema(
        request={"multipart/form-data": ZoneImportSerializer},
        responses={
            200: ZoneImportPlanSerializer,
            400: OpenApiResponse(description="The file is bad: `file` says which feature and field"),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request):
        """Import zones from an ED-269 or ED-318 JSON, GeoJSON or KML file: all of it or nothing
        (docs/ZONES.md). With `dry_run`, only says what would change: new, changed, unchanged, and —
        with `deactivate_missing` — the imported zones absent from the file, deactivated."""
        body = ZoneImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        file_format, drafts = read_upload(body.validated_data["file"])
        try:
            plan = import_zones(
                officer=request.user,
                drafts=drafts,
                file_format=file_format,
                deactivate_missing=body.validated_data["deactivate_missing"],
                dry_run=body.validated_data["dry_run"],
            )
        except formats.ZoneFileError as exc:
            raise ValidationError({"file": [str(exc)], "feature": exc.feature, "field": exc.field}) from None
        return Response(ZoneImportPlanSerializer(plan, context={"dry_run": body.validated_data["dry_run"]}).data)

    @extend_schema(responses=EXPORT_RESPONSES)
    @action(
        detail=False,
        methods=["get"],
        url_path=r"export/(?P<file_format>ed269|geojson|kml)",
    )
    def export(self, request, file_format):
        """The zones in force (active), as ED-269 JSON, GeoJSON or KML."""
        zones = capped(RestrictedZone.objects.filter(active=True).order_by("name"))
        shapes = [formats.zone_shape(zone) for zone in zones]
        return export_response(shapes, file_format, title="Restricted and prohibited zones", filename="zones")

    def destroy(self, request, *args, **kwargs):
        deactivate_zone(zone_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
