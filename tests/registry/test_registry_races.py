"""Two registrations of one serial number at once (issue 10, item 12): both passed the uniqueness
check and the second met the database constraint, a 500. Now it is a 400 naming the field."""

import threading

import pytest
from django.db import connections

from airspace.registry.models import Aircraft
from tests.conftest import hold_uncommitted, run_together, someone_waits_for_a_lock
from tests.fixtures_celery import wait_for


def _aircraft_body(serial_number):
    return {
        "serial_number": serial_number,
        "remote_id": f"RID-{serial_number}",
        "manufacturer": "DJI",
        "model": "Mini 4",
        "category": "multirotor",
        "mtow_kg": "0.249",
    }


@pytest.mark.django_db(transaction=True)
def test_the_loser_of_a_race_for_one_serial_number_gets_a_400_naming_it(operator_user, client_for, make_aircraft):
    operator = operator_user.operator_membership.operator
    client = client_for(operator_user)
    client.raise_request_exception = False
    inserted, release = threading.Event(), threading.Event()

    def register_first():  # another request's INSERT, not yet committed: invisible to the check
        make_aircraft(operator, serial_number="SN-RACE-1", remote_id="RID-OTHER")

    holder = threading.Thread(target=hold_uncommitted, args=(register_first, inserted, release))
    holder.start()
    assert inserted.wait(timeout=30)
    outcome = {}

    def post():
        try:
            outcome["response"] = client.post("/api/v1/aircraft/", _aircraft_body("SN-RACE-1"), format="json")
        finally:
            connections.close_all()

    poster = threading.Thread(target=post)
    poster.start()
    try:
        wait_for(someone_waits_for_a_lock, timeout=30, message="the second INSERT to wait on the first")
    finally:
        release.set()
        holder.join(timeout=30)
        poster.join(timeout=30)

    response = outcome["response"]
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["serial_number"]
    assert Aircraft.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_registrations_of_one_serial_number_at_once_make_one_aircraft_and_nineteen_400s(
    operator_user, client_for
):
    client_for(operator_user)  # its token made here, once: twenty at once would revoke the oldest

    def register(number):
        def call():
            client = client_for(operator_user)
            client.raise_request_exception = False
            body = _aircraft_body("SN-TWENTY") | {"remote_id": f"R{number}"}
            response = client.post("/api/v1/aircraft/", body, format="json")
            return response.status_code, response.json()

        return call

    results = run_together(*(register(n) for n in range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * 19, results
    assert all("serial_number" in body for status, body in results if status == 400)
    assert Aircraft.objects.filter(serial_number="SN-TWENTY").count() == 1


@pytest.mark.django_db
def test_the_aircraft_page_shows_a_lost_race_as_a_form_error(operator_user, client, make_aircraft, monkeypatch):
    # The page saves through the same serializer: the race ends as a message next to the field.
    from airspace.registry import views

    validate_form = views.validate_form
    operator = operator_user.operator_membership.operator

    def validated_then_taken(*args, **kwargs):
        validated = validate_form(*args, **kwargs)
        make_aircraft(operator, serial_number="SN-PAGE", remote_id="RID-OTHER")  # another request, meanwhile
        return validated

    monkeypatch.setattr(views, "validate_form", validated_then_taken)
    client.force_login(operator_user)
    response = client.post("/aircraft/", _aircraft_body("SN-PAGE"))
    assert response.status_code == 400
    assert response.context["errors"]["serial_number"] == ["An aircraft with this serial number is already registered."]
