"""Dealers and what they record: shipments of imported drones and their sales; transfers of a
registered drone from one operator to another, with the transfer's state machine and history."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from airspace import roles
from airspace.registry.identifiers import IdentifierField
from airspace.registry.models import Aircraft, Operator
from airspace.web.history import TransitionRecord


class Dealer(models.Model):
    """A licensed business that imports and sells drones."""

    name = models.CharField(max_length=200, unique=True)
    licence_number = models.CharField(max_length=100, blank=True, help_text="Import and trade licence")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DealerMembership(models.Model):
    """Which dealer a user works for: one dealer per user (as an operator's membership)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dealer_membership")
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} @ {self.dealer}"


class Shipment(models.Model):
    """One import through customs: a customs reference, a date, and the drones it brought in."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="shipments")
    customs_reference = models.CharField(max_length=64, unique=True)
    imported_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_on", "-id"]

    def __str__(self):
        return self.customs_reference


class ImportedDrone(models.Model):
    """A drone as it entered the country. Once its buyer confirms it, `aircraft` is the registry's
    record made from it (no retyping): the link every trace follows."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="drones")
    # The registry's one identifier rule (normalized, case-insensitive): a sensor's Remote ID meets it.
    serial_number = IdentifierField(max_length=64, unique=True)
    remote_id = IdentifierField(max_length=64, unique=True, help_text="Remote ID broadcast identifier")
    manufacturer = models.CharField(max_length=100)
    model = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Aircraft.Category.choices)
    mtow_kg = models.DecimalField(max_digits=7, decimal_places=3, help_text="Maximum take-off mass in kg")
    aircraft = models.OneToOneField(
        Aircraft, null=True, blank=True, on_delete=models.PROTECT, related_name="imported_drone"
    )

    class Meta:
        ordering = ["serial_number"]

    def __str__(self):
        return f"{self.manufacturer} {self.model} ({self.serial_number})"

    @property
    def dealer(self):
        return self.shipment.dealer


class Sale(models.Model):
    """A dealer sold an imported drone: to a person (name and national ID number) or to an operator
    organization, which then sees it as awaiting its registration."""

    drone = models.OneToOneField(ImportedDrone, on_delete=models.PROTECT, related_name="sale")
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="sales")
    buyer_name = models.CharField(max_length=200)
    buyer_national_id = models.CharField(max_length=64, blank=True)
    buyer_operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="drones_bought"
    )
    sold_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sold_on", "-id"]
        constraints = [
            # Who bought it must be on record: a person by their national ID, or an organization.
            models.CheckConstraint(
                condition=~models.Q(buyer_national_id="") | models.Q(buyer_operator__isnull=False),
                name="sale_names_its_buyer",
            )
        ]

    def __str__(self):
        return f"{self.drone.serial_number} to {self.buyer_name}"

    @property
    def buyer(self):
        """The buyer as a page or a trace names them."""
        if self.buyer_operator_id:
            return self.buyer_operator.name
        return f"{self.buyer_name} (national ID {self.buyer_national_id})"


# --- the transfer's state machine ----------------------------------------------------------------


class TransferState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


def is_seller(transfer, user):
    operator = roles.operator_of(user)
    return roles.is_operator(user) and operator is not None and operator.pk == transfer.from_operator_id


def is_buyer(transfer, user):
    operator = roles.operator_of(user)
    return roles.is_operator(user) and operator is not None and operator.pk == transfer.to_operator_id


def aircraft_still_with_seller(transfer):
    """The drone did not change hands since the transfer was asked for."""
    return transfer.aircraft.operator_id == transfer.from_operator_id


class Transfer(FSMModelMixin, models.Model):
    """An owner hands a registered drone to another operator: the seller asks, the buyer accepts or
    declines, the seller may cancel while it waits. Accepting moves the drone (services.py)."""

    aircraft = models.ForeignKey(Aircraft, on_delete=models.PROTECT, related_name="transfers")
    from_operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="transfers_out")
    to_operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="transfers_in")
    state = FSMField(default=TransferState.REQUESTED, choices=TransferState.choices, protected=True, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open transfer per drone: two buyers cannot both be waiting to accept it.
            models.UniqueConstraint(
                fields=["aircraft"], condition=models.Q(state="requested"), name="one_open_transfer_per_aircraft"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_operator=models.F("to_operator")), name="transfer_between_two_operators"
            ),
        ]

    def __str__(self):
        return f"{self.aircraft.serial_number}: {self.from_operator} to {self.to_operator}"

    # Bodies only note who decided: services.py moves the drone, records the history, tells air defense.

    @transition(
        field=state,
        source=TransferState.REQUESTED,
        target=TransferState.ACCEPTED,
        permission=is_buyer,
        conditions=[aircraft_still_with_seller],
    )
    def accept(self, by=None):
        self._decide(by)

    @transition(field=state, source=TransferState.REQUESTED, target=TransferState.DECLINED, permission=is_buyer)
    def decline(self, by=None):
        self._decide(by)

    @transition(field=state, source=TransferState.REQUESTED, target=TransferState.CANCELLED, permission=is_seller)
    def cancel(self, by=None):
        self._decide(by)

    def _decide(self, by):
        self.decided_by = by
        self.decided_at = timezone.now()


class TransferTransitionLog(TransitionRecord):
    """The transfer's history: one row per transition, who made it, when, and why."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="history")
    transition = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, choices=TransferState.choices)
    to_state = models.CharField(max_length=20, choices=TransferState.choices)

    @property
    def subject(self):
        return self.transfer
