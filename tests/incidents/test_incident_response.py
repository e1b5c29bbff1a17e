"""Working an incident: sending units (each told through the outbox, a unit's own webhook
addressed), identifying the drone, and the violations an outcome puts on an operator's record —
which make the operator's next permit need a senior officer."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import create_webhook_deliveries
from airspace.incidents.models import ResponseUnit, State, UnknownDrone, Violation
from airspace.incidents.services import assign_unit
from permits.models import State as PermitState

pytestmark = pytest.mark.django_db


def post(client, incident, act, body):
    return client.post(f"/api/v1/incidents/{incident.pk}/{act}/", body, format="json")


def test_sending_a_unit_tells_it_and_starts_the_response(make_incident, make_unit, air_defense_user, client_for):
    incident = make_incident()
    unit = make_unit(name="Falcon 1")

    response = post(client_for(air_defense_user), incident, "assign", {"unit": unit.pk})

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.RESPONDING
    assert [u["unit"] for u in response.json()["units"]] == ["Falcon 1"]
    [told] = AirDefenseNotification.objects.filter(kind="incident.unit_assigned")
    assert told.payload["unit"]["name"] == "Falcon 1" and told.payload["incident"]["id"] == incident.pk
    assert told.addressed_to_id is None
    incident.refresh_from_db()
    assert incident.responded_at is not None
    assert incident.history.get().reason == "Falcon 1 sent."


@pytest.mark.parametrize(
    "body, field", [({}, "unit"), ({"unit": "x"}, "unit"), ({"unit": 999999}, "unit"), ({"unit": -1}, "unit")]
)
def test_a_bad_unit_is_a_400(make_incident, officer, client_for, body, field):
    response = post(client_for(officer), make_incident(), "assign", body)
    assert response.status_code == 400 and field in response.json()


def test_a_unit_is_sent_once_and_not_to_a_closed_incident(make_incident, make_unit, officer, client_for):
    unit, client = make_unit(), client_for(officer)
    incident = make_incident()
    assert post(client, incident, "assign", {"unit": unit.pk}).status_code == 200
    assert post(client, incident, "assign", {"unit": unit.pk}).status_code == 400
    assert post(client, make_incident(State.RESOLVED), "assign", {"unit": unit.pk}).status_code == 409
    assert AirDefenseNotification.objects.filter(kind="incident.unit_assigned").count() == 1


def test_a_units_own_webhook_gets_only_what_is_addressed_to_it(make_incident, make_unit, air_defense_user, settings):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["127.0.0.1"]
    c2 = subscribe_webhook(name="C2", url="http://127.0.0.1:9/c2", user=air_defense_user)
    own = subscribe_webhook(name="Falcon", url="http://127.0.0.1:9/f", user=air_defense_user, addressed_only=True)
    other = subscribe_webhook(name="Hawk", url="http://127.0.0.1:9/h", user=air_defense_user, addressed_only=True)
    unit = make_unit(subscription=own)
    incident = make_incident()  # its hostile alert is not written here: only the unit's notification
    assign_unit(incident_id=incident.pk, user=air_defense_user, unit_id=unit.pk)
    told = AirDefenseNotification.objects.get(kind="incident.unit_assigned")
    assert told.addressed_to_id == own.pk
    hostile = AirDefenseNotification.objects.create(kind="track.hostile", payload={})
    AirDefenseNotification.objects.update(delivered_at=told.created_at)

    create_webhook_deliveries([str(told.pk), str(hostile.pk)])

    deliveries = set(WebhookDelivery.objects.values_list("notification_id", "subscription_id"))
    assert deliveries == {(told.pk, c2.pk), (told.pk, own.pk), (hostile.pk, c2.pk)}
    assert other.pk not in {subscription for _, subscription in deliveries}


def test_identifying_a_registered_aircraft_names_its_operator(
    make_incident, make_aircraft, operator_user, officer, client_for
):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    incident = make_incident()
    track_id = incident.tracks.get().track_id

    response = post(
        client_for(officer), incident, "identify", {"track": track_id, "aircraft": aircraft.serial_number.lower()}
    )

    assert response.status_code == 200, response.json()
    [track] = response.json()["tracks"]
    assert track["aircraft_serial_number"] == aircraft.serial_number
    assert track["operator"] == operator_user.operator_membership.operator.name


def test_identifying_an_unknown_drone_keeps_what_was_seen(make_incident, officer, client_for):
    incident = make_incident()
    track_id = incident.tracks.get().track_id
    body = {"track": track_id, "unknown_drone": {"description": "white quadcopter", "remote_id": "rid-zz9"}}

    response = post(client_for(officer), incident, "identify", body)

    assert response.status_code == 200, response.json()
    drone = UnknownDrone.objects.get()
    assert (drone.description, drone.remote_id) == ("white quadcopter", "RID-ZZ9")
    assert "unknown drone (white quadcopter, Remote ID RID-ZZ9)" in response.json()["tracks"][0]["identified_as"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"track": 999999, "unknown_drone": {"description": "x"}}, "track"),
        ({"aircraft": "NO-SUCH"}, "aircraft"),
        ({}, "aircraft"),
        ({"operator": 999999}, "operator"),
        ({"unknown_drone": {"description": ""}}, "unknown_drone"),
    ],
)
def test_bad_identification_is_a_400_naming_the_field(make_incident, officer, client_for, body, field):
    incident = make_incident()
    body = {"track": incident.tracks.get().track_id, **body}
    response = post(client_for(officer), incident, "identify", body)
    assert response.status_code == 400, response.json()
    assert field in response.json()


def detain(client, make_incident, aircraft, outcome="operator_detained"):
    incident = make_incident()
    track_id = incident.tracks.get().track_id
    assert (
        post(client, incident, "identify", {"track": track_id, "aircraft": aircraft.serial_number}).status_code == 200
    )
    response = post(client, incident, "resolve", {"outcome": outcome})
    assert response.status_code == 200, response.json()
    return incident


def test_an_outcome_against_the_operator_is_on_their_record(
    make_incident, make_aircraft, operator_user, officer, client_for
):
    operator = operator_user.operator_membership.operator
    aircraft = make_aircraft(operator)

    incident = detain(client_for(officer), make_incident, aircraft, outcome="warned_and_released")

    [violation] = Violation.objects.all()
    assert (violation.operator, violation.aircraft, violation.incident) == (operator, aircraft, incident)
    assert violation.outcome == "warned_and_released"
    assert list(aircraft.violations.all()) == [violation]


def test_an_operator_with_too_many_violations_needs_a_senior_officer(
    make_incident, make_aircraft, make_permit, operator_user, officer, senior_officer, client_for, settings
):
    settings.SENIOR_APPROVAL_VIOLATIONS, settings.SENIOR_APPROVAL_VIOLATIONS_DAYS = 2, 90
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    permit = make_permit(state=PermitState.UNDER_REVIEW, owner=operator_user)
    staff = client_for(officer)
    detain(staff, make_incident, aircraft)
    assert staff.get(f"/api/v1/permits/{permit.pk}/").json()["requires_senior_approval"] is False

    detain(staff, make_incident, aircraft)

    assert staff.get(f"/api/v1/permits/{permit.pk}/").json()["requires_senior_approval"] is True
    refused = staff.post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json")
    assert refused.status_code == 403
    assert "2 violations in 90 days" in refused.json()["detail"]
    approved = client_for(senior_officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.json()


def test_old_violations_do_not_count(
    make_incident, make_aircraft, make_permit, operator_user, officer, client_for, settings
):
    settings.SENIOR_APPROVAL_VIOLATIONS, settings.SENIOR_APPROVAL_VIOLATIONS_DAYS = 1, 30
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    permit = make_permit(state=PermitState.UNDER_REVIEW, owner=operator_user)
    detain(client_for(officer), make_incident, aircraft)
    Violation.objects.update(at=timezone.now() - timedelta(days=31))
    assert client_for(officer).post(f"/api/v1/permits/{permit.pk}/approve/", {}, format="json").status_code == 200


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER])
def test_command_staff_add_units_and_air_defense_reads_them(make_user, client_for, role, air_defense_user):
    body = {
        "name": "Hawk",
        "kind": "police",
        "area": {"type": "Point", "coordinates": [44.36, 33.31]},
        "radius_m": 2000,
    }
    created = client_for(make_user(role)).post("/api/v1/response-units/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["radius_m"] == 2000
    assert (
        client_for(air_defense_user).post("/api/v1/response-units/", {**body, "name": "x"}, format="json").status_code
        == 403
    )
    assert [unit["name"] for unit in client_for(air_defense_user).get("/api/v1/response-units/").json()["results"]] == [
        "Hawk"
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "police"}, "name"),
        ({"name": "A", "kind": "tank"}, "kind"),
        ({"name": "A", "kind": "police", "area": {"type": "Point", "coordinates": [44.3, 33.3]}}, "radius_m"),
        ({"name": "A", "kind": "police", "area": {"type": "Line"}}, "area"),
    ],
)
def test_bad_units_are_a_400_naming_the_field(officer, client_for, body, field):
    response = client_for(officer).post("/api/v1/response-units/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_the_demo_has_two_response_units_however_often_it_is_loaded():
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
    assert sorted(ResponseUnit.objects.values_list("name", flat=True)) == [
        "Falcon intercept team",
        "Karkh police patrol",
    ]


def test_the_permit_list_reads_the_violations_once_for_the_page(
    make_incident, make_aircraft, make_permit, make_user, officer, client_for, django_assert_max_num_queries
):
    staff = client_for(officer)
    for n in range(6):
        owner = make_user(roles.OPERATOR, organization=f"Operator {n}")
        detain(staff, make_incident, make_aircraft(owner.operator_membership.operator))
        make_permit(state=PermitState.SUBMITTED, owner=owner)
    staff.get("/api/v1/permits/")  # the token and the roles, read once
    with django_assert_max_num_queries(9):
        listed = staff.get("/api/v1/permits/").json()["results"]
    assert len(listed) == 6 and not any(permit["requires_senior_approval"] for permit in listed)
