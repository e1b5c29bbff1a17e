"""Pages of the zones: command staff draw and deactivate them."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from airspace import roles
from airspace.web.page_forms import validate_form
from airspace.web.places import where_area

from .formats import ZoneFileError, read_zone_file
from .models import RestrictedZone
from .selectors import zones_on_map
from .serializers import RestrictedZoneSerializer
from .services import deactivate_zone, draw_zone, import_zones

staff_only = roles.page_for(roles.is_command_staff, "Only command staff manage zones and verify aircraft.")


ZONE_FIELDS = ["name", "kind", "description", "area", "radius_m", "min_altitude_m", "max_altitude_m"]


# A preview page carries the file's text back in a form field: Django's limit for those is 2.5 MB.
ZONE_FILE_MAX_BYTES = 2_000_000

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


@require_POST
@staff_only
def zone_import(request):
    """A zone file, previewed (what would change), then imported all or nothing. The preview page
    carries the file's text to the import, which reads and plans it again: the zones may have
    changed in between."""
    upload = request.FILES.get("file")
    apply = bool(request.POST.get("apply"))
    deactivate_missing = bool(request.POST.get("deactivate_missing"))
    context = {"deactivate_missing": deactivate_missing, "dry_run": not apply}
    try:
        if apply:
            content, filename = request.POST.get("content", ""), request.POST.get("filename", "")
        elif upload is None:
            raise ZoneFileError("Choose a file to import.")
        elif upload.size > ZONE_FILE_MAX_BYTES:
            raise ZoneFileError(f"The file is larger than {ZONE_FILE_MAX_BYTES // 1_000_000} MB.")
        else:
            content, filename = upload.read().decode("utf-8-sig", errors="replace"), upload.name
        file_format, drafts = read_zone_file(content, max_vertices=settings.MAX_AREA_VERTICES)
        plan = import_zones(
            officer=request.user,
            drafts=drafts,
            file_format=file_format,
            deactivate_missing=deactivate_missing,
            dry_run=not apply,
        )
    except ZoneFileError as exc:
        return render(request, "airspace/zones_import.html", {**context, "error": str(exc)}, status=400)
    except ValidationError as taken:  # a name taken by another officer a moment ago
        error = " ".join(message for messages_ in taken.message_dict.values() for message in messages_)
        return render(request, "airspace/zones_import.html", {**context, "error": error}, status=400)
    if apply:
        messages.success(
            request,
            f"Imported {filename}: {len(plan.new)} new, {len(plan.changed)} changed, "
            f"{len(plan.unchanged)} unchanged, {len(plan.deactivated)} deactivated.",
        )
        if plan.revoked_permits:
            references = ", ".join(permit.reference for permit in plan.revoked_permits)
            messages.warning(request, f"Permits inside the prohibited zones were revoked: {references}.")
        if plan.permits_to_review:
            references = ", ".join(permit.reference for permit in plan.permits_to_review)
            messages.warning(
                request, f"Approved flights inside the restricted zones, still in effect: review {references}."
            )
        return redirect("zones")
    context.update(plan=plan, content=content, filename=filename)
    return render(request, "airspace/zones_import.html", context)
