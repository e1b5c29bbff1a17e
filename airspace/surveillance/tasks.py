"""The periodic jobs of surveillance, run by Celery beat (and by `manage.py run_clock` in the embedded demo):
what the passing of time changes — drones gone silent, excursions past their grace, sensors gone
quiet, swarms (following.py) — and the evidence's partitions and retention (evidence.py)."""

from celery import shared_task


@shared_task(name="airspace.surveillance.tasks.follow_flights")
def follow_flights():
    """One pass of every flight-following check; safe to run from two beat processes at once."""
    from .following import follow_flights as follow  # imported late, as the permit clock's services

    return follow()


@shared_task(name="airspace.surveillance.tasks.maintain_evidence")
def maintain_evidence():
    """The evidence's days ahead, and retention with its archive (evidence.py); a no-op on SQLite."""
    from .evidence import maintain_evidence as maintain

    return maintain()
