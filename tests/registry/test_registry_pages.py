"""The aircraft pages: registering, duplicates, verifying
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.registry.models import Aircraft
from airspace.zones.models import RestrictedZone
from tests.conftest import square
from tests.fixtures_pages import INTERNAL_NAME, shown_errors

pytestmark = pytest.mark.django_db


def test_operator_registers_an_aircraft_and_sees_duplicate_errors(operator_user, make_aircraft, browser_for):
    existing = make_aircraft(operator_user.operator_membership.operator)
    client = browser_for(operator_user)
    form = {
        "serial_number": "sn-new-1",
        "remote_id": "rid-new-1",
        "manufacturer": "DJI",
        "model": "Mini 4",
        "category": "multirotor",
        "mtow_kg": "0.249",
    }
    assert client.post("/aircraft/", form).status_code == 302
    assert Aircraft.objects.get(serial_number="SN-NEW-1").status == Aircraft.Status.PENDING
    response = client.post("/aircraft/", {**form, "serial_number": existing.serial_number, "remote_id": "RID-X"})
    assert response.status_code == 400
    assert "serial_number" in response.context["errors"]


def test_staff_verify_aircraft_and_manage_zones(officer, operator_user, make_aircraft, browser_for):
    aircraft = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    client = browser_for(officer)
    client.post(f"/aircraft/{aircraft.pk}/verify/")
    aircraft.refresh_from_db()
    assert aircraft.status == Aircraft.Status.REGISTERED
    # A second click (or a second officer) is told, not given a server error.
    again = client.post(f"/aircraft/{aircraft.pk}/verify/", follow=True)
    assert again.status_code == 200
    assert "cannot be verified" in again.content.decode()

    zone_form = {
        "name": "Embassy row",
        "kind": "prohibited",
        "area": json.dumps({"type": "Point", "coordinates": [44.39, 33.30]}),
        "radius_m": "600",
        "min_altitude_m": "0",
        "max_altitude_m": "2000",
    }
    assert client.post("/zones/", zone_form).status_code == 302
    zone = RestrictedZone.objects.get(name="Embassy row")
    bad = client.post("/zones/", {**zone_form, "name": "Bad", "radius_m": "", "area": json.dumps(square(44.0, 95.0))})
    assert bad.status_code == 400 and "area" in bad.context["errors"]
    client.post(f"/zones/{zone.pk}/deactivate/")
    zone.refresh_from_db()
    assert zone.active is False


@pytest.mark.parametrize(
    "changes",
    [{"mtow_kg": "heavy"}, {"mtow_kg": "5000"}, {"serial_number": "", "remote_id": ""}, {"category": "balloon"}],
    ids=lambda changes: "-".join(changes),
)
def test_no_aircraft_form_error_names_an_internal_field(operator_user, browser_for, changes):
    form = {
        "serial_number": "sn-words-1",
        "remote_id": "rid-words-1",
        "manufacturer": "DJI",
        "model": "Mini 4",
        "category": "multirotor",
        "mtow_kg": "0.249",
        **changes,
    }
    response = browser_for(operator_user).post("/aircraft/", form)
    assert response.status_code == 400
    shown = shown_errors(response.content.decode())
    assert shown
    assert not [message for message in shown if INTERNAL_NAME.search(message)], shown


def test_the_verification_queue_lists_drones_awaiting_verification_oldest_first(
    officer, operator_user, other_operator_user, make_aircraft, browser_for
):
    older = make_aircraft(other_operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    newer = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    Aircraft.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    registered = make_aircraft(operator_user.operator_membership.operator)
    client = browser_for(officer)
    page = client.get("/aircraft/verification/").content.decode()
    assert page.index(older.serial_number) < page.index(newer.serial_number)
    assert registered.serial_number not in page
    # Refusing is behind a disclosure: no red button on each row of the list.
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert rows.count("<details") == 2 and rows.count("Verify</button>") == 2
    assert all("danger" not in row.split("<details")[0] for row in rows.split("<tr")[1:])

    response = client.post(f"/aircraft/{older.pk}/verify/", {"from": "verification"})
    assert response["Location"] == "/aircraft/verification/"
    assert Aircraft.objects.get(pk=older.pk).status == Aircraft.Status.REGISTERED
    response = client.post(f"/aircraft/{newer.pk}/suspend/", {"from": "verification"}, follow=True)
    assert Aircraft.objects.get(pk=newer.pk).status == Aircraft.Status.SUSPENDED
    assert "No aircraft awaits verification." in response.content.decode()


def test_the_verification_queue_is_for_command_staff(operator_user, browser_for):
    assert browser_for(operator_user).get("/aircraft/verification/").status_code == 403
