"""The one shape of a state machine's history (the permit's, the incident's, the transfer's): one row
per transition — which, from and to, who made it, when, and why. Each machine's log inherits it and
adds its subject and its states' choices."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TransitionRecord(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.subject} {self.from_state} -> {self.to_state}"

    @property
    def subject(self):
        """What the transition moved (the permit, incident or transfer)."""
        raise NotImplementedError
