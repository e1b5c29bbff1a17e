"""The demo data adds a few permits through the services, and running it twice adds nothing."""

import io

import pytest
from django.core.management import call_command

from airspace.air_defense.models import AirDefenseNotification
from permits.models import FlightPermit, State


@pytest.mark.django_db
def test_seed_demo_permits_are_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    states = sorted(FlightPermit.objects.values_list("state", flat=True))
    assert states == sorted([State.SUBMITTED, State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED])
    assert (
        FlightPermit.objects.filter(state=State.SUBMITTED, description__contains="Karrada")
        .get()
        .requires_senior_approval
    )
    assert AirDefenseNotification.objects.filter(kind="permit.approved").count() == 1
    for permit in FlightPermit.objects.all():
        assert permit.history.exists()
