"""The reads a national airspace made slow (issue 16 item 3, bench/national.py): the console's map of
permits in effect, the review queue a page at a time, and the zones each process keeps until one
changes. What they answer must not change with how they read it."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from airspace.zones.models import RestrictedZone
from permits import views
from permits.models import State
from tests.conftest import square

pytestmark = pytest.mark.django_db

MAP = "/api/v1/permits/map/"


def test_the_map_lists_the_permits_in_effect_in_the_window_as_the_console_draws_them(
    make_permit, client_for, air_defense_user, officer, operator_user
):
    flying = make_permit(state=State.ACTIVE)
    soon = make_permit(state=State.APPROVED, starts_in=timedelta(minutes=30))
    later = make_permit(state=State.APPROVED, starts_in=timedelta(hours=5))
    for state in (State.SUBMITTED, State.UNDER_REVIEW, State.REJECTED, State.REVOKED, State.COMPLETED):
        make_permit(state=state)
    now = timezone.now()
    window = urlencode(
        {"ends_after": now.isoformat(), "starts_before": (now + timedelta(hours=1)).isoformat(), "limit": 1000}
    )

    for reader in (air_defense_user, officer):
        page = client_for(reader).get(f"{MAP}?{window}&state=approved&state=active").json()
        assert [row["reference"] for row in page["results"]] == [flying.reference, soon.reference]
        assert page["count"] == 2
    row = page["results"][0]
    assert row["operator"] == flying.operator.name
    assert row["aircraft_serial_number"] == flying.aircraft.serial_number
    assert row["area"] == flying.area and row["state"] == "active"
    assert (row["min_altitude_m"], row["max_altitude_m"]) == (flying.min_altitude_m, flying.max_altitude_m)
    # Without a window: every permit in effect, the soonest first; never an application.
    everything = client_for(air_defense_user).get(MAP).json()["results"]
    assert [row["reference"] for row in everything] == [flying.reference, soon.reference, later.reference]

    answer = client_for(operator_user).get(MAP)
    assert answer.status_code == 403
    assert client_for(air_defense_user).get(f"{MAP}?starts_before=tomorrow").status_code == 400


def test_the_review_page_shows_the_queue_a_page_at_a_time(make_permit, officer, client, monkeypatch):
    monkeypatch.setattr(views, "REVIEW_QUEUE_PAGE_SIZE", 2)
    waiting = [make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=2 + n)) for n in range(3)]
    client.force_login(officer)

    first = client.get("/review/").content.decode()
    assert waiting[0].reference in first and waiting[1].reference in first
    assert waiting[2].reference not in first
    assert "1–2 of 3" in first and "?page=2" in first
    second = client.get("/review/?page=2").content.decode()
    assert waiting[2].reference in second and waiting[0].reference not in second


def test_the_queue_sees_a_zone_drawn_moved_or_switched_off_after_the_process_read_the_zones(
    make_permit, make_zone, client_for, officer
):
    permit = make_permit(state=State.SUBMITTED)  # around (44.30, 33.25)
    client = client_for(officer)

    def zones_of_the_permit():
        (item,) = client.get("/api/v1/permits/queue/").json()["results"]
        return [zone["name"] for zone in item["zones"]]

    assert zones_of_the_permit() == []
    zone = make_zone(name="Drawn later", kind=RestrictedZone.Kind.RESTRICTED, area=square(44.30, 33.25))
    assert zones_of_the_permit() == ["Drawn later"]
    zone.boundary = zone.area = square(44.60, 33.60)
    zone.save()
    assert zones_of_the_permit() == []
    zone.boundary = zone.area = square(44.30, 33.25)
    zone.save()
    assert zones_of_the_permit() == ["Drawn later"]
    # Even switched off behind the model's back (a bulk update stamps nothing).
    RestrictedZone.objects.filter(pk=zone.pk).update(active=False)
    assert zones_of_the_permit() == []
    assert permit.reference in client.get("/api/v1/permits/queue/").content.decode()
