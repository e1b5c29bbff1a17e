"""Pages of trade: a dealer's stock and sales, the shipment upload, the drones awaiting an
operator's registration, transfers, and the trace. Views parse the form, call the same serializers
and services as the API, and render."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from airspace import roles
from airspace.registry.models import Aircraft
from airspace.web.page_forms import validate_form

from .models import TransferState
from .selectors import awaiting_registration, drone_chain, stock_for, transfers_for
from .serializers import (
    CSV_COLUMNS,
    SaleSerializer,
    ShipmentUploadSerializer,
    TraceQuerySerializer,
    TransferSerializer,
    check_drones,
    read_shipment_csv,
)
from .services import (
    TRANSFER_ACTS,
    available_transfer_acts,
    confirm_purchase,
    record_shipment,
    request_transfer,
    sell_drone,
)

stock_readers = roles.page_for(
    lambda user: roles.is_dealer(user) or roles.is_command_staff(user),
    "Only dealers and command staff see imported drones.",
)
dealers_only = roles.page_for(roles.is_dealer, "Only a licensed dealer records imports and sales.")
operators_only = roles.page_for(roles.is_operator, "Only operators register the drones they bought.")
transfer_readers = roles.page_for(
    lambda user: roles.is_operator(user) or roles.is_command_staff(user),
    "Only operators and command staff see transfers.",
)
trace_readers = roles.page_for(
    lambda user: roles.is_command_staff(user) or roles.is_air_defense(user),
    "Only command staff and air defense trace drones.",
)

SALE_FIELDS = ["buyer_name", "buyer_national_id", "buyer_operator", "sold_on"]
HINTS = {
    "buyer_name": "Give the buyer's name.",
    "buyer_national_id": "Give the buyer's national ID number, or the operator that bought it.",
    "sold_on": "Give the date of the sale.",
    "customs_reference": "Give the customs reference of the shipment.",
    "imported_on": "Give the date the shipment cleared customs.",
    "file": "Choose the shipment's CSV file.",
    "aircraft": "Choose one of your aircraft.",
    "to_operator": "Give the exact name of the operator organization.",
}


def _identifier_in(request, name):
    """A serial number or Remote ID from the query string, checked as the API checks it (None if bad)."""
    query = TraceQuerySerializer(data={"identifier": request.GET.get(name, "")})
    return query.validated_data["identifier"] if query.is_valid() else None


def _field_errors(error):
    """A service's ValidationError as {field: [messages]} for a form."""
    if hasattr(error, "message_dict"):
        return error.message_dict
    return {"__all__": error.messages}


STOCK_PAGE_SIZE = 50


@stock_readers
def stock_page(request):
    """The drones imported, newest shipment first, a page at a time (a shipment is hundreds)."""
    drones = stock_for(request.user)
    found = _identifier_in(request, "serial") or ""
    if found:
        drones = drones.filter(serial_number__contains=found)
    page = Paginator(drones, STOCK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "found": found,
        "dealer": roles.dealer_of(request.user) if roles.is_dealer(request.user) else None,
        "in_stock": drones.filter(sale__isnull=True).count(),
    }
    return render(request, "trade/stock.html", context)


@dealers_only
def sell_page(request, pk):
    drone = stock_for(request.user).filter(pk=pk).first()
    if drone is None:
        raise Http404("No such drone in your stock.")
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in SALE_FIELDS}
        data = {**values, "buyer_operator": values["buyer_operator"] or None}
        serializer, errors = validate_form(SaleSerializer, data, hints=HINTS)
        if not errors:
            try:
                sale = sell_drone(user=request.user, drone_id=drone.pk, **serializer.validated_data)
            except TransitionNotAllowed as refused:
                messages.error(request, str(refused))
                return redirect("dealer-stock")
            except ValidationError as invalid:
                errors = _field_errors(invalid)
            else:
                messages.success(request, f"{drone.serial_number} sold to {sale.buyer}.")
                return redirect("dealer-stock")
        status = 400
    return render(request, "trade/sell.html", {"drone": drone, "values": values, "errors": errors}, status=status)


@dealers_only
def import_page(request):
    """Upload a shipment's CSV: "Check" lists every row's problem and imports nothing; "Import"
    checks the same way and imports all rows, or none when any is wrong."""
    values, errors, problems, checked, status = {}, {}, [], None, 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in ("customs_reference", "imported_on")}
        dry_run = request.POST.get("intent") == "check"
        upload = request.FILES.get("file")
        serializer, errors = validate_form(
            ShipmentUploadSerializer, {**values, "file": upload, "dry_run": dry_run}, hints=HINTS
        )
        rows = []
        if upload is not None and "file" not in errors:
            rows, file_problem = read_shipment_csv(upload)
            errors.update({field: [message] for field, message in file_problem.items()})
        if rows:
            lines = [line for line, _ in rows]
            drones, problems = check_drones([row for _, row in rows], line_of=lines.__getitem__)
            checked = len(rows)
        if not errors and not problems:
            if dry_run:
                messages.success(
                    request, f"All {checked:,} rows are fine. Nothing was imported yet: choose Import to record them."
                )
            else:
                shipment = record_shipment(
                    user=request.user,
                    customs_reference=serializer.validated_data["customs_reference"],
                    imported_on=serializer.validated_data["imported_on"],
                    drones=drones,
                )
                messages.success(request, f"Shipment {shipment.customs_reference}: {checked:,} drones imported.")
                return redirect("dealer-stock")
        else:
            status = 400
    context = {
        "values": values,
        "errors": errors,
        "problems": problems,
        "problem_lines": len({problem["line"] for problem in problems}),
        "checked": checked,
        "columns": CSV_COLUMNS,
        "categories": Aircraft.Category.choices,
    }
    return render(request, "trade/import.html", context, status=status)


@operators_only
def awaiting_page(request):
    drones = awaiting_registration(roles.operator_of(request.user))
    return render(request, "trade/awaiting.html", {"drones": drones})


@require_POST
@operators_only
def confirm_page(request, pk):
    try:
        aircraft = confirm_purchase(user=request.user, drone_id=pk)
    except TransitionNotAllowed as refused:
        messages.error(request, str(refused))
        return redirect("awaiting-registration")
    messages.success(request, f"{aircraft.serial_number} registered; command staff will verify it.")
    return redirect("aircraft")


@transfer_readers
def transfers_page(request):
    operator = roles.operator_of(request.user) if roles.is_operator(request.user) else None
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        if operator is None:
            raise Http404
        values = {name: request.POST.get(name, "").strip() for name in ("aircraft", "to_operator")}
        serializer, errors = validate_form(TransferSerializer, values, hints=HINTS)
        if not errors:
            try:
                transfer = request_transfer(
                    user=request.user,
                    aircraft_id=serializer.validated_data["aircraft"].pk,
                    to_operator=serializer.validated_data["to_operator"],
                )
            except ValidationError as invalid:
                errors = _field_errors(invalid)
            except TransitionNotAllowed as refused:
                errors = {"aircraft": [str(refused)]}
            else:
                messages.success(
                    request,
                    f"{transfer.aircraft.serial_number} offered to {transfer.to_operator}: they accept or decline.",
                )
                return redirect("transfers")
        status = 400
    transfers = list(transfers_for(request.user).prefetch_related("history__actor")[:200])
    for transfer in transfers:
        transfer.acts = available_transfer_acts(transfer, request.user)
    own_aircraft = []
    if operator is not None:
        own_aircraft = Aircraft.objects.filter(operator=operator).exclude(transfers__state=TransferState.REQUESTED)
    context = {
        "transfers": transfers,
        "own_aircraft": own_aircraft,
        "may_transfer": operator is not None,
        "values": values,
        "errors": errors,
    }
    return render(request, "trade/transfers.html", context, status=status)


ACT_DONE = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}


@require_POST
@transfer_readers
def transfer_act(request, pk, act):
    if act not in TRANSFER_ACTS:
        raise Http404
    if not transfers_for(request.user).filter(pk=pk).exists():
        raise Http404
    try:
        transfer = TRANSFER_ACTS[act](transfer_id=pk, user=request.user)
    except TransitionNotAllowed as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Transfer of {transfer.aircraft.serial_number} {ACT_DONE[act]}.")
    return redirect("transfers")


@trace_readers
def trace_page(request):
    asked = request.GET.get("identifier", "").strip()[:64]
    identifier = _identifier_in(request, "identifier")
    chain = drone_chain(identifier) if identifier else None
    if chain:
        if chain["aircraft_status"]:
            chain["aircraft_status_display"] = Aircraft.Status(chain["aircraft_status"]).label.lower()
        for event in chain["events"]:
            # Import and sale are calendar days; the rest are moments shown in the one time display.
            event["moment"] = isinstance(event["at"], datetime)
    return render(request, "trade/trace.html", {"identifier": asked, "chain": chain})
