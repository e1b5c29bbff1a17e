"""Pages of the registry: operators register aircraft, command staff verify or suspend them. Views
parse the form, call the same serializers and services as the API, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from airspace import roles
from airspace.web.page_forms import save_form, validate_form

from .models import WHERE_IT_CAME_FROM, Aircraft
from .selectors import awaiting_verification
from .serializers import AircraftSerializer
from .services import suspend_aircraft, verify_aircraft

registry_page = roles.page_for(
    lambda user: roles.is_operator(user) or roles.is_command_staff(user),
    "Only operators and command staff see aircraft.",
)


staff_only = roles.page_for(roles.is_command_staff, "Only command staff manage zones and verify aircraft.")


AIRCRAFT_FIELDS = ["serial_number", "remote_id", "manufacturer", "model", "category", "mtow_kg"]


@registry_page
def aircraft_page(request):
    operator = roles.operator_of(request.user)
    staff = roles.is_command_staff(request.user)
    aircraft = Aircraft.objects.select_related("operator", *WHERE_IT_CAME_FROM).order_by(
        "operator__name", "serial_number"
    )
    if not staff:
        aircraft = aircraft.filter(operator=operator)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        if operator is None:
            raise PermissionDenied("Only a user who flies for an operator registers aircraft.")
        values = {name: request.POST.get(name, "") for name in AIRCRAFT_FIELDS}
        serializer, errors = validate_form(AircraftSerializer, values, hints={"category": "Choose a category."})
        if not errors:
            registered, errors = save_form(serializer, operator=operator)
        if not errors:
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
        status = aircraft.get_status_display().lower()
        messages.success(request, f"{aircraft.serial_number} is now {status}; {aircraft.operator.name} is told.")
    # Back to the page the officer acted from.
    return redirect("aircraft-verification" if request.POST.get("from") == "verification" else "aircraft")


@staff_only
def verification_queue(request):
    """Drones their operators registered, waiting for command staff to check them, oldest first."""
    return render(request, "airspace/verification_queue.html", {"aircraft_list": awaiting_verification()[:200]})
