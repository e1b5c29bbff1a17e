"""The permit pages: operators apply and follow their permits; command staff work the queue and
decide. Views parse the form, call the same services and serializers as the API, and render."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from airspace import roles
from airspace.registry.models import Aircraft
from airspace.web.page_forms import validate_form
from airspace.web.places import where_area
from airspace.zones.selectors import active_zones, zones_on_map

from . import services, signing
from .models import EDITABLE_STATES, Purpose, State, is_owner, may_decide, transition_action, window_not_ended
from .selectors import conformance_record, neighbouring_flights, permits_visible_to, review_queue
from .serializers import FlightPermitSerializer

may_see_permits = roles.page_for(
    lambda user: roles.is_operator(user) or roles.is_command_staff(user) or roles.is_air_defense(user),
    "Only operators, command staff and air defense see permits.",
)
operators_only = roles.page_for(roles.is_operator, "Only operators apply for permits.")
staff_only = roles.page_for(roles.is_command_staff, "Only command staff work the review queue.")

FORM_FIELDS = ["aircraft", "purpose", "description", "area", "radius_m", "min_altitude_m", "max_altitude_m"]
# The decisions are made in one form (decide_permit); the other transitions are buttons of their own.
DECISION_TRANSITIONS = {"start-review", "approve", "reject", "request-changes", "refer"}
# What to do about a field left empty.
FORM_HINTS = {
    "aircraft": "Choose one of your aircraft.",
    "purpose": "Choose the purpose of the flight.",
    "area": "Draw the area on the map: a polygon or a circle.",
    "min_altitude_m": "Give the lowest altitude.",
    "max_altitude_m": "Give the highest altitude.",
    "starts_at": "Give the start of the window.",
    "ends_at": "Give the end of the window.",
}


def _display_zone():
    return ZoneInfo(settings.DISPLAY_TIME_ZONE)


def _from_display_zone(value):
    """A datetime-local input has no time zone: the form says its times are in the display time zone
    (Baghdad), so 10:00 typed there is 07:00 UTC. Anything else is left for the serializer to name."""
    value = (value or "").strip()
    try:
        typed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if typed.tzinfo is not None:
        return value
    return typed.replace(tzinfo=_display_zone()).isoformat()


def _permit_input(post):
    data = {name: post.get(name, "") for name in FORM_FIELDS}
    data["radius_m"] = data["radius_m"] or None
    if data["area"]:
        try:
            data["area"] = json.loads(data["area"])
        except (ValueError, RecursionError):
            pass  # left as text: the serializer names the field
    data["starts_at"] = _from_display_zone(post.get("starts_at"))
    data["ends_at"] = _from_display_zone(post.get("ends_at"))
    return data


def _form_context(request, values, errors, permit=None):
    operator = roles.operator_of(request.user)
    return {
        "values": values,
        "errors": errors,
        "permit": permit,
        "aircraft_choices": Aircraft.objects.filter(operator=operator).order_by("serial_number"),
        "purposes": Purpose.choices,
        "zones": zones_on_map(),
        "now": timezone.now(),
    }


def _errors(error):
    """A service's ValidationError as {field: [messages]} for the template."""
    return error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}


def _local(moment):
    """The value of a datetime-local input, in the display time zone as the form says."""
    return moment.astimezone(_display_zone()).strftime("%Y-%m-%dT%H:%M")


@may_see_permits
def permit_list(request):
    # The list shows no map: the geometry (up to MAX_AREA_VERTICES vertices a permit) stays in the database.
    permits = permits_visible_to(request.user).defer("area", "boundary").order_by("-starts_at")
    state = request.GET.get("state")
    if state:
        permits = permits.filter(state=state)
    return render(request, "permits/permit_list.html", {"permits": permits[:200], "state": state})


@operators_only
def permit_new(request):
    return _permit_form(request, permit=None)


@operators_only
def permit_edit(request, pk):
    permit = get_object_or_404(permits_visible_to(request.user), pk=pk)
    if permit.state not in EDITABLE_STATES:
        messages.error(request, f"A permit that is {permit.get_state_display().lower()} cannot be edited.")
        return redirect("permit-detail", pk=permit.pk)
    return _permit_form(request, permit=permit)


def _permit_form(request, permit):
    if request.method != "POST":
        starts_at = permit.starts_at if permit else timezone.now() + timedelta(hours=2)
        values = {
            "aircraft": permit.aircraft_id if permit else "",
            "purpose": permit.purpose if permit else "",
            "description": permit.description if permit else "",
            "area": json.dumps(permit.area) if permit else "",
            "radius_m": permit.radius_m or "" if permit else "",
            "min_altitude_m": permit.min_altitude_m if permit else 0,
            "max_altitude_m": permit.max_altitude_m if permit else 120,
            "starts_at": _local(starts_at),
            "ends_at": _local(permit.ends_at if permit else starts_at + timedelta(hours=2)),
        }
        return render(request, "permits/permit_form.html", _form_context(request, values, {}, permit))

    serializer, errors = validate_form(
        FlightPermitSerializer,
        _permit_input(request.POST),
        hints=FORM_HINTS,
        instance=permit,
        context={"request": request},
    )
    if not errors:
        try:
            if permit is None:
                permit = services.create_permit(user=request.user, **serializer.validated_data)
                messages.success(request, f"Draft {permit.reference} saved. Check it, then submit it for review.")
            else:
                permit = services.update_permit(permit_id=permit.pk, user=request.user, **serializer.validated_data)
                messages.success(request, f"{permit.reference} updated.")
        except ValidationError as invalid:
            errors = _errors(invalid)
    if errors:
        context = _form_context(request, request.POST.dict(), errors, permit)
        return render(request, "permits/permit_form.html", context, status=400)
    return redirect("permit-detail", pk=permit.pk)


def _blocked(permit, user, available, decisions):
    """The transition the user came to make but may not yet, and why: a button that is simply
    missing leaves an operator with a draft they cannot submit and no idea what to fix."""
    if "submit" not in available and permit.state in EDITABLE_STATES and is_owner(permit, user):
        return {"label": "Submitting for review", "reasons": list(permit.submission_problems().values())}
    undecided = permit.state in (State.SUBMITTED, State.UNDER_REVIEW)
    if "approve" not in decisions and undecided and may_decide(permit, user):
        reasons = list(permit.approval_problems().values())
        if not window_not_ended(permit):
            reasons.append("The permit's window has ended.")
        return {"label": "Approving", "reasons": reasons}
    return None


# What the reason box asks for with each decision (the page's script swaps it as the choice changes).
REASON_PROMPTS = {
    "approve": "Note (optional; recorded in the history, the operator reads it)",
    "reject": "Reason (required; the operator will read it)",
    "request_changes": "What to change (required; the operator will read it)",
    "refer": "Why a senior officer is needed (required; the senior officer reads it)",
}


@may_see_permits
def permit_detail(request, pk):
    permit = get_object_or_404(permits_visible_to(request.user), pk=pk)
    available = services.available_transitions(permit, request.user)
    decisions = services.available_decisions(permit, request.user)
    transitions = [
        {
            "name": name,
            "label": transition_action(services.USER_TRANSITIONS[name]),
            "needs_reason": services.USER_TRANSITIONS[name] in services.TRANSITIONS_NEEDING_REASON,
        }
        for name in available
        if name not in DECISION_TRANSITIONS
    ]
    decision_choices = [
        {
            "value": decision,
            "label": transition_action(decision),
            "needs_reason": decision in services.TRANSITIONS_NEEDING_REASON,
            "prompt": REASON_PROMPTS[decision],
        }
        for decision in decisions
    ]
    neighbours = []
    if roles.is_command_staff(request.user):
        neighbours = [
            {
                "reference": other.reference,
                "boundary": other.boundary,
                "operator": other.operator.name,
                "state": other.state,
                "starts_at": other.starts_at.isoformat(),
                "ends_at": other.ends_at.isoformat(),
                "min_altitude_m": other.min_altitude_m,
                "max_altitude_m": other.max_altitude_m,
            }
            for other in neighbouring_flights(permit)
        ]
    context = {
        "permit": permit,
        "history": permit.history.select_related("actor").order_by("at", "id"),
        "transitions": transitions,
        "decisions": decision_choices,
        "blocked": _blocked(permit, request.user, available, decisions),
        "may_edit": roles.is_operator(request.user)
        and permit.state in EDITABLE_STATES
        and is_owner(permit, request.user),
        "map_data": {
            "volume": {"reference": permit.reference, "boundary": permit.boundary},
            "zones": zones_on_map(),
            "neighbours": neighbours,
        },
        "touched_zones": permit.prohibited_zones + permit.restricted_zones,
        "conformance": conformance_record(permit),
        "violation_days": settings.SENIOR_APPROVAL_VIOLATIONS_DAYS,
        "where": where_area(permit.boundary),
    }
    return render(request, "permits/permit_detail.html", context)


@require_POST
@may_see_permits
def permit_transition(request, pk, transition):
    permit = get_object_or_404(permits_visible_to(request.user), pk=pk)
    transition_name = services.USER_TRANSITIONS.get(transition)
    if transition_name is None:
        raise Http404("No such transition.")
    try:
        permit = services.make_transition(
            permit_id=permit.pk,
            user=request.user,
            transition_name=transition_name,
            reason=request.POST.get("reason", ""),
        )
    except (PermissionDenied, TransitionNotAllowed) as refused:
        messages.error(request, str(refused) or "You may not do that now.")
    except ValidationError as invalid:
        for field_messages in _errors(invalid).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, f"{permit.reference} is now {permit.get_state_display().lower()}.")
        if transition_name in services.DECISIONS and roles.is_command_staff(request.user):
            return redirect("review-queue")
    return redirect("permit-detail", pk=permit.pk)


@require_POST
@staff_only
def permit_decide(request, pk):
    """The officer's one form: a decision and its reason; the review starts by itself if need be."""
    permit = get_object_or_404(permits_visible_to(request.user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        permit = services.decide_permit(
            permit_id=permit.pk, officer=request.user, decision=decision, reason=request.POST.get("reason", "")
        )
    except (PermissionDenied, TransitionNotAllowed) as refused:
        messages.error(request, str(refused) or "You may not do that now.")
    except ValidationError as invalid:
        for field_messages in _errors(invalid).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        if decision == "refer":
            messages.success(request, f"{permit.reference} is referred to a senior officer.")
        else:
            messages.success(request, f"{permit.reference} is now {permit.get_state_display().lower()}.")
        return redirect("review-queue")
    return redirect("permit-detail", pk=permit.pk)


# The review queue page, a page at a time: a national queue holds hundreds of applications, and the
# whole of it in one page took most of a second to render (bench/national.py).
REVIEW_QUEUE_PAGE_SIZE = 100


@staff_only
def review_queue_page(request):
    queue = review_queue(senior_first=roles.is_senior_officer(request.user)).defer("area")
    page = Paginator(queue, REVIEW_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    zones = active_zones()
    for permit in page:
        permit.check_against(zones)  # the zones each touches, read once for the whole page
    return render(request, "permits/review_queue.html", {"permits": page, "page": page})


# --- the checkpoint's verification page (docs/SIGNED_PERMITS.md) ---------------------------------

# What the verification page needs offline: its service worker caches the page and these files.
VERIFY_PAGE_ASSETS = [
    "airspace/site.css",
    "airspace/time.js",
    "airspace/confirm.js",
    "airspace/layout.js",
    "airspace/verify.js",
    "vendor/jsqr/jsQR.js",
]


def verify_page(request):
    """Public: a checkpoint checks a signed permit here, with no network once the page was loaded.
    The accepted public keys are in the page; the signature is checked in the browser."""
    keys = list(signing.accepted_public_keys().values())
    context = {"public_keys": keys, "issuer": settings.PERMIT_TOKEN_ISSUER}
    response = render(request, "permits/verify.html", context)
    response["Cache-Control"] = "no-cache"  # online, always the current keys; offline, the worker's copy
    return response


def verify_service_worker(request):
    """The verification page's service worker (scope /verify/): it keeps the page and its files for
    when the phone has no network."""
    assets = [reverse("verify-permit"), *(static(name) for name in VERIFY_PAGE_ASSETS)]
    static_prefix = static("")
    script = render_to_string(
        "permits/verify_sw.js",
        {
            "assets": json.dumps(assets),
            "static_prefix": json.dumps(static_prefix),
            "version": signing.key_set_version(),
        },
    )
    response = HttpResponse(script, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
