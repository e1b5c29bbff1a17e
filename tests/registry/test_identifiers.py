"""Serial numbers and Remote IDs are case-insensitive everywhere: one normalization rule
(airspace/registry/identifiers.py), applied wherever an identifier enters the registry — the API,
the pages, the admin, list filters — and to identifiers stored before the rule. Sensor reports:
tests/surveillance/test_report_identifiers.py."""

import pytest

from airspace.registry.identifiers import normalize_identifier
from airspace.registry.models import Aircraft

pytestmark = pytest.mark.django_db

DRONE = {
    "serial_number": "sn-c0afa3",
    "remote_id": "rid-c0afa3",
    "manufacturer": "DJI",
    "model": "Mavic 3",
    "category": "multirotor",
    "mtow_kg": "0.895",
}


@pytest.fixture
def registered_in_lower_case(client_for, operator_user, officer):
    """A drone registered through the API as typed in lower case, then verified by command staff."""
    response = client_for(operator_user).post("/api/v1/aircraft/", DRONE, format="json")
    assert response.status_code == 201, response.json()
    aircraft_id = response.json()["id"]
    assert client_for(officer).post(f"/api/v1/aircraft/{aircraft_id}/verify/").status_code == 200
    return Aircraft.objects.get(pk=aircraft_id)


@pytest.mark.parametrize(
    "typed, normalized",
    [("rid-c0afa3", "RID-C0AFA3"), ("  Rid-C0afA3\t", "RID-C0AFA3"), ("RID-C0AFA3", "RID-C0AFA3"), (None, None)],
)
def test_the_one_rule_trims_and_upper_cases(typed, normalized):
    assert normalize_identifier(typed) == normalized


# --- registering: API, pages, admin ---------------------------------------------------------------


def test_the_api_stores_the_registry_spelling(registered_in_lower_case):
    assert (registered_in_lower_case.serial_number, registered_in_lower_case.remote_id) == ("SN-C0AFA3", "RID-C0AFA3")


def test_the_aircraft_page_stores_the_registry_spelling_and_refuses_another_spelling_of_a_taken_one(
    client, operator_user
):
    client.force_login(operator_user)
    assert client.post("/aircraft/", {**DRONE, "serial_number": " sn-page-1 "}).status_code == 302
    assert Aircraft.objects.filter(serial_number="SN-PAGE-1", remote_id="RID-C0AFA3").exists()

    again = client.post("/aircraft/", {**DRONE, "serial_number": "SN-other", "remote_id": "Rid-C0afa3"})
    assert again.status_code == 400
    assert "remote_id" in again.context["errors"]
    assert Aircraft.objects.count() == 1


@pytest.fixture
def admin_client_signed_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.invalid", "x-admin-pw-1"))
    return client


def admin_form(operator, **changes):
    return {**DRONE, "operator": operator.pk, **changes}


def test_the_admin_stores_the_registry_spelling(admin_client_signed_in, operator_user):
    operator = operator_user.operator_membership.operator
    response = admin_client_signed_in.post("/admin/airspace/aircraft/add/", admin_form(operator))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    aircraft = Aircraft.objects.get()
    assert (aircraft.serial_number, aircraft.remote_id) == ("SN-C0AFA3", "RID-C0AFA3")


def test_the_admin_refuses_another_spelling_of_a_registered_identifier(
    admin_client_signed_in, operator_user, make_aircraft
):
    operator = operator_user.operator_membership.operator
    make_aircraft(operator, serial_number="SN-C0AFA3", remote_id="RID-TAKEN")
    admin_client_signed_in.raise_request_exception = False

    response = admin_client_signed_in.post("/admin/airspace/aircraft/add/", admin_form(operator))

    assert response.status_code == 200  # the form again, with its error
    assert "serial_number" in response.context["adminform"].form.errors
    assert Aircraft.objects.count() == 1


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("field, typed", [("serial_number", "sn-c0afa3"), ("remote_id", " RID-c0afa3 ")])
def test_the_aircraft_list_filters_by_identifier_in_any_spelling(
    client_for, officer, operator_user, make_aircraft, registered_in_lower_case, field, typed
):
    make_aircraft(operator_user.operator_membership.operator)  # another drone, not to be listed
    response = client_for(officer).get("/api/v1/aircraft/", {field: typed})
    assert response.status_code == 200, response.json()
    assert [aircraft["id"] for aircraft in response.json()["results"]] == [registered_in_lower_case.id]


# --- identifiers stored before the rule -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_earlier_spellings_the_one_way_and_refuses_to_merge_two_aircraft(operator_user):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("airspace", "0007_drop_plaintext_api_tokens")]
    after = [("airspace", "0008_identifiers_normalized")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_aircraft = executor.loader.project_state(before).apps.get_model("airspace", "Aircraft")
    fields = {"manufacturer": "DJI", "model": "Mini", "category": "multirotor", "mtow_kg": "0.2"}
    operator_id = operator_user.operator_membership.operator_id
    typed = old_aircraft.objects.create(operator_id=operator_id, serial_number="sn-1 ", remote_id="rid-1", **fields)
    twin = old_aircraft.objects.create(operator_id=operator_id, serial_number="SN-1", remote_id="RID-2", **fields)
    try:
        with pytest.raises(RuntimeError, match="differ only in case"):
            MigrationExecutor(connection).migrate(after)
        old_aircraft.objects.filter(pk=twin.pk).delete()
        MigrationExecutor(connection).migrate(after)
    finally:  # whatever happened, the later tests get the database at its latest migration
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())

    assert Aircraft.objects.filter(pk=typed.pk, serial_number="SN-1", remote_id="RID-1").exists()
