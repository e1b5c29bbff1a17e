"""The registry: operators (organizations that fly) and their aircraft, with the aircraft's
verification state machine."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from .identifiers import IdentifierField


class Operator(models.Model):
    """An organization (or a person flying on their own) that owns drones and applies for permits."""

    name = models.CharField(max_length=200, unique=True)
    contact_email = models.EmailField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OperatorMembership(models.Model):
    """Which operator a user flies for: one operator per user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator_membership")
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} @ {self.operator}"


# The import and sale a dealer recorded for a drone (airspace/trade links them to the aircraft), read
# with the aircraft wherever staff verify it: select_related(*WHERE_IT_CAME_FROM).
WHERE_IT_CAME_FROM = ("imported_drone__shipment__dealer", "imported_drone__sale__buyer_operator")


class Aircraft(FSMModelMixin, models.Model):
    class Category(models.TextChoices):
        MULTIROTOR = "multirotor", "Multirotor"
        FIXED_WING = "fixed_wing", "Fixed wing"
        HYBRID_VTOL = "hybrid_vtol", "Hybrid VTOL"
        HELICOPTER = "helicopter", "Helicopter"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending verification"
        REGISTERED = "registered", "Registered"
        SUSPENDED = "suspended", "Suspended"

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="aircraft")
    # Case-insensitive identifiers, stored normalized (identifiers.py): sensors report them in any case.
    serial_number = IdentifierField(max_length=64, unique=True)
    remote_id = IdentifierField(max_length=64, unique=True, help_text="Remote ID broadcast identifier")
    manufacturer = models.CharField(max_length=100)
    model = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    mtow_kg = models.DecimalField(max_digits=7, decimal_places=3, help_text="Maximum take-off mass in kg")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["serial_number"]
        verbose_name_plural = "aircraft"
        indexes = [
            # The staff navigation's count on every page, and the verification queue, oldest first.
            models.Index(
                fields=["created_at"], name="aircraft_awaiting_verification", condition=models.Q(status="pending")
            ),
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.model} ({self.serial_number})"

    @transition(field=status, source=[Status.PENDING, Status.SUSPENDED], target=Status.REGISTERED)
    def verify(self):
        """Command staff checked the aircraft: it may now be named in a permit."""

    @transition(field=status, source=[Status.PENDING, Status.REGISTERED], target=Status.SUSPENDED)
    def suspend(self):
        """Grounded: no new permit, and any flight of it is unauthorized."""
