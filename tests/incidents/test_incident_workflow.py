"""The incident's state machine through the API: every state x transition x role gives the right
answer, each transition is in the history, and two people acting at once: one wins, the other 409."""

import pytest
from django.utils import timezone

from airspace import roles
from airspace.incidents.models import Incident, Outcome, State, Violation
from tests.conftest import run_together

TRANSITIONS = ["respond", "resolve", "dismiss"]
# transition -> (the states it leaves from, the state it reaches)
TABLE = {
    "respond": ({State.OPEN}, State.RESPONDING),
    "resolve": ({State.OPEN, State.RESPONDING}, State.RESOLVED),
    "dismiss": ({State.OPEN, State.RESPONDING}, State.DISMISSED),
}
ACTORS = ["operator", "officer", "senior", "air_defense", "sensor"]
# Who works incidents; everyone else is refused the whole API (403), whatever the incident.
WORKERS = {"officer", "senior", "air_defense"}
BODIES = {
    "respond": {"reason": "on the way"},
    "resolve": {"outcome": Outcome.INTERCEPTED, "reason": "caught over the river"},
    "dismiss": {"reason": "a bird"},
}


def expected_status(actor, transition, state):
    if actor not in WORKERS:
        return 403
    sources, _ = TABLE[transition]
    return 200 if state in sources else 409


@pytest.fixture
def actors(make_user, operator_user):
    return {
        "operator": operator_user,
        "officer": make_user(roles.COMMAND_STAFF),
        "senior": make_user(roles.SENIOR_OFFICER),
        "air_defense": make_user(roles.AIR_DEFENSE),
        "sensor": make_user(roles.SENSOR),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_transition_matrix(make_incident, actors, client_for, state, transition, actor):
    incident = make_incident(state)
    history_before = incident.history.count()
    response = client_for(actors[actor]).post(
        f"/api/v1/incidents/{incident.pk}/{transition}/", BODIES[transition], format="json"
    )
    expected = expected_status(actor, transition, state)
    assert response.status_code == expected, response.json()
    incident.refresh_from_db()
    if expected == 200:
        assert response.json()["state"] == TABLE[transition][1]
        assert incident.state == TABLE[transition][1]
        last = incident.history.last()
        assert (last.transition, last.from_state, last.to_state) == (transition, state, incident.state)
        assert last.actor == actors[actor]
        assert last.reason == BODIES[transition]["reason"]
    else:
        assert incident.state == state
        assert incident.history.count() == history_before


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["operator", "sensor"])
def test_operators_and_sensors_never_see_incidents(make_incident, actors, client_for, actor):
    incident = make_incident()
    client = client_for(actors[actor])
    assert client.get("/api/v1/incidents/").status_code == 403
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 403
    assert client.get("/api/v1/response-units/").status_code == 403


@pytest.mark.django_db
def test_dismissing_needs_a_reason(make_incident, air_defense_user, client_for):
    incident = make_incident()
    response = client_for(air_defense_user).post(f"/api/v1/incidents/{incident.pk}/dismiss/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"outcome": "shot_at_dawn"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": Outcome.AUTHORIZED}, "permit"),
        ({"outcome": Outcome.AUTHORIZED, "permit": "FP-000000-NONE1"}, "permit"),
        ({"outcome": Outcome.OPERATOR_DETAINED}, "outcome"),
        ({"outcome": Outcome.INTERCEPTED, "reason": "x" * 2001}, "reason"),
    ],
)
def test_bad_resolutions_are_a_400_naming_the_field(make_incident, officer, client_for, body, field):
    incident = make_incident()
    response = client_for(officer).post(f"/api/v1/incidents/{incident.pk}/resolve/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    incident.refresh_from_db()
    assert incident.state == State.OPEN


@pytest.mark.django_db
def test_authorized_after_all_links_the_permit(make_incident, make_permit, officer, client_for):
    permit = make_permit(state="active")
    incident = make_incident()
    response = client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/resolve/",
        {"outcome": Outcome.AUTHORIZED, "permit": permit.reference.lower()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["permit"] == permit.reference
    assert Violation.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_incident_is_a_404(air_defense_user, client_for):
    assert client_for(air_defense_user).post("/api/v1/incidents/999999/respond/", {}, format="json").status_code == 404


@pytest.mark.django_db
def test_history_reads_every_transition(make_incident, officer, air_defense_user, client_for):
    incident = make_incident()
    client_for(air_defense_user).post(f"/api/v1/incidents/{incident.pk}/respond/", {}, format="json")
    client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/resolve/", {"outcome": "drone_downed", "reason": "jammed"}, format="json"
    )
    history = client_for(officer).get(f"/api/v1/incidents/{incident.pk}/history/").json()
    assert [(row["transition"], row["from_state"], row["to_state"]) for row in history] == [
        ("respond", "open", "responding"),
        ("resolve", "responding", "resolved"),
    ]
    assert history[1]["actor"] == officer.username and history[1]["reason"] == "jammed"
    incident.refresh_from_db()
    assert incident.responded_at <= incident.closed_at <= timezone.now()


@pytest.mark.django_db(transaction=True)
def test_two_officers_resolving_at_once_one_wins(make_incident, make_user, client_for):
    incident = make_incident(State.RESPONDING)
    first, second = make_user(roles.COMMAND_STAFF), make_user(roles.AIR_DEFENSE)

    statuses = run_together(
        lambda: (
            client_for(first)
            .post(f"/api/v1/incidents/{incident.pk}/resolve/", {"outcome": "intercepted"}, format="json")
            .status_code
        ),
        lambda: (
            client_for(second)
            .post(f"/api/v1/incidents/{incident.pk}/resolve/", {"outcome": "lost_contact"}, format="json")
            .status_code
        ),
    )

    assert sorted(statuses) == [200, 409]
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == State.RESOLVED
    assert incident.history.filter(transition="resolve").count() == 1
    # The winner's outcome stands; the loser changed nothing.
    assert incident.outcome in (Outcome.INTERCEPTED, Outcome.LOST_CONTACT)
    assert incident.closed_by in (first, second)
