"""Celery tasks of the air_defense queue."""

from celery import shared_task
from django.utils import timezone

from .models import AirDefenseNotification


@shared_task(name="airspace.tasks.deliver_notification")
def deliver_notification(notification_id):
    """Mark a notification delivered. (Stream publication and webhooks: see the notifications issue.)"""
    AirDefenseNotification.objects.filter(pk=notification_id, delivered_at=None).update(delivered_at=timezone.now())
