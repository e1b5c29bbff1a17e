"""One notice to an operator organization: what happened, in words, and the page about it."""

from django.db import models


class OperatorNotice(models.Model):
    class Kind(models.TextChoices):
        AIRCRAFT_VERIFIED = "aircraft.verified", "Aircraft verified"
        AIRCRAFT_SUSPENDED = "aircraft.suspended", "Aircraft suspended"
        PERMIT_APPROVED = "permit.approved", "Permit approved"
        PERMIT_REJECTED = "permit.rejected", "Application rejected"
        PERMIT_CHANGES_REQUESTED = "permit.changes_requested", "Changes requested"
        PERMIT_REVOKED = "permit.revoked", "Permit revoked"
        FLIGHT_NONCONFORMING = "flight.nonconforming", "Flight outside its permit"
        # Trade (airspace/trade): a drone bought from a dealer, drones passed between operators.
        DRONE_BOUGHT = "drone.bought", "Drone awaiting your registration"
        TRANSFER_OFFERED = "transfer.offered", "Drone offered to you"
        TRANSFER_ACCEPTED = "transfer.accepted", "Transfer accepted"
        TRANSFER_DECLINED = "transfer.declined", "Transfer declined"
        TRANSFER_CANCELLED = "transfer.cancelled", "Transfer cancelled"

    # By name, not by import: the registry sits above this package (it writes notices itself).
    operator = models.ForeignKey("airspace.Operator", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text = models.TextField()
    # The page the notice is about (a permit, the aircraft list), for a link; empty for none.
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Read by the organization: one mark for all its members (they share the aircraft and permits).
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The navigation's count on every page an operator opens: their unread notices.
            models.Index(fields=["operator"], name="notice_unread", condition=models.Q(read_at=None)),
        ]

    def __str__(self):
        return f"{self.operator_id} {self.kind}: {self.text[:40]}"
