"""Unbounded inputs (issue 10, item 8): polygons of any number of vertices and text of any length were
accepted, and every list carried every polygon. Now a polygon has at most MAX_AREA_VERTICES
vertices, free text a few paragraphs, and lists give the area only when asked."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from airspace.geometry import circle_polygon
from airspace.web.fields import FREE_TEXT_MAX_LENGTH
from permits.models import FlightPermit, State
from tests.conftest import square
from tests.permits.test_permit_rules import application

pytestmark = pytest.mark.django_db

PERMITS = "/api/v1/permits/"


def polygon_of(vertices, lon=44.30, lat=33.25):
    ring = [list(xy) for xy in circle_polygon(lon, lat, 1500, vertices=vertices).exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def operator_api(client_for, operator_user):
    return client_for(operator_user)


@pytest.fixture
def own_aircraft(operator_user, make_aircraft):
    return make_aircraft(operator_user.operator_membership.operator)


# --- vertices --------------------------------------------------------------------------------


def test_a_permit_polygon_of_the_most_vertices_allowed_is_taken_and_one_more_is_a_400(
    operator_api, own_aircraft, settings
):
    assert settings.MAX_AREA_VERTICES == 1000
    taken = operator_api.post(PERMITS, application(own_aircraft, area=polygon_of(1000)), format="json")
    assert taken.status_code == 201, taken.json()
    refused = operator_api.post(PERMITS, application(own_aircraft, area=polygon_of(1001)), format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["area"]
    assert "1,001 vertices" in refused.json()["area"][0] and "1,000" in refused.json()["area"][0]


def test_the_vertex_cap_is_a_setting_and_applies_to_zones_and_edits(
    client_for, officer, operator_api, own_aircraft, settings
):
    settings.MAX_AREA_VERTICES = 20
    zone = {"name": "Fine lines", "kind": "restricted", "area": polygon_of(21), "max_altitude_m": 500}
    response = client_for(officer).post("/api/v1/zones/", zone, format="json")
    assert response.status_code == 400 and "area" in response.json()
    assert client_for(officer).post("/api/v1/zones/", zone | {"area": polygon_of(20)}, format="json").status_code == 201

    draft = operator_api.post(PERMITS, application(own_aircraft), format="json").json()
    edit = operator_api.patch(f"{PERMITS}{draft['id']}/", {"area": polygon_of(64)}, format="json")
    assert edit.status_code == 400 and "area" in edit.json()
    # A circle is 64 vertices on the server, whatever the cap: the cap is on what people draw.
    circle = operator_api.patch(
        f"{PERMITS}{draft['id']}/",
        {"area": {"type": "Point", "coordinates": [44.3, 33.25]}, "radius_m": 300},
        format="json",
    )
    assert circle.status_code == 200, circle.json()


def test_the_permit_form_refuses_too_many_vertices_next_to_the_map(operator_user, own_aircraft, client):
    from tests.permits.test_permit_pages import application as form_application

    client.force_login(operator_user)
    response = client.post("/permits/new/", form_application(own_aircraft, area=json.dumps(polygon_of(1500))))
    assert response.status_code == 400
    assert "1,500 vertices" in response.context["errors"]["area"][0]
    assert not FlightPermit.objects.exists()


# --- text ------------------------------------------------------------------------------------


def test_a_description_longer_than_a_few_paragraphs_is_a_400_naming_it(operator_api, own_aircraft, client_for, officer):
    long_text = "x" * (FREE_TEXT_MAX_LENGTH + 1)
    response = operator_api.post(PERMITS, application(own_aircraft, description=long_text), format="json")
    assert response.status_code == 400 and list(response.json()) == ["description"]
    fits = operator_api.post(PERMITS, application(own_aircraft, description="x" * FREE_TEXT_MAX_LENGTH), format="json")
    assert fits.status_code == 201

    zone = {"name": "Wordy", "kind": "restricted", "area": square(44.0, 33.0), "max_altitude_m": 500}
    response = client_for(officer).post("/api/v1/zones/", zone | {"description": long_text}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["description"]


@pytest.mark.parametrize("transition", ["reject", "request-changes", "approve"])
def test_a_reason_longer_than_a_few_paragraphs_is_refused_by_the_api_and_the_page(
    make_permit, client_for, officer, client, transition
):
    permit = make_permit(state=State.UNDER_REVIEW)
    long_reason = "r" * (FREE_TEXT_MAX_LENGTH + 1)
    response = client_for(officer).post(f"{PERMITS}{permit.id}/{transition}/", {"reason": long_reason}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reason"]

    client.force_login(officer)
    page = client.post(f"/permits/{permit.id}/{transition}/", {"reason": long_reason}, follow=True)
    assert f"{FREE_TEXT_MAX_LENGTH:,} characters" in page.content.decode()
    permit.refresh_from_db()
    assert permit.state == State.UNDER_REVIEW
    assert not permit.history.filter(reason=long_reason).exists()


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_token_request_with_a_huge_username_or_password_is_a_400_naming_it(client, field):
    body = {"username": "someone", "password": "something"} | {field: "y" * 100_000}
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()


# --- lists without geometry ------------------------------------------------------------------


def test_permit_lists_leave_the_area_out_unless_asked(make_permit, client_for, officer):
    permit = make_permit(state=State.SUBMITTED)
    client = client_for(officer)
    for path in (PERMITS, f"{PERMITS}queue/"):
        [item] = client.get(path).json()["results"]
        assert "area" not in item and "radius_m" not in item
        assert item["reference"] == permit.reference and item["zones"] == []
        [item] = client.get(path, {"include": "area"}).json()["results"]
        assert item["area"] == permit.area and item["radius_m"] is None
    assert client.get(f"{PERMITS}{permit.id}/").json()["area"] == permit.area


def test_the_zone_list_leaves_the_area_out_unless_asked(make_zone, client_for, air_defense_user):
    zone = make_zone(name="Airport")
    client = client_for(air_defense_user)
    [item] = client.get("/api/v1/zones/").json()["results"]
    assert item["name"] == "Airport" and "area" not in item
    [item] = client.get("/api/v1/zones/", {"include": "area"}).json()["results"]
    assert item["area"] == zone.area
    assert client.get(f"/api/v1/zones/{zone.id}/").json()["area"] == zone.area


@pytest.mark.parametrize("path", [PERMITS, f"{PERMITS}queue/", "/api/v1/zones/"])
def test_including_anything_but_the_area_is_a_400_naming_include(client_for, officer, path):
    response = client_for(officer).get(path, {"include": "boundary"})
    assert response.status_code == 400 and list(response.json()) == ["include"]


def test_the_review_queue_reads_the_same_few_rows_however_long_it_is(make_permit, make_zone, client_for, officer):
    # Each permit's touched zones came from two queries of its own, and its decider from a third.
    make_zone(name="Airport", kind="restricted", area=square(44.30, 33.25))
    make_permit(state=State.SUBMITTED)
    client = client_for(officer)

    def queries_of_the_queue():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"{PERMITS}queue/").json()
        assert all(item["zones"][0]["name"] == "Airport" for item in page["results"])
        return len(queries)

    queries_of_the_queue()  # the process reads the zones once, then keeps them until a zone changes
    with_one = queries_of_the_queue()
    for _ in range(4):
        make_permit(state=State.UNDER_REVIEW)
    assert queries_of_the_queue() == with_one


def test_the_list_pages_do_not_read_the_geometry(make_permit, officer, client):
    # The review queue names the zones each application touches, so it reads the footprint
    # (`boundary`), never the area as submitted; the list of all permits reads neither.
    make_permit(state=State.SUBMITTED)
    client.force_login(officer)
    for path, geometry in (("/review/", ['"area"']), ("/permits/", ['"boundary"', '"area"'])):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        permit_reads = [q["sql"] for q in queries if 'FROM "permits_flightpermit"' in q["sql"]]
        assert permit_reads and not any(column in sql for sql in permit_reads for column in geometry), path
