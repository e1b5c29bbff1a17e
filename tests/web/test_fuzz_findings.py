"""What the schema-driven fuzz run (make fuzz) found in the new endpoints, each now a 400 or a 404 that
names the problem, or an answer the schema describes — never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_public_permit_check_is_a_400_naming_the_parameter(client):
    answer = client.get("/api/v1/permits/verify/", {"reference": "FP-\x00"})
    assert answer.status_code == 400
    assert "reference" in answer.json()


def test_a_drone_id_that_is_not_a_number_is_a_404(client_for, operator_user):
    answer = client_for(operator_user).post("/api/v1/awaiting-registration/null,null/confirm/")
    assert answer.status_code == 404


def test_the_schema_says_an_imported_drone_may_have_no_aircraft_yet(client_for, officer):
    schema = client_for(officer).get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["ImportedDrone"]["properties"]["aircraft"]["nullable"] is True


def test_the_schema_gives_each_export_format_its_own_content_type(client_for, officer):
    paths = client_for(officer).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/zones/export/{file_format}/", "/api/v1/permits/export/{file_format}/"):
        documented = set(paths[path]["get"]["responses"]["200"]["content"])
        assert documented == {"application/json", "application/geo+json", "application/vnd.google-earth.kml+xml"}
