"""What the API's lists read from the query string (issue 10, item 12): a time PostgreSQL cannot take
in a filter was an HTML 500, and a page number that is not a number was quietly read as 0."""

import datetime as dt

import pytest

PERMITS = "/api/v1/permits/"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["starts_after", "starts_before", "ends_after"])
@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("2026-12-01T00:00:00+16:00", 200),  # valid ISO 8601 beyond PostgreSQL's ±15:59: a 500 until now
        ("2026-12-01T00:00:00-23:59", 200),
        ("0001-01-01T00:00:00+23:59", 400),  # no UTC equivalent at all
        ("9999-12-31T23:59:59-23:59", 400),
        ("yesterday", 400),
    ],
)
def test_every_permit_time_filter_takes_any_iso_offset_and_refuses_the_rest_naming_it(
    client_for, officer, name, moment, status
):
    client = client_for(officer)
    client.raise_request_exception = False
    response = client.get(PERMITS, {name: moment})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    if status == 400:
        assert name in response.json()


@pytest.mark.django_db
def test_a_permit_time_filter_with_a_far_offset_is_compared_in_utc(make_permit, client_for, officer):
    permit = make_permit()
    client = client_for(officer)
    plus_16 = dt.timezone(dt.timedelta(hours=16))
    before_its_end = (permit.ends_at - dt.timedelta(minutes=1)).astimezone(plus_16).isoformat()
    after_its_end = (permit.ends_at + dt.timedelta(minutes=1)).astimezone(plus_16).isoformat()
    assert [p["id"] for p in client.get(PERMITS, {"ends_after": before_its_end}).json()["results"]] == [permit.id]
    assert client.get(PERMITS, {"ends_after": after_its_end}).json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "role"),
    [(PERMITS, "officer"), ("/api/v1/aircraft/", "officer"), ("/api/v1/air-defense/notifications/", "air_defense")],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "abc"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
    ],
)
def test_a_page_number_that_is_not_a_whole_number_is_a_400_naming_it(
    client_for, officer, air_defense_user, path, role, query, field
):
    client = client_for(officer if role == "officer" else air_defense_user)
    response = client.get(path, query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_a_page_past_the_end_is_empty_and_a_huge_offset_is_no_error(make_permit, client_for, officer):
    make_permit()
    client = client_for(officer)
    assert client.get(PERMITS, {"offset": "1"}).json()["results"] == []
    assert client.get(PERMITS, {"offset": "9" * 5000}).status_code == 200
    assert len(client.get(PERMITS, {"offset": "0", "limit": "1"}).json()["results"]) == 1
