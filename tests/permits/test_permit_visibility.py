"""Who reads which permits: air defense reads the flights that were approved (approved, active,
completed, revoked, cancelled after approval), never applications; and the list's filters answer
alike for an id that does not exist and one the caller may not see."""

import pytest

from airspace import roles
from permits import services
from permits.models import State

pytestmark = pytest.mark.django_db

PERMITS = "/api/v1/permits/"
APPROVED_ONCE = ["approved", "active", "completed", "revoked", "cancelled after approval"]
NEVER_APPROVED = [
    "draft",
    "submitted",
    "under review",
    "changes requested",
    "rejected",
    "expired",
    "cancelled as a draft",
    "cancelled while submitted",
    "cancelled after changes were requested",
]


@pytest.fixture
def permit_in(make_permit, operator_user):
    """permit_in(name) -> a permit of operator_user in the state that name describes."""

    def make(name):
        states = {
            "draft": State.DRAFT,
            "submitted": State.SUBMITTED,
            "under review": State.UNDER_REVIEW,
            "changes requested": State.CHANGES_REQUESTED,
            "approved": State.APPROVED,
            "active": State.ACTIVE,
            "completed": State.COMPLETED,
            "revoked": State.REVOKED,
            "rejected": State.REJECTED,
            "expired": State.EXPIRED,
            "cancelled as a draft": State.CANCELLED,
        }
        if name in states:
            return make_permit(state=states[name], owner=operator_user)
        before = {
            "cancelled after approval": State.APPROVED,
            "cancelled while submitted": State.SUBMITTED,
            "cancelled after changes were requested": State.CHANGES_REQUESTED,
        }[name]
        permit = make_permit(state=before, owner=operator_user)
        return services.cancel_permit(permit_id=permit.pk, user=operator_user)

    return make


def test_air_defense_lists_only_the_flights_that_were_approved(permit_in, client_for, air_defense_user):
    shown = {permit_in(name).id for name in APPROVED_ONCE}
    for name in NEVER_APPROVED:
        permit_in(name)

    response = client_for(air_defense_user).get(PERMITS, {"limit": 100})

    assert response.status_code == 200
    assert {permit["id"] for permit in response.json()["results"]} == shown


@pytest.mark.parametrize("name", APPROVED_ONCE)
def test_air_defense_reads_an_approved_flight_and_its_history(permit_in, client_for, air_defense_user, name):
    permit = permit_in(name)
    client = client_for(air_defense_user)
    assert client.get(f"{PERMITS}{permit.id}/").status_code == 200
    assert client.get(f"{PERMITS}{permit.id}/history/").status_code == 200


@pytest.mark.parametrize("name", NEVER_APPROVED)
def test_an_application_does_not_exist_for_air_defense(permit_in, client_for, air_defense_user, name):
    permit = permit_in(name)
    client = client_for(air_defense_user)
    assert client.get(f"{PERMITS}{permit.id}/").status_code == 404
    assert client.get(f"{PERMITS}{permit.id}/history/").status_code == 404
    assert client.get(PERMITS, {"state": permit.state}).json()["results"] == []


def test_the_permit_pages_show_air_defense_only_approved_flights(permit_in, client, air_defense_user):
    approved, draft = permit_in("approved"), permit_in("draft")
    client.force_login(air_defense_user)
    assert [p.id for p in client.get("/permits/").context["permits"]] == [approved.id]
    assert client.get(f"/permits/{approved.id}/").status_code == 200
    assert client.get(f"/permits/{draft.id}/").status_code == 404


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER])
def test_command_staff_still_read_every_application(permit_in, make_user, client_for, role):
    ids = {permit_in(name).id for name in ["draft", "rejected", "cancelled as a draft", "approved"]}
    listed = client_for(make_user(role)).get(PERMITS).json()["results"]
    assert {permit["id"] for permit in listed} == ids


# --- filters that must not tell which ids exist ---------------------------------------------------


@pytest.mark.parametrize("field", ["aircraft", "operator"])
def test_an_unknown_id_and_another_operators_id_get_the_same_answer(
    make_permit, client_for, operator_user, other_operator_user, field
):
    make_permit(owner=operator_user)
    theirs = make_permit(owner=other_operator_user)
    client = client_for(operator_user)

    another_operators = client.get(PERMITS, {field: getattr(theirs, f"{field}_id")})
    unknown = client.get(PERMITS, {field: 987654321})

    assert (another_operators.status_code, another_operators.json()["results"]) == (200, [])
    assert (unknown.status_code, unknown.json()["results"]) == (200, [])


def test_the_id_filters_still_find_the_callers_own(make_permit, client_for, operator_user, other_operator_user):
    mine = make_permit(owner=operator_user)
    second = make_permit(owner=operator_user)  # the same operator, another aircraft
    make_permit(owner=other_operator_user)
    client = client_for(operator_user)

    def ids(**filters):
        return {permit["id"] for permit in client.get(PERMITS, filters).json()["results"]}

    assert ids(aircraft=mine.aircraft_id) == {mine.id}
    assert ids(operator=mine.operator_id) == {mine.id, second.id}


@pytest.mark.parametrize("value", ["the big one", "1.5"])
@pytest.mark.parametrize("field", ["aircraft", "operator"])
def test_an_id_that_is_not_a_whole_number_is_a_400_naming_the_filter(client_for, officer, field, value):
    response = client_for(officer).get(PERMITS, {field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("field", ["aircraft", "operator"])
def test_an_id_beyond_the_database_range_is_an_empty_list_not_a_500(make_permit, client_for, officer, field):
    make_permit()
    client = client_for(officer)
    client.raise_request_exception = False
    response = client.get(PERMITS, {field: "9" * 30})
    assert (response.status_code, response.json()["results"]) == (200, [])
