"""The dealer role × what it may do: a dealer records imports and sales of its own stock and sees
only that; nobody else creates imports; staff and air defense read every dealer's; operators see
only what was sold to them."""

from datetime import date

import pytest

from airspace import roles
from airspace.accounts.services import add_user_with_role
from airspace.trade.models import DealerMembership, ImportedDrone, Sale, Shipment

from .conftest import drone_row

pytestmark = pytest.mark.django_db

ROLES_NOT_DEALER = [roles.OPERATOR, roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE, roles.SENSOR]


def shipment_body(count=1, reference="CUS-1"):
    return {"customs_reference": reference, "imported_on": "2026-11-02", "drones": [drone_row() for _ in range(count)]}


def test_a_dealer_records_a_shipment(client_for, dealer_user):
    response = client_for(dealer_user).post("/api/v1/imports/shipments/", shipment_body(3), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dealer"] == "Babylon Drone Imports" and len(body["drones"]) == 3
    assert ImportedDrone.objects.filter(shipment__dealer__name="Babylon Drone Imports").count() == 3


def test_identifiers_are_normalized_by_the_registrys_one_rule(client_for, dealer_user):
    body = shipment_body()
    body["drones"][0].update(serial_number="  dji-abc-1 ", remote_id="rid-abc-1")
    assert client_for(dealer_user).post("/api/v1/imports/shipments/", body, format="json").status_code == 201
    drone = ImportedDrone.objects.get()
    assert (drone.serial_number, drone.remote_id) == ("DJI-ABC-1", "RID-ABC-1")


@pytest.mark.parametrize("role", ROLES_NOT_DEALER)
def test_nobody_else_creates_imports(make_user, client_for, role):
    response = client_for(make_user(role)).post("/api/v1/imports/shipments/", shipment_body(), format="json")
    assert response.status_code == 403
    upload = client_for(make_user(role)).post(
        "/api/v1/imports/shipments/upload/",
        {"customs_reference": "X", "imported_on": "2026-11-02", "file": b""},
        format="multipart",
    )
    assert upload.status_code == 403
    assert not Shipment.objects.exists()


def test_anonymous_gets_401(client_for):
    assert client_for(None).post("/api/v1/imports/shipments/", shipment_body(), format="json").status_code == 401
    assert client_for(None).get("/api/v1/trace/?identifier=X").status_code == 401


def test_a_dealer_sees_only_its_own_stock(client_for, dealer_user, other_dealer_user, make_shipment):
    mine = make_shipment(dealer_user, count=2)
    theirs = make_shipment(other_dealer_user, count=1)
    listed = client_for(dealer_user).get("/api/v1/imports/drones/").json()["results"]
    assert {drone["serial_number"] for drone in listed} == set(mine.drones.values_list("serial_number", flat=True))
    their_drone = theirs.drones.get()
    assert client_for(dealer_user).get(f"/api/v1/imports/drones/{their_drone.pk}/").status_code == 404
    shipments = client_for(dealer_user).get("/api/v1/imports/shipments/").json()["results"]
    assert [shipment["customs_reference"] for shipment in shipments] == [mine.customs_reference]


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE])
def test_staff_and_air_defense_see_every_dealers_stock(
    make_user, client_for, dealer_user, other_dealer_user, make_shipment, role
):
    make_shipment(dealer_user, count=2)
    make_shipment(other_dealer_user, count=1)
    listed = client_for(make_user(role)).get("/api/v1/imports/drones/").json()
    assert listed["count"] == 3


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.SENSOR])
def test_operators_and_sensors_see_no_stock(make_user, client_for, role):
    assert client_for(make_user(role)).get("/api/v1/imports/drones/").status_code == 403


def sale_body(**overrides):
    return {"buyer_name": "Karim Hassan", "buyer_national_id": "IQ-19880412-77", "sold_on": "2026-11-10", **overrides}


def test_a_dealer_sells_from_its_stock_to_a_person_or_an_operator(
    client_for, dealer_user, operator_user, make_shipment
):
    drones = list(make_shipment(dealer_user, count=2).drones.all())
    to_person = client_for(dealer_user).post(f"/api/v1/imports/drones/{drones[0].pk}/sell/", sale_body(), format="json")
    assert to_person.status_code == 201, to_person.json()
    to_operator = client_for(dealer_user).post(
        f"/api/v1/imports/drones/{drones[1].pk}/sell/",
        sale_body(buyer_name="Alpha Aerial", buyer_national_id="", buyer_operator="Alpha Aerial"),
        format="json",
    )
    assert to_operator.status_code == 201, to_operator.json()
    assert Sale.objects.get(drone=drones[1]).buyer_operator == operator_user.operator_membership.operator
    # Sold once: a second sale of the same drone is a conflict.
    again = client_for(dealer_user).post(f"/api/v1/imports/drones/{drones[0].pk}/sell/", sale_body(), format="json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"buyer_national_id": ""}, "buyer_national_id"),
        ({"buyer_operator": "Nobody Aerial Ltd"}, "buyer_operator"),
        ({"sold_on": "tomorrow"}, "sold_on"),
        ({"buyer_name": ""}, "buyer_name"),
    ],
)
def test_a_sale_with_bad_input_is_a_400_naming_the_field(client_for, dealer_user, make_shipment, overrides, field):
    drone = make_shipment(dealer_user).drones.get()
    response = client_for(dealer_user).post(
        f"/api/v1/imports/drones/{drone.pk}/sell/", sale_body(**overrides), format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Sale.objects.exists()


def test_a_dealer_cannot_sell_another_dealers_drone(client_for, dealer_user, other_dealer_user, make_shipment):
    theirs = make_shipment(other_dealer_user).drones.get()
    response = client_for(dealer_user).post(f"/api/v1/imports/drones/{theirs.pk}/sell/", sale_body(), format="json")
    assert response.status_code == 404
    assert not Sale.objects.exists()


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.AIR_DEFENSE])
def test_staff_who_see_the_stock_still_do_not_sell(make_user, client_for, dealer_user, make_shipment, role):
    drone = make_shipment(dealer_user).drones.get()
    response = client_for(make_user(role)).post(f"/api/v1/imports/drones/{drone.pk}/sell/", sale_body(), format="json")
    assert response.status_code == 403


def test_the_buyer_sees_the_drone_awaiting_its_registration_and_confirms_it(
    client_for, operator_user, other_operator_user, sold_drone
):
    awaiting = client_for(operator_user).get("/api/v1/awaiting-registration/").json()["results"]
    assert [drone["serial_number"] for drone in awaiting] == [sold_drone.serial_number]
    assert client_for(other_operator_user).get("/api/v1/awaiting-registration/").json()["results"] == []
    # Another operator cannot confirm it (not theirs: 404, as if it did not exist).
    other = client_for(other_operator_user).post(f"/api/v1/awaiting-registration/{sold_drone.pk}/confirm/")
    assert other.status_code == 404
    confirmed = client_for(operator_user).post(f"/api/v1/awaiting-registration/{sold_drone.pk}/confirm/")
    assert confirmed.status_code == 201, confirmed.json()
    aircraft = client_for(operator_user).get(f"/api/v1/aircraft/{confirmed.json()['aircraft']}/").json()
    assert aircraft["serial_number"] == sold_drone.serial_number and aircraft["remote_id"] == sold_drone.remote_id
    assert aircraft["status"] == "pending" and aircraft["operator"] == "Alpha Aerial"
    assert aircraft["mtow_kg"] == "0.249"
    assert client_for(operator_user).get("/api/v1/awaiting-registration/").json()["results"] == []
    twice = client_for(operator_user).post(f"/api/v1/awaiting-registration/{sold_drone.pk}/confirm/")
    assert twice.status_code == 409  # registered already


@pytest.mark.parametrize("role", [roles.DEALER, roles.COMMAND_STAFF, roles.AIR_DEFENSE])
def test_only_operators_confirm_a_purchase(make_user, client_for, sold_drone, role):
    assert (
        client_for(make_user(role)).post(f"/api/v1/awaiting-registration/{sold_drone.pk}/confirm/").status_code == 403
    )


def test_adduser_makes_a_dealer_of_a_business_and_takes_it_away_with_the_role(db):
    user, _ = add_user_with_role(username="ali", role=roles.DEALER, password="x-long-pass", organization="Ur Imports")
    assert roles.is_dealer(user) and roles.dealer_of(user).name == "Ur Imports"
    user, _ = add_user_with_role(username="ali", role=roles.OPERATOR, password="x-long-pass", organization="Ur Air")
    assert not DealerMembership.objects.filter(user=user).exists()


def test_an_import_already_on_record_is_refused_by_line_and_field(client_for, dealer_user, make_shipment):
    existing = make_shipment(dealer_user).drones.get()
    body = shipment_body(2, reference="CUS-2")
    body["drones"][1]["serial_number"] = existing.serial_number.lower()
    response = client_for(dealer_user).post("/api/v1/imports/shipments/", body, format="json")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"line": 2, "field": "serial_number", "message": "A drone with this serial number was already imported."}
    ]
    assert Shipment.objects.count() == 1


@pytest.mark.parametrize("path", ["/dealer/", "/dealer/import/"])
def test_dealer_pages_are_the_dealers(client, make_user, dealer_user, path):
    client.force_login(dealer_user)
    assert client.get(path).status_code == 200
    client.force_login(make_user(roles.OPERATOR))
    assert client.get(path).status_code == 403


def test_the_stock_page_shows_only_the_dealers_own_drones(client, dealer_user, other_dealer_user, make_shipment):
    mine = make_shipment(dealer_user).drones.get()
    theirs = make_shipment(other_dealer_user).drones.get()
    client.force_login(dealer_user)
    page = client.get("/dealer/").content.decode()
    assert mine.serial_number in page and theirs.serial_number not in page
    assert client.get(f"/dealer/drones/{theirs.pk}/sell/").status_code == 404


def test_a_sale_recorded_on_the_page(client, dealer_user, make_shipment):
    drone = make_shipment(dealer_user).drones.get()
    client.force_login(dealer_user)
    bad = client.post(f"/dealer/drones/{drone.pk}/sell/", {"buyer_name": "Karim", "sold_on": "2026-11-10"})
    assert bad.status_code == 400 and "national ID number" in bad.content.decode()
    good = client.post(
        f"/dealer/drones/{drone.pk}/sell/",
        {"buyer_name": "Karim", "buyer_national_id": "IQ-1", "sold_on": "2026-11-10"},
    )
    assert good.status_code == 302
    assert Sale.objects.get().sold_on == date(2026, 11, 10)


def test_the_stock_page_shows_a_page_at_a_time_and_finds_a_serial(client, dealer_user, make_shipment):
    shipment = make_shipment(dealer_user, count=60)
    client.force_login(dealer_user)
    first = client.get("/dealer/").content.decode()
    assert first.count("<tr data-serial=") == 50 and "1–50 of 60" in first
    assert client.get("/dealer/?page=2").content.decode().count("<tr data-serial=") == 10
    serial = shipment.drones.order_by("serial_number").last().serial_number
    found = client.get("/dealer/", {"serial": serial.lower()}).content.decode()
    assert found.count("<tr data-serial=") == 1 and serial in found


def test_the_demo_dealer_and_its_shipment_load_once(db):
    import io

    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    shipment = Shipment.objects.get(customs_reference="IQ-CUS-2026-DEMO")
    assert shipment.dealer.name == "Babylon Drone Imports" and shipment.drones.count() == 3
    assert Sale.objects.filter(drone__shipment=shipment).count() == 2
    assert ImportedDrone.objects.filter(sale__buyer_operator__name="Tigris Aerial Media", aircraft=None).count() == 1


def test_the_buying_operator_is_told_its_drone_awaits_registration(client_for, operator_user, sold_drone):
    notices = client_for(operator_user).get("/api/v1/notices/").json()
    notices = notices["results"] if isinstance(notices, dict) else notices
    assert [notice["kind"] for notice in notices] == ["drone.bought"]
    assert notices[0]["text"].startswith(f"Babylon Drone Imports sold you {sold_drone}")
    assert notices[0]["link"] == "/aircraft/awaiting/"


def test_a_drone_that_is_not_an_object_is_named_by_its_line(client_for, dealer_user):
    body = shipment_body(2)
    body["drones"][1] = {"serial_number": ["not", "text"]}
    response = client_for(dealer_user).post("/api/v1/imports/shipments/", body, format="json")
    assert response.status_code == 400
    fields = {(problem["line"], problem["field"]) for problem in response.json()["problems"]}
    assert (2, "serial_number") in fields and (2, "remote_id") in fields
