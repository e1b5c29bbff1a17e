"""Restricted zones: everyone signed in reads them, only command staff write; bad shapes are 400s."""

import re

import pytest

from airspace import roles
from tests.conftest import square

GREEN_ZONE = {"name": "Green Zone", "kind": "prohibited", "area": square(44.39, 33.31), "max_altitude_m": 3000}


@pytest.mark.django_db
def test_staff_create_polygon_zone(client_for, officer):
    response = client_for(officer).post("/api/v1/zones/", GREEN_ZONE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["area"]["type"] == "Polygon"
    assert body["min_altitude_m"] == 0
    assert body["radius_m"] is None


@pytest.mark.django_db
def test_staff_create_circle_zone(client_for, officer):
    zone = {
        "name": "Airport",
        "kind": "restricted",
        "area": {"type": "Point", "coordinates": [44.2346, 33.2625]},
        "radius_m": 8000,
        "min_altitude_m": 0,
        "max_altitude_m": 3000,
    }
    response = client_for(officer).post("/api/v1/zones/", zone, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["radius_m"] == 8000


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.OPERATOR, roles.AIR_DEFENSE, roles.SENSOR])
def test_everyone_reads_but_only_staff_write(client_for, make_user, make_zone, role):
    make_zone(name="Existing")
    client = client_for(make_user(role))
    assert [z["name"] for z in client.get("/api/v1/zones/").json()["results"]] == ["Existing"]
    assert client.post("/api/v1/zones/", GREEN_ZONE, format="json").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        (
            {"area": {"type": "Polygon", "coordinates": [[[44.0, 33.0], [44.1, 33.0], [44.1, 33.1], [44.0, 33.1]]]}},
            "area",
        ),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[44.0, 33.0], [44.1, 33.1], [44.1, 33.0], [44.0, 33.1], [44.0, 33.0]]],
                }
            },
            "area",
        ),
        ({"area": {"type": "Point", "coordinates": [44.0, 33.0]}}, "radius_m"),
        ({"area": {"type": "Point", "coordinates": [44.0, 95.0]}, "radius_m": 500}, "area"),
        ({"area": "somewhere"}, "area"),
        ({"kind": "forbidden"}, "kind"),
        ({"min_altitude_m": 500, "max_altitude_m": 100}, "max_altitude_m"),
        ({"max_altitude_m": "high"}, "max_altitude_m"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_zone_input_is_a_400_naming_the_field(client_for, officer, change, field):
    response = client_for(officer).post("/api/v1/zones/", {**GREEN_ZONE, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


@pytest.mark.django_db
def test_staff_update_and_deactivate_zone(client_for, officer, make_zone):
    zone = make_zone(name="Stadium", kind="restricted")
    client = client_for(officer)
    response = client.patch(f"/api/v1/zones/{zone.id}/", {"max_altitude_m": 150}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["max_altitude_m"] == 150
    assert client.patch(f"/api/v1/zones/{zone.id}/", {"max_altitude_m": -5}, format="json").status_code == 400
    assert client.delete(f"/api/v1/zones/{zone.id}/").status_code == 204
    zone.refresh_from_db()
    assert zone.active is False


@pytest.mark.django_db
def test_api_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    # Everything it loads is ours (a closed network has no CDN). Checked on the addresses it loads,
    # not on the whole page, whose random CSRF token may happen to spell "cdn".
    loaded = re.findall(rb'(?:src|href)="([^"]+)"', docs.content)
    assert loaded and all(address.startswith(b"/") for address in loaded), loaded
