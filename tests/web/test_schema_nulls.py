"""The schema says which fields can be null (issue 10, item 12): it called a track's aircraft and a
permit's reviewer and decider never null, and generated clients rejected the answers."""

import pytest
from django.utils import timezone

PERMITS = "/api/v1/permits/"


@pytest.mark.django_db
def test_the_schema_marks_every_field_that_can_be_null_as_nullable(client_for, officer):
    schema = client_for(officer).get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    nullable = {
        "Track": ["aircraft_serial_number", "operator", "permit", "zone", "zone_kind", "sensor"],
        "FlightPermit": ["reviewer", "decided_by", "decided_at"],
        "Notification": ["acknowledged_by", "acknowledged_at", "permit", "track"],
    }
    for component, fields in nullable.items():
        for field in fields:
            assert schema[component]["properties"][field].get("nullable") is True, f"{component}.{field}"


@pytest.mark.django_db
def test_an_undecided_permit_and_an_unknown_track_answer_the_nulls_the_schema_allows(
    make_permit, client_for, officer, sensor_user
):
    # What the schema now says, as the service answers it.
    permit = make_permit()
    body = client_for(officer).get(f"{PERMITS}{permit.id}/").json()
    assert body["reviewer"] is None and body["decided_by"] is None
    report = {"sensor_track_id": "x-1", "observed_at": timezone.now().isoformat(), "lat": 33.3, "lon": 44.4}
    client_for(sensor_user).post("/api/v1/tracks/reports/", {"reports": [{**report, "altitude_m": 50}]}, format="json")
    track = client_for(officer).get("/api/v1/tracks/").json()["results"][0]
    assert track["aircraft_serial_number"] is None and track["operator"] is None
