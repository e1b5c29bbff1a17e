"""Traceability: the chain of a drone's life through the API and on the page, and the lead an
unregistered track's hostile alert carries when its Remote ID was imported and never registered."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.services import verify_aircraft
from airspace.trade import services
from tests.surveillance.reports import REPORTS, report

pytestmark = pytest.mark.django_db
TRACE = "/api/v1/trace/"


@pytest.fixture
def full_life(dealer_user, operator_user, other_operator_user, officer, make_shipment):
    """Imported, sold to Alpha Aerial, confirmed, verified, then transferred to Bravo Survey."""
    drone = make_shipment(dealer_user, customs_reference="CUS-LIFE", imported_on=date(2026, 11, 2)).drones.get()
    services.sell_drone(
        user=dealer_user,
        drone_id=drone.pk,
        buyer_name="Alpha Aerial",
        buyer_operator=operator_user.operator_membership.operator,
        sold_on=date(2026, 11, 10),
    )
    aircraft = services.confirm_purchase(user=operator_user, drone_id=drone.pk)
    verify_aircraft(aircraft_id=aircraft.pk, officer=officer)
    transfer = services.request_transfer(
        user=operator_user, aircraft_id=aircraft.pk, to_operator=other_operator_user.operator_membership.operator
    )
    services.accept_transfer(transfer_id=transfer.pk, user=other_operator_user)
    drone.refresh_from_db()
    return drone


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE])
def test_the_chain_of_a_drone_through_the_api(make_user, client_for, full_life, role):
    for identifier in (full_life.serial_number.lower(), full_life.remote_id):
        response = client_for(make_user(role)).get(TRACE, {"identifier": identifier})
        assert response.status_code == 200, response.json()
        chain = response.json()
        assert chain["serial_number"] == full_life.serial_number and chain["operator"] == "Bravo Survey"
        assert [(event["event"], event["text"]) for event in chain["events"]] == [
            ("imported", "Imported by Babylon Drone Imports (customs reference CUS-LIFE)"),
            ("sold", "Sold by Babylon Drone Imports to Alpha Aerial"),
            ("registered", "Registered by Alpha Aerial"),
            ("verified", "Verified by command staff"),
            ("transferred", "Transferred from Alpha Aerial to Bravo Survey"),
        ]
        assert chain["events"][0]["at"] == "2026-11-02" and chain["events"][1]["at"] == "2026-11-10"


def test_a_drone_sold_to_a_person_and_never_registered(client_for, officer, dealer_user, make_shipment):
    drone = make_shipment(dealer_user).drones.get()
    services.sell_drone(
        user=dealer_user,
        drone_id=drone.pk,
        buyer_name="Karim Hassan",
        buyer_national_id="IQ-77",
        sold_on=date(2026, 11, 9),
    )
    chain = client_for(officer).get(TRACE, {"identifier": drone.remote_id}).json()
    assert chain["operator"] is None
    assert [event["text"] for event in chain["events"]][
        -1
    ] == "Sold by Babylon Drone Imports to Karim Hassan (national ID IQ-77)"


def test_a_drone_registered_without_an_import_record_has_a_short_chain(
    client_for, officer, operator_user, make_aircraft
):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    chain = client_for(officer).get(TRACE, {"identifier": aircraft.serial_number}).json()
    assert [event["event"] for event in chain["events"]] == ["registered"]


def test_unknown_and_missing_identifiers(client_for, officer):
    assert client_for(officer).get(TRACE, {"identifier": "NOPE-1"}).status_code == 404
    missing = client_for(officer).get(TRACE)
    assert missing.status_code == 400 and "identifier" in missing.json()
    too_long = client_for(officer).get(TRACE, {"identifier": "X" * 65})
    assert too_long.status_code == 400 and "identifier" in too_long.json()


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.DEALER, roles.SENSOR])
def test_only_staff_and_air_defense_trace(make_user, client_for, full_life, role):
    assert client_for(make_user(role)).get(TRACE, {"identifier": full_life.serial_number}).status_code == 403


def test_the_trace_page_shows_the_chain(client, make_user, full_life):
    client.force_login(make_user(roles.AIR_DEFENSE))
    page = client.get("/trace/", {"identifier": full_life.remote_id.lower()}).content.decode()
    for text in (
        "Imported by Babylon Drone Imports",
        "Sold by Babylon Drone Imports to Alpha Aerial",
        "Registered by Alpha Aerial",
        "Transferred from Alpha Aerial to Bravo Survey",
        "2 Nov 2026",
    ):
        assert text in page
    assert "Nothing on record for NOPE" in client.get("/trace/", {"identifier": "NOPE"}).content.decode()
    client.force_login(make_user(roles.OPERATOR))
    assert client.get("/trace/").status_code == 403


def test_the_aircraft_api_says_where_a_drone_came_from(client_for, officer, full_life):
    aircraft = client_for(officer).get(f"/api/v1/aircraft/{full_life.aircraft_id}/").json()
    assert aircraft["imported_by"] == "Babylon Drone Imports"
    assert aircraft["sold_to"] == "Alpha Aerial"


def test_an_unregistered_track_of_an_imported_drone_names_its_importer_in_the_alert(
    client_for, sensor_user, dealer_user, make_shipment
):
    shipment = make_shipment(dealer_user, count=2, imported_on=date(2026, 11, 2))
    never_sold, sold = shipment.drones.order_by("serial_number")
    services.sell_drone(
        user=dealer_user,
        drone_id=sold.pk,
        buyer_name="Karim Hassan",
        buyer_national_id="IQ-77",
        sold_on=date(2026, 11, 9),
    )
    response = client_for(sensor_user).post(
        REPORTS,
        {
            "reports": [
                report("r-1", remote_id=never_sold.remote_id.lower()),
                report("r-2", remote_id=sold.remote_id, lon=44.31),
                report("r-3", remote_id="RID-NOBODY-KNOWS", lon=44.32),
            ]
        },
        format="json",
    )
    assert [result["classification"] for result in response.json()["results"]] == ["unregistered"] * 3
    alerts = {
        n.payload["track"]["remote_id"]: n.payload for n in AirDefenseNotification.objects.filter(kind="track.hostile")
    }
    assert alerts[never_sold.remote_id]["trace"] == "imported by Babylon Drone Imports on 2026-11-02, never sold"
    assert alerts[sold.remote_id]["trace"] == (
        "imported by Babylon Drone Imports on 2026-11-02, sold to Karim Hassan (national ID IQ-77) on 2026-11-09"
    )
    assert "trace" not in alerts["RID-NOBODY-KNOWS"]


def test_the_trace_lookup_is_one_query_per_batch_not_per_report(client_for, sensor_user, dealer_user, make_shipment):
    drones = list(make_shipment(dealer_user, count=40).drones.all())

    def queries_of(batch_drones, lon):
        reports = [report(f"t-{drone.pk}-{lon}", remote_id=drone.remote_id, lon=lon) for drone in batch_drones]
        with CaptureQueriesContext(connection) as queries:
            response = client_for(sensor_user).post(REPORTS, {"reports": reports}, format="json")
        assert response.status_code == 200
        return [query["sql"] for query in queries if "airspace_importeddrone" in query["sql"]]

    assert len(queries_of(drones[:1], 44.30)) == 1
    assert len(queries_of(drones[1:], 44.31)) == 1
    # Seen again, unchanged: no alert, so no lookup at all.
    assert queries_of(drones[1:], 44.311) == []


def test_staff_verifying_see_where_the_drone_came_from(client, officer, operator_user, sold_drone):
    services.confirm_purchase(user=operator_user, drone_id=sold_drone.pk)
    client.force_login(officer)
    page = client.get("/aircraft/").content.decode()
    assert "Imported by Babylon Drone Imports on 2 Nov 2026, sold to Alpha Aerial" in page


def test_the_aircraft_list_reads_where_each_came_from_with_the_aircraft(
    client_for, officer, operator_user, dealer_user, make_shipment, make_aircraft
):
    for drone in make_shipment(dealer_user, count=5).drones.all():
        services.sell_drone(
            user=dealer_user,
            drone_id=drone.pk,
            buyer_name="A",
            buyer_operator=operator_user.operator_membership.operator,
            sold_on=date(2026, 11, 10),
        )
        services.confirm_purchase(user=operator_user, drone_id=drone.pk)
    make_aircraft(operator_user.operator_membership.operator)
    with CaptureQueriesContext(connection) as queries:
        listed = client_for(officer).get("/api/v1/aircraft/").json()["results"]
    assert len(listed) == 6 and sum(1 for aircraft in listed if aircraft["imported_by"]) == 5
    # Joined into the aircraft's own query: no query of its own per aircraft.
    apart = [
        q["sql"] for q in queries if 'FROM "airspace_importeddrone"' in q["sql"] or 'FROM "airspace_sale"' in q["sql"]
    ]
    assert apart == []


def test_input_a_database_cannot_hold_is_refused_not_a_500(
    client, client_for, officer, dealer_user, operator_user, make_aircraft
):
    client.force_login(officer)
    assert client.get("/trace/", {"identifier": "A\x00B"}).status_code == 200
    client.force_login(dealer_user)
    assert client.get("/dealer/", {"serial": "A\x00B"}).status_code == 200
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    response = client_for(operator_user).post(
        "/api/v1/transfers/", {"aircraft": aircraft.pk, "to_operator": "Bravo\x00"}, format="json"
    )
    assert response.status_code == 400 and "to_operator" in response.json()
    assert client_for(officer).get(TRACE, {"identifier": "A\x00B"}).status_code == 400
