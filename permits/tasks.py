"""The permit clock, run by Celery beat (and by `manage.py run_clock` in the embedded demo):
the system transitions that happen because time passed. Each makes its own notifications."""

from celery import shared_task


@shared_task(name="permits.tasks.activate_due_permits")
def activate_due_permits():
    """Approved permits whose window has started become active."""
    from .services import activate_due_permits as activate  # imported late: services imports much of the app

    return activate()


@shared_task(name="permits.tasks.complete_due_permits")
def complete_due_permits():
    """Active permits whose window has ended are completed."""
    from .services import complete_due_permits as complete

    return complete()


@shared_task(name="permits.tasks.expire_stale_applications")
def expire_stale_applications():
    """Applications nobody decided before their window started expire."""
    from .services import expire_stale_applications as expire

    return expire()
