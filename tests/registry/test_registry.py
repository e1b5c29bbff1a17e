"""The registry API: operators register and see only their own aircraft; staff see all and decide."""

import pytest

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.models import Aircraft
from permits.models import State

AIRCRAFT = {
    "serial_number": "dji-m3-777",
    "remote_id": "rid-777",
    "manufacturer": "DJI",
    "model": "Mavic 3",
    "category": "multirotor",
    "mtow_kg": "0.895",
}


@pytest.mark.django_db
def test_operator_registers_aircraft_pending_verification(client_for, operator_user):
    response = client_for(operator_user).post("/api/v1/aircraft/", AIRCRAFT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["serial_number"] == "DJI-M3-777"
    assert body["operator"] == "Alpha Aerial"
    assert Aircraft.objects.get(pk=body["id"]).operator.name == "Alpha Aerial"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["serial_number", "remote_id"])
def test_duplicate_identifier_is_a_400_naming_the_field(client_for, operator_user, other_operator_user, field):
    assert client_for(operator_user).post("/api/v1/aircraft/", AIRCRAFT, format="json").status_code == 201
    second = {**AIRCRAFT, "serial_number": "OTHER-1", "remote_id": "OTHER-RID"}
    second[field] = AIRCRAFT[field].upper()
    response = client_for(other_operator_user).post("/api/v1/aircraft/", second, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["serial_number", "remote_id"])
@pytest.mark.parametrize("spelling", [str, str.lower, str.swapcase], ids=["same", "lower", "swapped"])
def test_duplicate_identifier_as_typed_is_a_400_not_a_500(client_for, operator_user, field, spelling):
    # The stored identifier is upper-cased: the uniqueness check must compare the upper-cased input,
    # or a retried registration ("dji-m3-777" twice) reaches the database constraint.
    client = client_for(operator_user)
    assert client.post("/api/v1/aircraft/", AIRCRAFT, format="json").status_code == 201
    second = {**AIRCRAFT, "serial_number": "OTHER-1", "remote_id": "OTHER-RID", field: spelling(AIRCRAFT[field])}
    client.raise_request_exception = False
    response = client.post("/api/v1/aircraft/", second, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Aircraft.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        ({"mtow_kg": "-1"}, "mtow_kg"),
        ({"mtow_kg": "heavy"}, "mtow_kg"),
        ({"category": "balloon"}, "category"),
        ({"serial_number": ""}, "serial_number"),
        ({"remote_id": None}, "remote_id"),
    ],
)
def test_bad_aircraft_input_is_a_400_naming_the_field(client_for, operator_user, change, field):
    response = client_for(operator_user).post("/api/v1/aircraft/", {**AIRCRAFT, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_operator_sees_only_own_aircraft(client_for, operator_user, other_operator_user, make_aircraft):
    mine = make_aircraft(operator_user.operator_membership.operator)
    theirs = make_aircraft(other_operator_user.operator_membership.operator)
    client = client_for(operator_user)
    listed = client.get("/api/v1/aircraft/").json()["results"]
    assert [a["id"] for a in listed] == [mine.id]
    assert client.get(f"/api/v1/aircraft/{mine.id}/").status_code == 200
    # Another operator's aircraft does not exist as far as this operator can tell.
    assert client.get(f"/api/v1/aircraft/{theirs.id}/").status_code == 404


@pytest.mark.django_db
def test_staff_see_all_aircraft(client_for, officer, operator_user, other_operator_user, make_aircraft):
    ids = {make_aircraft(u.operator_membership.operator).id for u in (operator_user, other_operator_user)}
    listed = client_for(officer).get("/api/v1/aircraft/").json()["results"]
    assert {a["id"] for a in listed} == ids


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.AIR_DEFENSE, roles.SENSOR])
def test_other_roles_cannot_use_the_registry(client_for, make_user, role):
    assert client_for(make_user(role)).get("/api/v1/aircraft/").status_code == 403


@pytest.mark.django_db
def test_anonymous_gets_401(client_for):
    response = client_for(None).get("/api/v1/aircraft/")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
def test_staff_verify_then_suspend(client_for, officer, operator_user, make_aircraft):
    aircraft = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    client = client_for(officer)
    assert client.post(f"/api/v1/aircraft/{aircraft.id}/verify/").json()["status"] == "registered"
    assert client.post(f"/api/v1/aircraft/{aircraft.id}/verify/").status_code == 409
    assert client.post(f"/api/v1/aircraft/{aircraft.id}/suspend/").json()["status"] == "suspended"
    aircraft.refresh_from_db()
    assert aircraft.status == "suspended"
    assert aircraft.status_changed_by == officer


@pytest.mark.django_db
def test_operator_cannot_verify_own_aircraft(client_for, operator_user, make_aircraft):
    aircraft = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    assert client_for(operator_user).post(f"/api/v1/aircraft/{aircraft.id}/verify/").status_code == 403
    aircraft.refresh_from_db()
    assert aircraft.status == "pending"


@pytest.mark.django_db
def test_token_endpoint(client_for, operator_user):
    from tests.conftest import PASSWORD

    anonymous = client_for(None)
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": operator_user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/v1/aircraft/").status_code == 200
    wrong = client_for(None).post(
        "/api/v1/auth/token/", {"username": operator_user.username, "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    assert "password" in wrong.json()
    assert client_for(None).post("/api/v1/auth/token/", {}, format="json").json().keys() == {"username", "password"}


@pytest.mark.django_db
def test_malformed_json_is_a_400(client_for, operator_user):
    response = client_for(operator_user).post("/api/v1/aircraft/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.django_db
def test_list_limit_beyond_the_database_integer_range_is_capped(client_for, operator_user, make_aircraft):
    make_aircraft(operator_user.operator_membership.operator)
    client = client_for(operator_user)
    client.raise_request_exception = False
    response = client.get("/api/v1/aircraft/", {"limit": "9" * 30})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.django_db
def test_json_nested_too_deeply_is_a_400(client_for, operator_user):
    client = client_for(operator_user)
    client.raise_request_exception = False
    body = '{"serial_number": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/api/v1/aircraft/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_suspending_an_aircraft_revokes_the_permits_it_flies_under(client_for, officer, make_permit):
    approved = make_permit(state=State.APPROVED)
    active = make_permit(state=State.ACTIVE, aircraft=approved.aircraft)
    draft = make_permit(state=State.DRAFT, aircraft=approved.aircraft)

    response = client_for(officer).post(f"/api/v1/aircraft/{approved.aircraft_id}/suspend/")

    assert response.status_code == 200, response.content
    for permit, state in ((approved, "revoked"), (active, "revoked"), (draft, "draft")):
        permit.refresh_from_db()
        assert permit.state == state
    revoked = AirDefenseNotification.objects.filter(kind="permit.revoked")
    assert sorted(revoked.values_list("permit_id", flat=True)) == sorted([approved.pk, active.pk])
    [last] = active.history.order_by("-at")[:1]
    assert (last.actor, last.reason) == (officer, f"Aircraft {approved.aircraft.serial_number} was suspended.")
