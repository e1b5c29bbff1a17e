"""Browser pages of the registry, the zones and the air defense console. Views parse the form, call
the same serializers and services as the API, and render."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from . import roles
from .models import Aircraft, AirDefenseNotification, RestrictedZone
from .page_forms import validate_form
from .selectors import zones_on_map
from .serializers import AircraftSerializer, RestrictedZoneSerializer
from .services import deactivate_zone, draw_zone, suspend_aircraft, verify_aircraft

registry_page = roles.page_for(
    lambda user: roles.is_operator(user) or roles.is_command_staff(user),
    "Only operators and command staff see aircraft.",
)
staff_only = roles.page_for(roles.is_command_staff, "Only command staff manage zones and verify aircraft.")
air_defense_only = roles.page_for(roles.is_air_defense, "Only air defense uses the console.")

AIRCRAFT_FIELDS = ["serial_number", "remote_id", "manufacturer", "model", "category", "mtow_kg"]
ZONE_FIELDS = ["name", "kind", "description", "area", "radius_m", "min_altitude_m", "max_altitude_m"]
ZONE_HINTS = {"name": "Give the zone a name.", "area": "Draw the zone on the map: a polygon or a circle."}


@login_required
def home(request):
    """Each role starts on its main page."""
    user = request.user
    if roles.is_air_defense(user):
        return redirect("console")
    if roles.is_command_staff(user):
        return redirect("review-queue")
    if roles.is_operator(user):
        return redirect("permit-list")
    return render(request, "home.html")


@registry_page
def aircraft_page(request):
    operator = roles.operator_of(request.user)
    staff = roles.is_command_staff(request.user)
    aircraft = Aircraft.objects.select_related("operator").order_by("operator__name", "serial_number")
    if not staff:
        aircraft = aircraft.filter(operator=operator)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        if operator is None:
            raise PermissionDenied("Only a user who flies for an operator registers aircraft.")
        values = {name: request.POST.get(name, "") for name in AIRCRAFT_FIELDS}
        serializer, errors = validate_form(AircraftSerializer, values, hints={"category": "Choose a category."})
        if not errors:
            registered = serializer.save(operator=operator)
            messages.success(request, f"{registered.serial_number} registered; command staff will verify it.")
            return redirect("aircraft")
        status = 400
    context = {
        "aircraft_list": aircraft,
        "staff": staff,
        "may_register": operator is not None,
        "values": values,
        "errors": errors,
        "categories": Aircraft.Category.choices,
    }
    return render(request, "airspace/aircraft.html", context, status=status)


@require_POST
@staff_only
def aircraft_status(request, pk, action):
    change = {"verify": verify_aircraft, "suspend": suspend_aircraft}.get(action)
    if change is None:
        raise PermissionDenied("No such action.")
    try:
        aircraft = change(aircraft_id=get_object_or_404(Aircraft, pk=pk).pk, officer=request.user)
    except TransitionNotAllowed as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{aircraft.serial_number} is now {aircraft.get_status_display().lower()}.")
    return redirect("aircraft")


@staff_only
def zones_page(request):
    values, errors, status = {"min_altitude_m": 0, "max_altitude_m": 3000}, {}, 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in ZONE_FIELDS}
        data = {**values, "radius_m": values["radius_m"] or None}
        try:
            data["area"] = json.loads(values["area"]) if values["area"] else None
        except (ValueError, RecursionError):
            pass  # the serializer names the field
        serializer, errors = validate_form(RestrictedZoneSerializer, data, hints=ZONE_HINTS)
        if not errors:
            zone = draw_zone(officer=request.user, **serializer.validated_data)
            messages.success(request, f"Zone {zone.name} created.")
            if zone.revoked_permits:
                references = ", ".join(permit.reference for permit in zone.revoked_permits)
                messages.warning(request, f"Permits inside the prohibited zone were revoked: {references}.")
            if zone.permits_to_review:
                references = ", ".join(permit.reference for permit in zone.permits_to_review)
                messages.warning(
                    request, f"Approved flights inside the restricted zone, still in effect: review {references}."
                )
            return redirect("zones")
        status = 400
    zones = RestrictedZone.objects.order_by("-active", "name")
    context = {
        "zones": zones,
        "zones_map": zones_on_map([zone for zone in zones if zone.active]),
        "values": values,
        "errors": errors,
        "kinds": RestrictedZone.Kind.choices,
    }
    return render(request, "airspace/zones.html", context, status=status)


@require_POST
@staff_only
def zone_deactivate(request, pk):
    zone = deactivate_zone(zone_id=get_object_or_404(RestrictedZone, pk=pk).pk)
    messages.success(request, f"Zone {zone.name} deactivated.")
    return redirect("zones")


@air_defense_only
def console(request):
    context = {
        "console_config": {
            "zones": zones_on_map(),
            "kinds": list(AirDefenseNotification.Kind.values),
            "track_refresh_ms": int(settings.CONSOLE_TRACK_REFRESH_S * 1000),
        }
    }
    return render(request, "airspace/console.html", context)
