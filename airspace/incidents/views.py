"""The incident pages: the list air defense and command staff work, one incident (its tracks on the
map, its timeline, its actions), the response units, and the statistics for command staff. Views
parse the form, call the same services and selectors as the API, and render."""

import csv
import json
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed, can_proceed

from airspace import roles
from airspace.registry.models import Operator
from airspace.templatetags.display import display_zone
from airspace.web.page_forms import save_form, validate_form
from airspace.web.places import where
from airspace.zones.models import RestrictedZone
from airspace.zones.selectors import zones_on_map

from . import selectors, services
from .models import ACTIVE_STATES, Incident, Outcome, ResponseUnit
from .serializers import ResponseUnitSerializer, StatisticsQuerySerializer

works_incidents = roles.page_for(
    lambda user: roles.is_air_defense(user) or roles.is_command_staff(user),
    "Only air defense and command staff work incidents.",
)
staff_only = roles.page_for(roles.is_command_staff, "Only command staff read the incident statistics.")

UNIT_FIELDS = ["name", "kind", "area", "radius_m"]
UNIT_HINTS = {"name": "Give the unit a name.", "kind": "Choose what kind of unit it is."}


def _messages_of(request, error):
    if isinstance(error, ValidationError):
        found = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for field_messages in found.values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.error(request, str(error) or "You may not do that now.")


@works_incidents
def incident_list(request):
    incidents = selectors.incidents_for_work().prefetch_related("assignments__unit")
    state = request.GET.get("state")
    if state in ("open", "responding", "resolved", "dismissed"):
        incidents = incidents.filter(state=state)
    return render(request, "incidents/incident_list.html", {"incidents": incidents[:200], "state": state})


@works_incidents
def incident_detail(request, pk):
    try:
        incident = selectors.incident_detail(pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    if incident.merged_into_id:
        messages.info(request, f"Incident {incident.pk} joined this one with its swarm.")
        return redirect("incident-detail", pk=incident.merged_into_id)
    tracks = list(incident.tracks.all())
    assigned = {assignment.unit_id for assignment in incident.assignments.all()}
    # Where each track's pilot was reported (Remote ID gives the operator's position): a patrol's goal.
    pilots = {
        link.track_id: {**link.track.operator_position, **where(link.track.operator_lat, link.track.operator_lon)}
        for link in tracks
        if link.track.operator_position
    }
    context = {
        "incident": incident,
        "tracks": [(link, selectors.identification(link), pilots.get(link.track_id)) for link in tracks],
        "timeline": selectors.timeline(incident),
        "may_respond": can_proceed(incident.respond),
        "may_close": incident.state in ACTIVE_STATES,
        "outcomes": Outcome.choices,
        "units": ResponseUnit.objects.filter(active=True).exclude(pk__in=assigned),
        "operators": Operator.objects.order_by("name").values_list("pk", "name"),
        "map_data": {
            "zones": zones_on_map(),
            "incident": {"lat": incident.lat, "lon": incident.lon},
            "tracks": [
                {
                    "identity": link.track.identity,
                    "classification": link.track.classification,
                    "lat": link.track.last_lat,
                    "lon": link.track.last_lon,
                    "pilot": pilots.get(link.track_id),
                }
                for link in tracks
            ],
        },
    }
    return render(request, "incidents/incident_detail.html", context)


@require_POST
@works_incidents
def incident_act(request, pk, act):
    incident = get_object_or_404(Incident, pk=pk)
    post = request.POST
    try:
        if act in services.USER_TRANSITIONS:
            incident = services.make_transition(
                incident_id=incident.pk,
                user=request.user,
                transition_name=act,
                reason=post.get("reason", ""),
                outcome=post.get("outcome", ""),
                permit_reference=post.get("permit", ""),
            )
            messages.success(request, f"Incident {incident.pk} is now {incident.get_state_display().lower()}.")
        elif act == "assign":
            unit_id = post.get("unit", "")
            if not unit_id.isdigit():
                raise ValidationError({"unit": "Choose a unit to send."})
            assignment = services.assign_unit(incident_id=incident.pk, user=request.user, unit_id=int(unit_id))
            messages.success(request, f"{assignment.unit.name} sent; the unit is notified.")
        elif act == "identify":
            track_id, operator_id = post.get("track", ""), post.get("operator", "")
            description = post.get("description", "").strip()
            unknown = (
                {
                    "description": description,
                    "remote_id": post.get("remote_id", ""),
                    "serial_number": post.get("serial", ""),
                }
                if description
                else None
            )
            services.identify_track(
                incident_id=incident.pk,
                user=request.user,
                track_id=int(track_id) if track_id.isdigit() else 0,
                aircraft_serial=post.get("aircraft", "").strip(),
                unknown_drone=unknown,
                operator_id=int(operator_id) if operator_id.isdigit() else None,
            )
            messages.success(request, "Track identified.")
        else:
            raise Http404("No such action.")
    except (PermissionDenied, TransitionNotAllowed, ValidationError) as refused:
        _messages_of(request, refused)
    return redirect("incident-detail", pk=incident.pk)


@works_incidents
def units_page(request):
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        if not roles.is_command_staff(request.user):
            raise PermissionDenied("Only command staff add response units.")
        values = {name: request.POST.get(name, "") for name in UNIT_FIELDS}
        data = {**values, "radius_m": values["radius_m"] or None}
        try:
            data["area"] = json.loads(values["area"]) if values["area"] else None
        except (ValueError, RecursionError):
            pass  # the serializer names the field
        serializer, errors = validate_form(ResponseUnitSerializer, data, hints=UNIT_HINTS)
        if not errors:
            unit, errors = save_form(serializer)
        if not errors:
            messages.success(request, f"Unit {unit.name} added.")
            return redirect("incident-units")
        status = 400
    units = ResponseUnit.objects.select_related("subscription").prefetch_related("assignments__incident")
    rows = []
    for unit in units:
        on = [a.incident for a in unit.assignments.all() if a.incident.state in ACTIVE_STATES]
        rows.append((unit, on))
    context = {
        "units": rows,
        "kinds": ResponseUnit.Kind.choices,
        "values": values,
        "errors": errors,
        "units_map": [{"name": unit.name, "boundary": unit.boundary} for unit in units if unit.boundary is not None],
        "zones": zones_on_map(),
    }
    return render(request, "incidents/units.html", context, status=status)


def _statistics_query(request):
    """The page's range is two dates in the display time zone (`from`, `until` with that day
    included) and a zone; the API's are instants (StatisticsQuerySerializer)."""
    data, errors = {}, {}
    zone = display_zone()
    for name, field, days in (("from", "starts_at", 0), ("until", "ends_at", 1)):
        value = request.GET.get(name, "").strip()
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            errors[name] = [f"Give the date as YYYY-MM-DD, not {value[:20]!r}."]
            continue
        data[field] = datetime.combine(day + timedelta(days=days), time.min, tzinfo=zone).isoformat()
    if request.GET.get("zone"):
        data["zone"] = request.GET["zone"]
    query = StatisticsQuerySerializer(data=data)
    if errors or not query.is_valid():
        return None, {**errors, **(query.errors if not query.is_valid() else {})}
    return selectors.statistics_range(query.validated_data), {}


def _duration(seconds):
    """A median time as people say it: 45 s, 3 min 30 s, 2 h 5 min."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(seconds // 60, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@staff_only
def statistics_page(request):
    chosen, errors = _statistics_query(request)
    if errors:
        for field_messages in errors.values():
            for message in field_messages:
                messages.error(request, message)
        chosen = selectors.statistics_range({})
    figures = selectors.incident_statistics(**chosen)
    context = {
        "figures": figures,
        "zones": RestrictedZone.objects.order_by("name").values_list("pk", "name"),
        "chosen": chosen,
        "chosen_dates": {
            "from": chosen["starts_at"].astimezone(display_zone()).date().isoformat(),
            "until": (chosen["ends_at"].astimezone(display_zone()) - timedelta(microseconds=1)).date().isoformat(),
        },
        "query": request.GET.urlencode(),
        "median_to_response": _duration(figures["median_to_response_s"]),
        "median_to_resolution": _duration(figures["median_to_resolution_s"]),
        "chart_data": {
            "weeks": [f"week of {row['week']:%-d %b}" for row in figures["per_week"]],
            "per_week": [row["incidents"] for row in figures["per_week"]],
            "zones": [row["zone"] for row in figures["per_zone"]],
            "per_zone": [row["incidents"] for row in figures["per_zone"]],
        },
    }
    return render(request, "incidents/statistics.html", context)


CSV_COLUMNS = [
    "id",
    "opened_at",
    "state",
    "zone",
    "lat",
    "lon",
    "place",
    "alerts",
    "outcome",
    "to_response_s",
    "to_close_s",
    "operators",
]


@staff_only
def statistics_csv(request):
    chosen, errors = _statistics_query(request)
    if errors:
        return HttpResponse(json.dumps(errors), status=400, content_type="application/json")
    incidents = selectors.incidents_between(**chosen)
    # Built whole in memory, like the other exports: a range of years must not take a process's memory.
    limit = settings.EXPORT_MAX_FEATURES
    if incidents.count() > limit:
        message = f"The export holds more than EXPORT_MAX_FEATURES={limit:,} incidents: choose a shorter range."
        return HttpResponse(json.dumps({"detail": message}), status=400, content_type="application/json")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="incidents.csv"'
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in selectors.incident_rows(incidents):
        row["opened_at"] = row["opened_at"].isoformat()
        writer.writerow(row)
    return response
