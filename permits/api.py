"""Permit API: parse the request, call a service, return the permit."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from airspace import roles
from airspace.incidents.selectors import recent_violations_by_operator
from airspace.web.filters import INCLUDE_AREA, AreaOnRequestMixin
from airspace.zones import formats
from airspace.zones.api import EXPORT_RESPONSES, capped, export_response
from airspace.zones.selectors import active_zones

from . import services, signing
from .filters import FlightPermitFilter
from .models import IN_EFFECT_STATES
from .selectors import permits_visible_to, review_queue, revocation_status
from .serializers import (
    DecisionRequestSerializer,
    FlightPermitSerializer,
    FlightPermitSummarySerializer,
    PermitTransitionLogSerializer,
    PermitVerifyQuerySerializer,
    SignedPermitSerializer,
    TransitionRequestSerializer,
)


def permit_shape(permit):
    """A permit in effect as the zone formats write it (zones/formats.py)."""
    return formats.Shape(
        identifier=permit.reference,
        name=permit.reference,
        restriction="CONDITIONAL",
        area=permit.area,
        radius_m=permit.radius_m,
        boundary=permit.boundary,
        min_altitude_m=permit.min_altitude_m,
        max_altitude_m=permit.max_altitude_m,
        message=f"Flight permit {permit.reference}: {permit.operator.name}, aircraft {permit.aircraft.serial_number}.",
        starts_at=permit.starts_at,
        ends_at=permit.ends_at,
        properties={
            "reference": permit.reference,
            "state": permit.state,
            "operator": permit.operator.name,
            "aircraft": permit.aircraft.serial_number,
            "remote_id": permit.aircraft.remote_id,
            "purpose": permit.purpose,
            "min_altitude_m": permit.min_altitude_m,
            "max_altitude_m": permit.max_altitude_m,
            "radius_m": permit.radius_m,
            "starts_at": permit.starts_at.isoformat(),
            "ends_at": permit.ends_at.isoformat(),
        },
    )


class PermitVerifyThrottle(SimpleRateThrottle):
    """The public revocation check, per client address (settings.PERMIT_VERIFY_RATE): it answers
    anyone, so it must not become a way to list references."""

    scope = "permit-verify"

    def get_rate(self):
        return settings.PERMIT_VERIFY_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RevocationStatusSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=["valid", "revoked"])


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

    @extend_schema(responses=EXPORT_RESPONSES)
    @action(
        detail=False,
        methods=["get"],
        url_path=r"export/(?P<file_format>ed269|geojson|kml)",
        filterset_class=None,
        pagination_class=None,
    )
    def export(self, request, file_format):
        """The permits in effect (approved and active) that you may see, as ED-269 JSON (each a
        CONDITIONAL zone for its window), GeoJSON or KML: the friendly picture for other systems' maps."""
        permits = capped(
            permits_visible_to(request.user).filter(state__in=IN_EFFECT_STATES).order_by("starts_at", "pk")
        )
        shapes = [permit_shape(permit) for permit in permits]
        return export_response(shapes, file_format, title="Flight permits in effect", filename="permits-in-effect")

    @extend_schema(responses=SignedPermitSerializer)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def signed(self, request, pk=None):
        """The approval, signed: the token a checkpoint verifies offline (docs/SIGNED_PERMITS.md),
        with its QR code as SVG and PNG. Only approved permits are signed."""
        permit = self.get_object()
        signature = getattr(permit, "signature", None)
        if signature is None:
            raise NotFound("This permit has no signed code: only approved permits are signed.")
        return Response(SignedPermitSerializer(signature).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("token", str, description="A signed permit (its QR code's text)"),
            OpenApiParameter("reference", str, description="Or a permit's reference"),
        ],
        responses={200: RevocationStatusSerializer, 400: OpenApiResponse(description="Not a signed permit")},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="verify",
        permission_classes=[AllowAny],
        throttle_classes=[PermitVerifyThrottle],
        filterset_class=None,
        pagination_class=None,
    )
    def verify(self, request):
        """Public: whether a signed permit still stands (valid) or was revoked or cancelled since it
        was signed (revoked). Nothing else about the permit; a few requests a minute per address."""
        query = PermitVerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        token, reference = query.validated_data["token"], query.validated_data["reference"]
        if token:
            verification = signing.verify_token(token)
            if verification.claims is None:
                raise ValidationError({"token": [verification.reason]})
            reference = verification.claims["ref"]
        if not reference:
            raise ValidationError({"token": ["Give the signed permit (token) or its reference."]})
        status = revocation_status(reference.strip().upper())
        if status is None:
            raise NotFound("No signed permit has this reference.")
        return Response({"reference": reference, "status": status})

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
