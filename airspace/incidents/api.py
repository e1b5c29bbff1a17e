"""Incident API: parse the request, call a service or selector, return the incident. Air defense and
command staff only (403 for everyone else); statistics for command staff."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from airspace import roles

from . import selectors, services
from .models import ResponseUnit, State
from .serializers import (
    AssignRequestSerializer,
    IdentifyRequestSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentTransitionLogSerializer,
    IncidentTransitionRequestSerializer,
    ResolveRequestSerializer,
    ResponseUnitSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Bad input: the field is named"),
    403: OpenApiResponse(description="Only air defense and command staff work incidents"),
    404: OpenApiResponse(description="No such incident"),
    409: OpenApiResponse(description="The incident's state does not allow it, or someone acted first"),
}


class WorksIncidents(roles.IsStaffOrAirDefense):
    message = "Only air defense and command staff work incidents."


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents: open and responding first, newest alert first. `?state=` filters."""

    permission_classes = [IsAuthenticated, WorksIncidents]

    def get_queryset(self):
        incidents = selectors.incidents_for_work(
            # One folded into a swarm's still answers by its id (its alerts name it): `merged_into` says where.
            include_merged=self.action != "list"
        ).prefetch_related("assignments__unit", "assignments__assigned_by")
        if self.action == "retrieve":
            incidents = incidents.prefetch_related("tracks__track", "tracks__aircraft", "tracks__operator")
        state = self.request.query_params.get("state")
        if self.action == "list" and state in State.values:
            incidents = incidents.filter(state=state)
        return incidents

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def _answer(self, incident_id):
        return Response(
            IncidentDetailSerializer(self.get_queryset().prefetch_related("tracks__track").get(pk=incident_id)).data
        )

    @extend_schema(responses=IncidentTransitionLogSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every transition: who, when, from, to, and why."""
        incident = self.get_object()
        return Response(IncidentTransitionLogSerializer(incident.history.select_related("actor"), many=True).data)

    @extend_schema(request=IncidentTransitionRequestSerializer, responses={200: IncidentDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """Someone is on it (open → responding)."""
        incident = self.get_object()
        body = IncidentTransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.respond(incident_id=incident.pk, user=request.user, reason=body.validated_data["reason"])
        return self._answer(incident.pk)

    @extend_schema(request=ResolveRequestSerializer, responses={200: IncidentDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close with an outcome. Against an operator (detained, warned and released) it is a violation
        on their record; `authorized` names the permit (`permit`: its reference)."""
        incident = self.get_object()
        body = ResolveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.resolve(
            incident_id=incident.pk,
            user=request.user,
            outcome=body.validated_data["outcome"],
            reason=body.validated_data["reason"],
            permit_reference=body.validated_data["permit"],
        )
        return self._answer(incident.pk)

    @extend_schema(request=IncidentTransitionRequestSerializer, responses={200: IncidentDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """A false alarm (open or responding → dismissed); `reason` is required."""
        incident = self.get_object()
        body = IncidentTransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.dismiss(incident_id=incident.pk, user=request.user, reason=body.validated_data["reason"])
        return self._answer(incident.pk)

    @extend_schema(request=AssignRequestSerializer, responses={200: IncidentDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Send a response unit: it is notified (`incident.unit_assigned` on the stream, every C2 webhook
        and its own); an open incident becomes responding."""
        incident = self.get_object()
        body = AssignRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.assign_unit(incident_id=incident.pk, user=request.user, unit_id=body.validated_data["unit"])
        return self._answer(incident.pk)

    @extend_schema(request=IdentifyRequestSerializer, responses={200: IncidentDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def identify(self, request, pk=None):
        """Say who a track is: a registered aircraft (`aircraft`: its serial number) or an unknown drone
        (`unknown_drone`: what was seen), and the operator (`operator`: id) when found."""
        incident = self.get_object()
        body = IdentifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.identify_track(
            incident_id=incident.pk,
            user=request.user,
            track_id=data["track"],
            aircraft_serial=data["aircraft"].strip(),
            unknown_drone=data["unknown_drone"],
            operator_id=data["operator"],
        )
        return self._answer(incident.pk)

    @extend_schema(
        parameters=[StatisticsQuerySerializer],
        responses={200: StatisticsSerializer, 400: ERRORS[400], 403: OpenApiResponse(description="Command staff only")},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def statistics(self, request):
        """What the command learns: incidents per week and per zone, outcomes, median times from the
        alert to the first response and to resolution, repeat operators (command staff)."""
        if not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff read the incident statistics.")
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = selectors.incident_statistics(**selectors.statistics_range(query.validated_data))
        return Response(StatisticsSerializer(figures).data)


class ResponseUnitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Response units: air defense and command staff read them; command staff add and change them."""

    permission_classes = [IsAuthenticated, WorksIncidents]
    serializer_class = ResponseUnitSerializer
    queryset = ResponseUnit.objects.order_by("name", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff add and change response units.")
