"""Serial numbers and Remote IDs are case-insensitive everywhere: one normalization rule
(airspace/identifiers.py), applied at every entry — the API, the pages, the admin, sensor reports and
list filters — against PostgreSQL, through the real endpoints."""

import pytest
from django.utils import timezone

from airspace.identifiers import normalize_identifier
from airspace.models import Aircraft, AirDefenseNotification, PositionReport, Track
from permits.models import State

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tracks/reports/"
# The fixtures' default permit area: a square of ±0.005° around 44.30 E, 33.25 N, 0-120 m.
INSIDE_THE_PERMIT = {"lat": 33.25, "lon": 44.30, "altitude_m": 60}
DRONE = {
    "serial_number": "sn-c0afa3",
    "remote_id": "rid-c0afa3",
    "manufacturer": "DJI",
    "model": "Mavic 3",
    "category": "multirotor",
    "mtow_kg": "0.895",
}


def report(remote_id, track="t-1"):
    at = timezone.now().isoformat()
    return {"sensor_track_id": track, "observed_at": at, "remote_id": remote_id, **INSIDE_THE_PERMIT}


@pytest.fixture
def registered_in_lower_case(client_for, operator_user, officer):
    """A drone registered through the API as typed in lower case, then verified by command staff."""
    response = client_for(operator_user).post("/api/v1/aircraft/", DRONE, format="json")
    assert response.status_code == 201, response.json()
    aircraft_id = response.json()["id"]
    assert client_for(officer).post(f"/api/v1/aircraft/{aircraft_id}/verify/").status_code == 200
    return Aircraft.objects.get(pk=aircraft_id)


@pytest.fixture
def flying_in_its_permit(registered_in_lower_case, make_permit, operator_user):
    return make_permit(state=State.ACTIVE, owner=operator_user, aircraft=registered_in_lower_case)


@pytest.fixture
def sensor_post(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post


@pytest.mark.parametrize(
    "typed, normalized",
    [("rid-c0afa3", "RID-C0AFA3"), ("  Rid-C0afA3\t", "RID-C0AFA3"), ("RID-C0AFA3", "RID-C0AFA3"), (None, None)],
)
def test_the_one_rule_trims_and_upper_cases(typed, normalized):
    assert normalize_identifier(typed) == normalized


# --- sensor reports: the headline -----------------------------------------------------------------


def test_a_legal_drone_reported_in_lower_case_is_authorized_and_raises_no_alert(sensor_post, flying_in_its_permit):
    [outcome] = sensor_post(report("rid-c0afa3"))

    assert outcome["classification"] == "authorized"
    assert outcome["permit"] == flying_in_its_permit.reference
    assert not AirDefenseNotification.objects.filter(kind__startswith="track.").exists()


@pytest.mark.parametrize("reported", ["sn-c0afa3", " Sn-C0AFA3 ", "SN-C0AFA3"])
def test_its_serial_number_in_any_case_identifies_it_too(sensor_post, flying_in_its_permit, reported):
    [outcome] = sensor_post(report(reported))
    assert outcome["classification"] == "authorized"


def test_every_spelling_of_a_remote_id_is_one_track_and_kept_in_the_registry_spelling(
    sensor_post, flying_in_its_permit
):
    outcomes = sensor_post(report("rid-c0afa3", track="a"), report("RID-C0AFA3", track="b"), report("Rid-C0afa3"))

    assert len({outcome["track"] for outcome in outcomes}) == 1
    assert {outcome["classification"] for outcome in outcomes} == {"authorized"}
    track = Track.objects.get()
    assert (track.identity, track.remote_id) == ("rid:RID-C0AFA3", "RID-C0AFA3")
    assert set(PositionReport.objects.values_list("remote_id", flat=True)) == {"RID-C0AFA3"}


def test_an_identifier_that_upper_casing_makes_too_long_is_a_400_naming_the_field(sensor_user, client_for):
    # "ß".upper() is "SS": 64 characters as sent, 128 as stored, which the column cannot hold.
    response = client_for(sensor_user).post(REPORTS, {"reports": [report("ß" * 64)]}, format="json")
    assert response.status_code == 400
    assert "remote_id" in response.json()["reports"]["0"]


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


def test_the_track_list_filters_by_remote_id_in_any_spelling(
    sensor_post, client_for, air_defense_user, flying_in_its_permit
):
    sensor_post(report("RID-C0AFA3"), report(None, track="radar-7"))
    response = client_for(air_defense_user).get("/api/v1/tracks/", {"remote_id": "rid-c0afa3"})
    assert response.status_code == 200, response.json()
    assert [track["identity"] for track in response.json()["results"]] == ["rid:RID-C0AFA3"]


# --- identifiers stored before the rule -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_earlier_spellings_the_one_way_and_refuses_to_merge_two_aircraft(operator_user):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("airspace", "0006_notification_delivered_at_index")]
    after = [("airspace", "0007_identifiers_normalized")]
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
