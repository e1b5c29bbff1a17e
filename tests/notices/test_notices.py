"""The operator's notices: written in the transaction of what they tell (a drone verified or
suspended), only ever read by the organization they are for, through the API and the pages, and
counted in the navigation with one cheap query."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_fsm import TransitionNotAllowed

from airspace import roles
from airspace.notices.models import OperatorNotice
from airspace.notices.services import tell_operator
from airspace.registry.models import Aircraft
from airspace.registry.services import suspend_aircraft, verify_aircraft
from permits.models import State

pytestmark = pytest.mark.django_db
NOTICES = "/api/v1/notices/"


@pytest.fixture
def pending_aircraft(operator_user, make_aircraft):
    return make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)


def test_verifying_a_drone_tells_its_operator(pending_aircraft, officer, operator_user):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    [notice] = OperatorNotice.objects.all()
    assert notice.operator == operator_user.operator_membership.operator
    assert notice.kind == OperatorNotice.Kind.AIRCRAFT_VERIFIED
    assert f"Aircraft {pending_aircraft.serial_number}" in notice.text and "is verified" in notice.text


def test_suspending_a_drone_tells_its_operator_of_it_and_of_each_permit_revoked(make_permit, officer):
    permit = make_permit(state=State.APPROVED)
    OperatorNotice.objects.all().delete()  # the approval's own notice
    suspend_aircraft(aircraft_id=permit.aircraft_id, officer=officer)
    kinds = sorted(OperatorNotice.objects.filter(operator=permit.operator).values_list("kind", flat=True))
    assert kinds == [OperatorNotice.Kind.AIRCRAFT_SUSPENDED, OperatorNotice.Kind.PERMIT_REVOKED]


def test_a_refused_change_tells_nobody(pending_aircraft, officer):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    with pytest.raises(TransitionNotAllowed):
        verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    assert OperatorNotice.objects.count() == 1


def test_the_notice_is_written_in_the_transaction_of_the_change(pending_aircraft, officer):
    # Rolled back with it: nobody is told of a verification that never happened.
    with pytest.raises(RuntimeError), transaction.atomic():
        verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
        assert OperatorNotice.objects.count() == 1
        raise RuntimeError("the surrounding act failed")
    assert OperatorNotice.objects.count() == 0
    assert Aircraft.objects.get(pk=pending_aircraft.pk).status == Aircraft.Status.PENDING


def test_an_operator_reads_only_their_organizations_notices(
    client_for, operator_user, other_operator_user, make_user, pending_aircraft, officer
):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    theirs = tell_operator(
        operator_id=other_operator_user.operator_membership.operator.pk, kind="permit.approved", text="Not yours"
    )
    colleague = make_user(roles.OPERATOR, organization=operator_user.operator_membership.operator.name)

    for member in (operator_user, colleague):
        body = client_for(member).get(NOTICES).json()
        assert [notice["kind"] for notice in body["results"]] == ["aircraft.verified"]
        assert body["results"][0]["kind_label"] == "Aircraft verified" and body["results"][0]["read"] is False
    assert client_for(other_operator_user).get(NOTICES).json()["results"][0]["text"] == "Not yours"

    # Another organization's notice is as if it did not exist.
    assert client_for(operator_user).post(f"{NOTICES}{theirs.pk}/read/").status_code == 404
    assert OperatorNotice.objects.get(pk=theirs.pk).read_at is None


def test_marking_read_is_for_the_whole_organization(client_for, operator_user, make_user, pending_aircraft, officer):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    notice = OperatorNotice.objects.get()
    response = client_for(operator_user).post(f"{NOTICES}{notice.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    colleague = make_user(roles.OPERATOR, organization=operator_user.operator_membership.operator.name)
    assert client_for(colleague).get(f"{NOTICES}?unread=true").json()["results"] == []
    assert len(client_for(colleague).get(NOTICES).json()["results"]) == 1


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE, roles.SENSOR])
def test_only_operators_have_notices(make_user, client_for, role):
    client = client_for(make_user(role))
    assert client.get(NOTICES).status_code == 403
    assert client.post(f"{NOTICES}1/read/").status_code == 403


def test_anonymous_gets_401(client_for):
    assert client_for(None).get(NOTICES).status_code == 401


def test_the_schema_documents_the_notices(client_for, officer):
    paths = client_for(officer).get("/api/schema/?format=json").json()["paths"]
    assert "get" in paths["/api/v1/notices/"] and "post" in paths["/api/v1/notices/{id}/read/"]


# --- the pages ----------------------------------------------------------------------------------


def test_the_operator_sees_the_unread_count_and_marks_notices_read(client, operator_user, pending_aircraft, officer):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    client.force_login(operator_user)
    page = client.get("/permits/").content.decode()
    assert 'aria-label="1 unread"' in page
    notices = client.get("/notices/").content.decode()
    assert "Aircraft verified" in notices and "is verified" in notices and 'class="unread"' in notices
    notice = OperatorNotice.objects.get()
    assert client.post("/notices/read/", {"notice": notice.pk})["Location"] == "/notices/"
    assert OperatorNotice.objects.get().read_at is not None
    assert "unread" not in client.get("/permits/").content.decode().split("<main>")[0]


def test_mark_all_read(client, operator_user, pending_aircraft, officer):
    verify_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    suspend_aircraft(aircraft_id=pending_aircraft.pk, officer=officer)
    client.force_login(operator_user)
    client.post("/notices/read/")
    assert not OperatorNotice.objects.filter(read_at=None).exists()


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.AIR_DEFENSE])
def test_the_notices_page_is_for_operators(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/notices/").status_code == 403
    assert client.post("/notices/read/").status_code == 403


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries if "COUNT(" in q["sql"]]


def test_the_navigation_counts_cost_one_count_each_and_only_for_their_role(
    client, operator_user, officer, pending_aircraft, make_aircraft
):
    make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    client.force_login(officer)
    counts = _count_queries(client, "/zones/")
    assert len(counts) == 1 and "airspace_aircraft" in counts[0]
    assert 'aria-label="2 aircraft awaiting verification"' in client.get("/zones/").content.decode()
    client.force_login(operator_user)
    counts = _count_queries(client, "/aircraft/")
    assert len(counts) == 1 and "airspace_operatornotice" in counts[0]
