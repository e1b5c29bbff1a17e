"""What air defense does with its notifications and C2 subscriptions, one function per act."""

from django.utils import timezone

from . import webhooks
from .models import AirDefenseNotification, WebhookSubscription


def acknowledge_notification(*, notification_id, user):
    """Air defense has seen it. Acknowledging again changes nothing: the first acknowledgement stands."""
    AirDefenseNotification.objects.filter(pk=notification_id, acknowledged_at=None).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    return AirDefenseNotification.objects.select_related("acknowledged_by").get(pk=notification_id)


def subscribe_webhook(*, name, url, user, secret="", active=True, addressed_only=False):
    """A C2 system subscribes; without a secret of its own it gets a generated one (shown once).
    The URL's destination is checked by the caller (the API's serializer, the admin's form).
    `addressed_only`: a response unit's own webhook, which gets only what is addressed to it."""
    return WebhookSubscription.objects.create(
        name=name,
        url=url,
        secret=secret or webhooks.new_secret(),
        active=active,
        addressed_only=addressed_only,
        created_by=user,
    )
