"""What the command learns: the statistics through the API and the page's CSV — per week, per zone,
outcomes, median times, repeat operators, filtered by time and zone; command staff only."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.incidents.models import Incident, State, Violation

pytestmark = pytest.mark.django_db

STATISTICS = "/api/v1/incidents/statistics/"


@pytest.fixture
def history(make_incident, make_zone, operator_user, other_operator_user):
    """Five incidents over three weeks: two in the Green Zone, three elsewhere."""
    now = timezone.now()
    green = make_zone(name="Green Zone")
    made = []
    for days_ago, zone, state, outcome, respond_s, close_s in [
        (1, green, State.RESOLVED, "operator_detained", 60, 600),
        (2, green, State.RESOLVED, "operator_detained", 120, 1200),
        (9, None, State.RESOLVED, "drone_downed", 180, 1800),
        (16, None, State.DISMISSED, "", 30, 90),
        (3, None, State.OPEN, "", None, None),
    ]:
        incident = make_incident()
        opened = now - timedelta(days=days_ago)
        Incident.objects.filter(pk=incident.pk).update(
            opened_at=opened,
            zone=zone,
            state=state,
            outcome=outcome,
            responded_at=opened + timedelta(seconds=respond_s) if respond_s else None,
            closed_at=opened + timedelta(seconds=close_s) if close_s else None,
        )
        made.append(incident)
    operator = operator_user.operator_membership.operator
    for incident in made[:2]:
        Violation.objects.create(operator=operator, incident=incident, outcome="operator_detained", at=now)
    return {"zone": green, "incidents": made, "operator": operator}


def test_the_statistics_count_weeks_zones_outcomes_and_times(history, officer, client_for):
    figures = client_for(officer).get(STATISTICS).json()

    assert figures["incidents"] == 5
    assert (figures["open"], figures["resolved"], figures["dismissed"]) == (1, 3, 1)
    assert sum(week["incidents"] for week in figures["per_week"]) == 5
    assert len(figures["per_week"]) in (3, 4)  # three weeks apart; where Monday falls adds one
    assert {row["zone"]: row["incidents"] for row in figures["per_zone"]} == {"Green Zone": 2, "Outside any zone": 3}
    outcomes = {row["outcome"]: row["incidents"] for row in figures["outcomes"]}
    assert outcomes["operator_detained"] == 2 and outcomes["drone_downed"] == 1 and outcomes["intercepted"] == 0
    assert figures["median_to_response_s"] == 90.0  # of 30, 60, 120, 180
    assert figures["median_to_resolution_s"] == 1200.0  # resolved only: 600, 1200, 1800
    assert figures["repeat_operators"] == [{"operator": history["operator"].name, "violations": 2}]


def test_the_statistics_filter_by_time_and_zone(history, officer, client_for):
    client = client_for(officer)
    since = (timezone.now() - timedelta(days=5)).isoformat()
    assert client.get(STATISTICS, {"starts_at": since}).json()["incidents"] == 3
    in_zone = client.get(STATISTICS, {"zone": history["zone"].pk}).json()
    assert in_zone["incidents"] == 2 and in_zone["per_zone"] == [{"zone": "Green Zone", "incidents": 2}]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"starts_at": "2026-11-01T00:00:00"}, "starts_at"),
        ({"starts_at": "2026-11-02T00:00:00Z", "ends_at": "2026-11-01T00:00:00Z"}, "ends_at"),
        ({"zone": "green"}, "zone"),
    ],
)
def test_bad_statistics_queries_are_a_400_naming_the_field(officer, client_for, query, field):
    response = client_for(officer).get(STATISTICS, query)
    assert response.status_code == 400 and field in response.json(), response.json()


def test_only_command_staff_read_the_statistics(air_defense_user, operator_user, client_for):
    assert client_for(air_defense_user).get(STATISTICS).status_code == 403
    assert client_for(operator_user).get(STATISTICS).status_code == 403


def test_the_csv_export_has_the_same_rows(history, officer, client):
    client.force_login(officer)
    response = client.get("/incidents/statistics.csv", {"zone": history["zone"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(row["id"]) for row in rows] == [incident.pk for incident in reversed(history["incidents"][:2])]
    assert rows[0]["zone"] == "Green Zone" and rows[0]["outcome"] == "operator_detained"
    assert float(rows[0]["to_response_s"]) == 120.0
    assert rows[0]["operators"] == history["operator"].name
    assert client.get("/incidents/statistics.csv", {"from": "not-a-date"}).status_code == 400


def test_the_schema_documents_the_incident_api(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in [
        "/api/v1/incidents/",
        "/api/v1/incidents/{id}/resolve/",
        "/api/v1/incidents/{id}/assign/",
        "/api/v1/incidents/{id}/identify/",
        "/api/v1/incidents/statistics/",
        "/api/v1/response-units/",
    ]:
        assert path in schema["paths"], path


def test_a_csv_export_past_export_max_features_is_a_400_naming_the_limit(history, officer, client, settings):
    client.force_login(officer)
    count = Incident.objects.filter(merged_into=None).count()
    settings.EXPORT_MAX_FEATURES = count
    assert client.get("/incidents/statistics.csv").status_code == 200
    settings.EXPORT_MAX_FEATURES = count - 1
    refused = client.get("/incidents/statistics.csv")
    assert refused.status_code == 400
    assert f"EXPORT_MAX_FEATURES={count - 1}" in refused.json()["detail"]
