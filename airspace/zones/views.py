"""Pages of the zones: command staff draw and deactivate them."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from airspace import roles
from airspace.web.page_forms import validate_form
from airspace.web.places import where_area

from .models import RestrictedZone
from .selectors import zones_on_map
from .serializers import RestrictedZoneSerializer
from .services import deactivate_zone, draw_zone

staff_only = roles.page_for(roles.is_command_staff, "Only command staff manage zones and verify aircraft.")


ZONE_FIELDS = ["name", "kind", "description", "area", "radius_m", "min_altitude_m", "max_altitude_m"]


ZONE_HINTS = {"name": "Give the zone a name.", "area": "Draw the zone on the map: a polygon or a circle."}


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
            try:
                zone = draw_zone(officer=request.user, **serializer.validated_data)
            except ValidationError as taken:  # the name, by another officer a moment ago
                errors = taken.message_dict
        if not errors:
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
    zones = list(RestrictedZone.objects.order_by("-active", "name"))
    for zone in zones:
        zone.where = where_area(zone.boundary)  # its place, shown under its name
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
