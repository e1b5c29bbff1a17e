"""The whole state machine through the API: every state x transition x role gives the right answer."""

import pytest

from airspace import roles
from airspace.zones.models import RestrictedZone
from permits.models import FlightPermit, State
from tests.fixtures_permits import DEFAULT_AREA

TRANSITIONS = ["submit", "start-review", "approve", "reject", "request-changes", "refer", "cancel", "revoke"]

# transition -> (the states it leaves from, the state it reaches)
TABLE = {
    "submit": ({State.DRAFT, State.CHANGES_REQUESTED}, State.SUBMITTED),
    "start-review": ({State.SUBMITTED}, State.UNDER_REVIEW),
    "approve": ({State.UNDER_REVIEW}, State.APPROVED),
    "reject": ({State.UNDER_REVIEW}, State.REJECTED),
    "request-changes": ({State.UNDER_REVIEW}, State.CHANGES_REQUESTED),
    # Still under review, flagged for a senior officer (only a volume touching a restricted zone).
    "refer": ({State.UNDER_REVIEW}, State.UNDER_REVIEW),
    "cancel": (
        {State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED, State.APPROVED},
        State.CANCELLED,
    ),
    "revoke": ({State.APPROVED, State.ACTIVE}, State.REVOKED),
}

# Who may make each transition at all (the role, regardless of state).
ALLOWED_ACTORS = {
    "submit": {"owner"},
    "cancel": {"owner"},
    "start-review": {"officer", "senior"},
    "approve": {"officer", "senior"},
    "reject": {"officer", "senior"},
    "request-changes": {"officer", "senior"},
    "refer": {"officer"},  # a senior officer decides it: nobody to refer it to
    "revoke": {"officer", "senior"},
}
ACTORS = ["owner", "colleague", "other_operator", "officer", "senior", "air_defense", "sensor"]
# Who may see the permit at all: the rest get 404, as if it did not exist. Air defense sees only
# the flights that were approved, never an application.
CAN_SEE = {"owner", "colleague", "officer", "senior", "air_defense"}
AIR_DEFENSE_SEES = {State.APPROVED, State.ACTIVE, State.COMPLETED, State.REVOKED}


def can_see(actor, state):
    return actor in CAN_SEE and (actor != "air_defense" or state in AIR_DEFENSE_SEES)


def expected_status(actor, transition, state):
    if not can_see(actor, state):
        return 404
    allowed = ALLOWED_ACTORS[transition] | ({"colleague"} if "owner" in ALLOWED_ACTORS[transition] else set())
    if actor not in allowed:
        return 403
    sources, _ = TABLE[transition]
    return 200 if state in sources else 409


@pytest.fixture
def actors(make_user, operator_user):
    organization = operator_user.operator_membership.operator.name
    return {
        "owner": operator_user,
        "colleague": make_user(roles.OPERATOR, organization=organization),
        "other_operator": make_user(roles.OPERATOR, organization="Somebody Else Ltd"),
        "officer": make_user(roles.COMMAND_STAFF),
        "senior": make_user(roles.SENIOR_OFFICER),
        "air_defense": make_user(roles.AIR_DEFENSE),
        "sensor": make_user(roles.SENSOR),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_transition_matrix(make_permit, make_zone, actors, client_for, state, transition, actor):
    if transition == "refer":  # only a volume that needs a senior officer is referred to one
        make_zone(kind=RestrictedZone.Kind.RESTRICTED, area=DEFAULT_AREA)
    permit = make_permit(state=state, owner=actors["owner"])
    response = client_for(actors[actor]).post(
        f"/api/v1/permits/{permit.id}/{transition}/", {"reason": "checked on the map"}, format="json"
    )
    expected = expected_status(actor, transition, state)
    assert response.status_code == expected, response.json()
    permit.refresh_from_db()
    if expected == 200:
        assert response.json()["state"] == TABLE[transition][1]
        assert permit.state == TABLE[transition][1]
        assert permit.history.last().transition == transition.replace("-", "_")
        if transition == "refer":
            assert permit.needs_senior and permit.reviewer is None
    else:
        assert permit.state == state
        assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("actor", ["owner", "officer", "air_defense"])
def test_available_transitions_are_exactly_the_allowed_ones(make_permit, actors, client_for, state, actor):
    permit = make_permit(state=state, owner=actors["owner"])
    response = client_for(actors[actor]).get(f"/api/v1/permits/{permit.id}/")
    if not can_see(actor, state):
        assert response.status_code == 404
        return
    # The volume touches no restricted zone: there is nothing to refer (test_referral.py has one that does).
    allowed = [t for t in TRANSITIONS if expected_status(actor, t, state) == 200 and t != "refer"]
    assert response.json()["available_transitions"] == allowed


@pytest.mark.django_db
def test_staff_cannot_decide_their_own_application(make_permit, make_user, client_for, operator_user):
    # An officer who also flies for the applying operator may not review its applications.
    permit = make_permit(state=State.SUBMITTED, owner=operator_user)
    officer = make_user(roles.COMMAND_STAFF)
    FlightPermit.objects.filter(pk=permit.pk).update(created_by=officer)
    response = client_for(officer).post(f"/api/v1/permits/{permit.id}/start-review/")
    assert response.status_code == 403
    assert "did not apply" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("transition", ["reject", "request-changes", "refer", "revoke"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reason_is_required(make_permit, make_zone, officer, client_for, transition, reason):
    make_zone(kind=RestrictedZone.Kind.RESTRICTED, area=DEFAULT_AREA)
    state = State.APPROVED if transition == "revoke" else State.UNDER_REVIEW
    permit = make_permit(state=state)
    body = {} if reason is None else {"reason": reason}
    response = client_for(officer).post(f"/api/v1/permits/{permit.id}/{transition}/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    permit.refresh_from_db()
    assert permit.state == state


@pytest.mark.django_db
def test_history_records_every_transition(make_permit, client_for, operator_user, officer):
    permit = make_permit(state=State.UNDER_REVIEW, owner=operator_user)
    client_for(officer).post(
        f"/api/v1/permits/{permit.id}/request-changes/", {"reason": "Lower the ceiling"}, format="json"
    )
    client_for(operator_user).patch(f"/api/v1/permits/{permit.id}/", {"max_altitude_m": 90}, format="json")
    client_for(operator_user).post(f"/api/v1/permits/{permit.id}/submit/")
    history = client_for(operator_user).get(f"/api/v1/permits/{permit.id}/history/").json()
    assert [(h["transition"], h["from_state"], h["to_state"]) for h in history] == [
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("request_changes", "under_review", "changes_requested"),
        ("submit", "changes_requested", "submitted"),
    ]
    assert history[2]["actor"] == officer.username
    assert history[2]["reason"] == "Lower the ceiling"
    assert history[3]["actor"] == operator_user.username
    # The same in words, for people; the codes above stay for machines.
    assert [h["label"] for h in history] == ["Submitted", "Review started", "Changes requested", "Submitted"]
    assert history[1]["from_state_label"] == "Submitted" and history[1]["to_state_label"] == "Under review"
    assert history[2]["description"] == f"Changes requested by {officer.username}: “Lower the ceiling”"
    assert all(h["at"] for h in history)


@pytest.mark.django_db
def test_decision_records_who_and_why(make_permit, client_for, officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    body = (
        client_for(officer)
        .post(f"/api/v1/permits/{permit.id}/reject/", {"reason": "Too close to the stadium"}, format="json")
        .json()
    )
    assert body["decided_by"] == officer.username
    assert body["decision_reason"] == "Too close to the stadium"
