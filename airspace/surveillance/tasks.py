"""Flight following's clock, run by Celery beat (and by `manage.py run_clock` in the embedded demo):
what the passing of time changes — drones gone silent, excursions past their grace, sensors gone
quiet, swarms (following.py)."""

from celery import shared_task


@shared_task(name="airspace.surveillance.tasks.follow_flights")
def follow_flights():
    """One pass of every flight-following check; safe to run from two beat processes at once."""
    from .following import follow_flights as follow  # imported late, as the permit clock's services

    return follow()
