"""Deciding in one step (decide_permit, POST /api/v1/permits/{id}/decide/) and referring to a senior
officer (refer): the rules, the roles (403), the states (409), the history rows, what the queue shows
and what the operator is told."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from airspace.notices.models import OperatorNotice
from airspace.zones.models import RestrictedZone
from permits import services
from permits.models import FlightPermit, State
from tests.fixtures_permits import DEFAULT_AREA

pytestmark = pytest.mark.django_db
PERMITS = "/api/v1/permits/"


@pytest.fixture
def restricted(make_zone):
    """A restricted zone over the permits' default area: approving there takes a senior officer."""
    return make_zone(name="Embassy Row", kind=RestrictedZone.Kind.RESTRICTED, area=DEFAULT_AREA)


def history(permit):
    return [(entry.transition, entry.from_state, entry.to_state, entry.actor) for entry in permit.history.all()]


def test_deciding_a_submitted_application_starts_the_review_in_the_same_step(make_permit, officer):
    permit = make_permit(state=State.SUBMITTED)
    services.decide_permit(permit_id=permit.pk, officer=officer, decision="approve", reason="Clear of traffic")
    permit.refresh_from_db()
    assert permit.state == State.APPROVED and permit.reviewer == officer and permit.decided_by == officer
    owner = permit.created_by
    assert history(permit) == [
        ("submit", "draft", "submitted", owner),
        ("start_review", "submitted", "under_review", officer),
        ("approve", "under_review", "approved", officer),
    ]
    start, decision = permit.history.all()[1:]
    assert start.at <= decision.at
    assert [entry.description for entry in permit.history.all()[1:]] == [
        f"Review started by {officer.username}",
        f"Approved by {officer.username}: “Clear of traffic”",
    ]


def test_deciding_an_application_under_review_adds_only_the_decision(make_permit, officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    services.decide_permit(permit_id=permit.pk, officer=officer, decision="request_changes", reason="Lower it")
    permit.refresh_from_db()
    assert permit.state == State.CHANGES_REQUESTED
    assert [entry.transition for entry in permit.history.all()] == ["submit", "start_review", "request_changes"]


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
def test_a_refused_decision_starts_no_review(make_permit, officer, decision):
    permit = make_permit(state=State.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        services.decide_permit(permit_id=permit.pk, officer=officer, decision=decision, reason="  ")
    assert "reason" in refused.value.message_dict
    permit.refresh_from_db()
    assert permit.state == State.SUBMITTED and permit.reviewer is None
    assert [entry.transition for entry in permit.history.all()] == ["submit"]


def test_an_unknown_decision_is_a_400_naming_the_field(make_permit, officer, client_for):
    permit = make_permit(state=State.SUBMITTED)
    response = client_for(officer).post(f"{PERMITS}{permit.id}/decide/", {"decision": "maybe"}, format="json")
    assert response.status_code == 400
    assert "decision" in response.json()
    response = client_for(officer).post(f"{PERMITS}{permit.id}/decide/", {}, format="json")
    assert response.status_code == 400 and "decision" in response.json()


@pytest.mark.parametrize("role_fixture", ["operator_user", "air_defense_user", "sensor_user"])
def test_only_command_staff_decide(make_permit, client_for, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    permit = make_permit(state=State.SUBMITTED, owner=request.getfixturevalue("operator_user"))
    response = client_for(user).post(f"{PERMITS}{permit.id}/decide/", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    permit.refresh_from_db()
    assert permit.state == State.SUBMITTED


@pytest.mark.parametrize("state", [State.DRAFT, State.APPROVED, State.REJECTED, State.CANCELLED, State.EXPIRED])
def test_deciding_a_permit_not_waiting_for_a_decision_is_a_409(make_permit, officer, client_for, state):
    permit = make_permit(state=state)
    response = client_for(officer).post(
        f"{PERMITS}{permit.id}/decide/", {"decision": "reject", "reason": "No"}, format="json"
    )
    assert response.status_code == 409, response.json()
    # In words: "“Reject” is not possible: the permit is approved." — no code names.
    detail = response.json()["detail"]
    assert "“Reject” is not possible" in detail and state.label.lower() in detail and "_" not in detail
    permit.refresh_from_db()
    assert permit.state == state


def test_the_api_decides_in_one_step_and_its_history_says_it_in_words(make_permit, officer, client_for):
    permit = make_permit(state=State.SUBMITTED)
    client = client_for(officer)
    response = client.post(
        f"{PERMITS}{permit.id}/decide/", {"decision": "reject", "reason": "Over the stadium"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "rejected" and response.json()["state_label"] == "Rejected"
    rows = client.get(f"{PERMITS}{permit.id}/history/").json()
    assert [(row["transition"], row["label"]) for row in rows] == [
        ("submit", "Submitted"),
        ("start_review", "Review started"),
        ("reject", "Rejected"),
    ]
    assert rows[2]["description"] == f"Rejected by {officer.username}: “Over the stadium”"
    assert (rows[2]["from_state_label"], rows[2]["to_state_label"]) == ("Under review", "Rejected")


# --- referral to a senior officer ---------------------------------------------------------------


def test_an_officer_may_not_approve_in_a_restricted_zone_and_is_told_to_refer(make_permit, officer, restricted):
    permit = make_permit(state=State.SUBMITTED)
    with pytest.raises(PermissionDenied, match="Refer it to a senior officer"):
        services.decide_permit(permit_id=permit.pk, officer=officer, decision="approve")
    permit.refresh_from_db()
    assert permit.state == State.SUBMITTED and [e.transition for e in permit.history.all()] == ["submit"]
    assert services.available_decisions(permit, officer) == ["reject", "request_changes", "refer"]


def test_a_referral_is_recorded_unassigned_and_reaches_the_senior_officers_queue_first(
    make_permit, officer, senior_officer, restricted, client_for, client
):
    sooner = make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=1))
    referred = make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=3))
    services.decide_permit(permit_id=referred.pk, officer=officer, decision="refer", reason="Embassy Row: senior call")
    referred.refresh_from_db()
    assert referred.state == State.UNDER_REVIEW and referred.needs_senior and referred.reviewer is None
    start, referral = referred.history.all()[1:]
    assert (start.transition, start.actor) == ("start_review", officer)
    assert (referral.transition, referral.actor, referral.reason) == ("refer", officer, "Embassy Row: senior call")
    assert referral.description == f"Referred to a senior officer by {officer.username}: “Embassy Row: senior call”"
    assert client_for(officer).get(f"{PERMITS}{referred.id}/").json()["needs_senior"] is True

    # The queue flags it; a senior officer sees it first, an ordinary officer in window order.
    client.force_login(senior_officer)
    page = client.get("/review/").content.decode()
    assert page.index(referred.reference) < page.index(sooner.reference)
    row = page[page.index(f'data-reference="{referred.reference}"') :]
    assert "Senior officer needed" in row[: row.index("</tr>")]
    client.force_login(officer)
    page = client.get("/review/").content.decode()
    assert page.index(sooner.reference) < page.index(referred.reference)
    assert page.count("Senior officer needed") == 1

    # The senior officer approves it; the flag goes with the decision.
    services.decide_permit(permit_id=referred.pk, officer=senior_officer, decision="approve", reason="Coordinated")
    referred.refresh_from_db()
    assert referred.state == State.APPROVED and not referred.needs_senior and referred.decided_by == senior_officer
    assert [e.transition for e in referred.history.all()] == ["submit", "start_review", "refer", "approve"]


def test_a_senior_officer_has_nobody_to_refer_to(make_permit, senior_officer, restricted, client_for):
    permit = make_permit(state=State.UNDER_REVIEW)
    response = client_for(senior_officer).post(f"{PERMITS}{permit.id}/refer/", {"reason": "?"}, format="json")
    assert response.status_code == 403
    assert "nobody to refer it to" in response.json()["detail"]


def test_a_volume_outside_restricted_zones_is_not_referred(make_permit, officer, client_for):
    permit = make_permit(state=State.UNDER_REVIEW)
    response = client_for(officer).post(f"{PERMITS}{permit.id}/refer/", {"reason": "Unsure"}, format="json")
    assert response.status_code == 400
    assert "no restricted zone" in response.json()["area"][0]
    assert not FlightPermit.objects.get(pk=permit.pk).needs_senior


def test_a_permit_is_referred_once(make_permit, officer, make_user, restricted, client_for):
    permit = make_permit(state=State.UNDER_REVIEW)
    services.refer_permit(permit_id=permit.pk, officer=officer, reason="Embassy Row")
    another = make_user("command_staff")
    response = client_for(another).post(f"{PERMITS}{permit.id}/refer/", {"reason": "Again"}, format="json")
    assert response.status_code == 409
    assert "already referred" in response.json()["detail"]
    with pytest.raises(TransitionNotAllowed):
        services.decide_permit(permit_id=permit.pk, officer=another, decision="refer", reason="Again")


def test_an_officer_may_still_turn_down_a_referred_application(make_permit, officer, restricted):
    permit = make_permit(state=State.UNDER_REVIEW)
    services.refer_permit(permit_id=permit.pk, officer=officer, reason="Embassy Row")
    services.decide_permit(permit_id=permit.pk, officer=officer, decision="reject", reason="Window clashes")
    permit.refresh_from_db()
    assert permit.state == State.REJECTED and not permit.needs_senior


# --- what the operator is told ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "kind", "words"),
    [
        ("approve", OperatorNotice.Kind.PERMIT_APPROVED, "is approved"),
        ("reject", OperatorNotice.Kind.PERMIT_REJECTED, "is rejected: “Not there”"),
        ("request_changes", OperatorNotice.Kind.PERMIT_CHANGES_REQUESTED, "ask for changes"),
    ],
)
def test_the_operator_is_told_of_the_decision(make_permit, officer, decision, kind, words):
    permit = make_permit(state=State.SUBMITTED)
    services.decide_permit(permit_id=permit.pk, officer=officer, decision=decision, reason="Not there")
    [notice] = OperatorNotice.objects.filter(operator=permit.operator)
    assert notice.kind == kind and permit.reference in notice.text and words in notice.text
    assert notice.link == f"/permits/{permit.pk}/" and notice.read_at is None


def test_a_referral_and_a_refused_decision_tell_the_operator_nothing(make_permit, officer, restricted):
    permit = make_permit(state=State.SUBMITTED)
    services.decide_permit(permit_id=permit.pk, officer=officer, decision="refer", reason="Embassy Row")
    with pytest.raises(PermissionDenied):
        services.decide_permit(permit_id=permit.pk, officer=officer, decision="approve")
    assert not OperatorNotice.objects.exists()


def test_a_revocation_tells_the_operator_why(make_permit, officer):
    permit = make_permit(state=State.APPROVED)
    services.revoke_permit(permit_id=permit.pk, officer=officer, reason="VIP movement")
    notice = OperatorNotice.objects.get(kind=OperatorNotice.Kind.PERMIT_REVOKED)
    assert notice.operator == permit.operator and "VIP movement" in notice.text


def test_the_schema_documents_decide_and_refer(client_for, officer):
    schema = client_for(officer).get("/api/schema/?format=json").json()
    decide = schema["paths"]["/api/v1/permits/{id}/decide/"]["post"]
    assert set(decide["responses"]) >= {"200", "400", "403", "404", "409"}
    assert "/api/v1/permits/{id}/refer/" in schema["paths"]
    history = schema["components"]["schemas"]["PermitTransitionLog"]["properties"]
    assert {"label", "description", "from_state_label", "to_state_label"} <= set(history)
