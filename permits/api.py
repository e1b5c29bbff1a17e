"""Permit API: parse the request, call a service, return the permit."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from airspace import roles
from airspace.incidents.selectors import recent_violations_by_operator
from airspace.web.filters import INCLUDE_AREA, AreaOnRequestMixin
from airspace.zones.selectors import active_zones

from . import services
from .filters import FlightPermitFilter
from .selectors import permits_visible_to, review_queue
from .serializers import (
    DecisionRequestSerializer,
    FlightPermitSerializer,
    FlightPermitSummarySerializer,
    PermitTransitionLogSerializer,
    TransitionRequestSerializer,
)


@extend_schema_view(list=extend_schema(parameters=[INCLUDE_AREA]))
class FlightPermitViewSet(
    AreaOnRequestMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Operators apply for and follow their own permits; command staff see all and decide;
    air defense may read them. A permit the caller may not see answers 404."""

    serializer_class = FlightPermitSerializer
    summary_serializer_class = FlightPermitSummarySerializer
    list_actions = ("list", "queue")
    filterset_class = FlightPermitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action == "queue":
            return review_queue().prefetch_related("excursions")
        return permits_visible_to(self.request.user).prefetch_related("excursions")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action in self.list_actions:
            # Each permit's `zones`: the zones read once for the page, not twice per permit; and its
            # operator's violations (`requires_senior_approval`), once for the page too.
            zones = active_zones()
            violations = recent_violations_by_operator(
                {permit.operator_id for permit in page}, days=settings.SENIOR_APPROVAL_VIOLATIONS_DAYS
            )
            for permit in page:
                permit.check_against(zones)
                permit.check_violations_against(violations)
        return page

    def create(self, request, *args, **kwargs):
        services.check_may_apply(request.user)  # a 403 before any 400 about the body
        return super().create(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        services.check_may_edit(self.get_object(), request.user)  # 404, then 403/409, before any 400
        return super().partial_update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.create_permit(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_permit(
            permit_id=serializer.instance.pk, user=self.request.user, **serializer.validated_data
        )

    @extend_schema(parameters=[INCLUDE_AREA], responses=FlightPermitSummarySerializer(many=True))
    @action(detail=False, methods=["get"])
    def queue(self, request):
        """The review queue: submitted and under review, the soonest flight first (command staff)."""
        if not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff work the review queue.")
        return self.list(request)

    @extend_schema(responses=PermitTransitionLogSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Every transition of the permit: who, when, from, to, and why."""
        permit = self.get_object()
        return Response(PermitTransitionLogSerializer(permit.history.select_related("actor"), many=True).data)

    @extend_schema(
        request=DecisionRequestSerializer,
        responses={
            200: FlightPermitSerializer,
            400: OpenApiResponse(
                description="No such decision, a reason is missing, or the application is not acceptable"
            ),
            403: OpenApiResponse(description="Your role may not make this decision"),
            404: OpenApiResponse(description="No such permit among those you may see"),
            409: OpenApiResponse(description="The permit's state does not allow it, or someone decided first"),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def decide(self, request, pk=None):
        """Decide in one step: `approve`, `reject`, `request_changes` or `refer` (to a senior officer).
        A submitted application has its review started first, in the same transaction; the history
        records both."""
        if not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff decide applications.")  # a 403 before any 400
        permit = self.get_object()
        body = DecisionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        permit = services.decide_permit(permit_id=permit.pk, officer=request.user, **body.validated_data)
        return Response(self.get_serializer(permit).data)

    def _transition(self, request, transition_name):
        permit = self.get_object()  # 404 for a permit the caller may not see
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        permit = services.make_transition(
            permit_id=permit.pk,
            user=request.user,
            transition_name=transition_name,
            reason=body.validated_data["reason"],
        )
        return Response(self.get_serializer(permit).data)


def _transition_action(url_name, transition_name):
    def view(self, request, pk=None):
        return self._transition(request, transition_name)

    # DRF dispatches an extra action by its function name, so name it before decorating.
    view.__name__ = transition_name
    view.__doc__ = f"{url_name.replace('-', ' ').capitalize()} the permit; returns it with its new state."
    schema = extend_schema(
        request=TransitionRequestSerializer,
        responses={
            200: FlightPermitSerializer,
            400: OpenApiResponse(description="The application is not acceptable, or a reason is missing"),
            403: OpenApiResponse(description="Your role may not make this transition"),
            404: OpenApiResponse(description="No such permit among those you may see"),
            409: OpenApiResponse(description="The permit's state does not allow it, or someone decided first"),
        },
    )
    return schema(action(detail=True, methods=["post"], url_path=url_name, filterset_class=None)(view))


for _url_name, _transition_name in services.USER_TRANSITIONS.items():
    setattr(FlightPermitViewSet, _transition_name, _transition_action(_url_name, _transition_name))
