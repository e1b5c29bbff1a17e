"""The TAK endpoints that receive the air picture as Cursor on Target, and each endpoint's delivery
record of the alerts (tracks and permits are state, resent whole each time: docs/C2.md)."""

from django.db import models


class TakEndpoint(models.Model):
    """A TAK server or client that gets the tracks, the permits in effect and the alerts as Cursor on
    Target. Its URL says how: tcp://host:port, tls://host:port (with a client certificate), or
    udp://host:port (a multicast group address such as 239.2.3.1 sends to the group)."""

    name = models.CharField(max_length=200, unique=True)
    url = models.CharField(
        max_length=300,
        help_text="tcp://host:8087, tls://host:8089 (client certificate below) or udp://239.2.3.1:6969 (multicast).",
    )
    active = models.BooleanField(default=True)
    # TLS: files on the c2 workers' hosts (mounted secrets), never stored in the database. A .p12
    # (as TAK Server issues them) takes its password; a PEM certificate may take its key file.
    tls_client_cert = models.CharField(
        max_length=500, blank=True, help_text="Path of the client certificate (.pem or .p12)."
    )
    tls_client_key = models.CharField(
        max_length=500, blank=True, help_text="Path of its key, if not in the certificate file."
    )
    tls_client_password = models.CharField(max_length=200, blank=True, help_text="Password of the .p12 or key, if any.")
    tls_ca_file = models.CharField(
        max_length=500, blank=True, help_text="Path of the CA certificates the server's certificate must chain to."
    )
    multicast_ttl = models.PositiveSmallIntegerField(
        default=1, help_text="UDP multicast only: how many routers it may cross."
    )
    multicast_interface = models.GenericIPAddressField(
        protocol="IPv4",
        null=True,
        blank=True,
        help_text="UDP multicast only: the address of the interface to send from (empty: the default route's).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The delivery state, written by the c2 queue's tasks (airspace/c2/tasks.py).
    # A send in progress holds the endpoint until then; a second task leaves it alone.
    sending_until = models.DateTimeField(null=True, blank=True)
    # After a failure, when to try again (backing off while the endpoint stays down).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    # When the permits in effect were last sent whole (they are resent every TAK_PERMIT_REFRESH_S).
    permits_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TAK endpoint"

    def __str__(self):
        return f"{self.name} ({self.url})"


class TakDelivery(models.Model):
    """One alert (an air defense notification) for one TAK endpoint: pending until a send that
    carried it succeeded. Created for every active endpoint when the notification is picked up."""

    endpoint = models.ForeignKey(TakEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(
        "airspace.AirDefenseNotification", on_delete=models.CASCADE, related_name="tak_deliveries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "TAK deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "notification"], name="one_tak_delivery_per_endpoint")
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "created_at"], name="tak_delivery_pending", condition=models.Q(delivered_at=None)
            )
        ]

    def __str__(self):
        return f"{self.notification_id} -> {self.endpoint} ({'delivered' if self.delivered_at else 'pending'})"
