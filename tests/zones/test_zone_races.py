"""Two officers naming a zone alike at the same moment (issue 10, item 12): both passed the uniqueness
check and the second met the database constraint, a 500. The zones lock now orders them, and the
second is told the name is taken (a 400 naming it), on the API and on the zones page."""

import threading

import pytest
from django.db import connections

from airspace.geometry import parse_area
from airspace.zones.models import RestrictedZone
from airspace.zones.services import draw_zone
from tests.conftest import hold_uncommitted, someone_waits_for_a_lock, square
from tests.fixtures_celery import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _zone_body(name):
    return {"name": name, "kind": "restricted", "area": square(44.1, 33.1), "max_altitude_m": 500}


def _race(officer, second_request):
    """The first officer's zone is drawn (lock taken, row written) but not committed when the second
    request arrives; returns the second one's response."""
    inserted, release = threading.Event(), threading.Event()
    parsed = parse_area(square(44, 33))

    def draw_first():
        draw_zone(
            officer=officer, name="Race Zone", kind="restricted", area=parsed.geojson, boundary=parsed.boundary_geojson,
            max_altitude_m=100,
        )  # fmt: skip

    holder = threading.Thread(target=hold_uncommitted, args=(draw_first, inserted, release))
    holder.start()
    assert inserted.wait(timeout=30)
    outcome = {}

    def second():
        try:
            outcome["response"] = second_request()
        finally:
            connections.close_all()

    poster = threading.Thread(target=second)
    poster.start()
    try:
        wait_for(someone_waits_for_a_lock, timeout=30, message="the second zone to wait for the first")
    finally:
        release.set()
        holder.join(timeout=30)
        poster.join(timeout=30)
    assert RestrictedZone.objects.count() == 1
    return outcome["response"]


def test_the_second_officer_to_name_a_zone_alike_gets_a_400_naming_it(officer, client_for):
    client = client_for(officer)
    client.raise_request_exception = False
    response = _race(officer, lambda: client.post("/api/v1/zones/", _zone_body("Race Zone"), format="json"))
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["name"]


def test_the_zones_page_shows_the_name_taken_meanwhile_next_to_it(officer, client):
    import json

    client.force_login(officer)
    client.raise_request_exception = False
    form = _zone_body("Race Zone") | {"area": json.dumps(square(44.1, 33.1)), "radius_m": "", "min_altitude_m": "0"}
    response = _race(officer, lambda: client.post("/zones/", form))
    assert response.status_code == 400, response.content[:300]
    assert response.context["errors"]["name"] == ["A zone with this name already exists."]
