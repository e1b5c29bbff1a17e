"""Permit rules through the API: applying, bad input, editing, zones, visibility, filters."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.models import Aircraft
from airspace.zones.models import RestrictedZone
from permits.models import FlightPermit, State
from tests.conftest import square

PERMITS = "/api/v1/permits/"
Kind = AirDefenseNotification.Kind


def iso(moment):
    return moment.isoformat()


def application(aircraft, /, **overrides):
    """A valid application body, in the API's own terms."""
    starts_at = timezone.now() + timedelta(hours=3)
    body = {
        "aircraft": aircraft.pk,
        "purpose": "survey",
        "description": "Roof survey",
        "area": square(44.30, 33.25),
        "min_altitude_m": 0,
        "max_altitude_m": 120,
        "starts_at": iso(starts_at),
        "ends_at": iso(starts_at + timedelta(hours=2)),
    }
    body.update(overrides)
    return body


@pytest.fixture
def own_aircraft(operator_user, make_aircraft):
    return make_aircraft(operator_user.operator_membership.operator)


# --- applying -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_operator_creates_a_draft_and_submits_it(client_for, operator_user, own_aircraft):
    client = client_for(operator_user)
    response = client.post(PERMITS, application(own_aircraft), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft"
    assert body["reference"].startswith("FP-")
    assert body["operator"] == "Alpha Aerial"
    assert body["available_transitions"] == ["submit", "cancel"]
    assert body["requires_senior_approval"] is False
    assert body["zones"] == []

    submitted = client.post(f"{PERMITS}{body['id']}/submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["available_transitions"] == ["cancel"]


@pytest.mark.django_db
def test_circle_area(client_for, operator_user, own_aircraft):
    body = application(own_aircraft, area={"type": "Point", "coordinates": [44.30, 33.25]}, radius_m=500)
    response = client_for(operator_user).post(PERMITS, body, format="json")
    assert response.status_code == 201, response.json()
    permit = FlightPermit.objects.get(pk=response.json()["id"])
    assert permit.radius_m == 500
    assert permit.boundary["type"] == "Polygon"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE, roles.SENSOR])
def test_only_operators_apply(make_user, client_for, own_aircraft, role):
    response = client_for(make_user(role)).post(PERMITS, application(own_aircraft), format="json")
    assert response.status_code == 403
    assert FlightPermit.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_gets_401(client_for):
    assert client_for(None).get(PERMITS).status_code in (401, 403)


def _later(hours):
    return iso(timezone.now() + timedelta(hours=hours))


BAD_INPUT = {
    "degenerate polygon (a line)": (
        {"area": {"type": "Polygon", "coordinates": [[[44.3, 33.2], [44.31, 33.2], [44.32, 33.2], [44.3, 33.2]]]}},
        "area",
    ),
    "self-intersecting polygon": (
        {
            "area": {
                "type": "Polygon",
                "coordinates": [[[44.30, 33.20], [44.31, 33.21], [44.31, 33.20], [44.30, 33.21], [44.30, 33.20]]],
            }
        },
        "area",
    ),
    "ring not closed": (
        {
            "area": {
                "type": "Polygon",
                "coordinates": [[[44.30, 33.20], [44.31, 33.20], [44.31, 33.21], [44.30, 33.21]]],
            }
        },
        "area",
    ),
    "area is not GeoJSON": ({"area": "somewhere near the bridge"}, "area"),
    "point without radius": ({"area": {"type": "Point", "coordinates": [44.3, 33.2]}}, "radius_m"),
    "coordinate too large for a float": (
        {"area": {"type": "Point", "coordinates": [10**400, 33.2]}, "radius_m": 50},
        "area",
    ),
    "circle across the antimeridian": (
        {"area": {"type": "Point", "coordinates": [179.99, 33.2]}, "radius_m": 5000},
        "area",
    ),
    "inverted altitude band": ({"min_altitude_m": 120, "max_altitude_m": 30}, "max_altitude_m"),
    "altitude below ground": ({"min_altitude_m": -10}, "min_altitude_m"),
    "altitude not a number": ({"max_altitude_m": "high"}, "max_altitude_m"),
    "window ends before it starts": ({"starts_at": _later(5), "ends_at": _later(4)}, "ends_at"),
    "window too long": ({"starts_at": _later(1), "ends_at": _later(30)}, "ends_at"),
    "start in the past": ({"starts_at": _later(-3), "ends_at": _later(1)}, "starts_at"),
    "time without a time zone": ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),
    "time not a time": ({"ends_at": "tomorrow"}, "ends_at"),
    "unknown purpose": ({"purpose": "sightseeing-over-the-palace"}, "purpose"),
    "missing aircraft": ({"aircraft": None}, "aircraft"),
    "unknown aircraft": ({"aircraft": 999999}, "aircraft"),
    "aircraft id not a number": ({"aircraft": "the big one"}, "aircraft"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_is_a_400_naming_the_field(client_for, operator_user, own_aircraft, overrides, field):
    client = client_for(operator_user)
    client.raise_request_exception = False
    response = client.post(PERMITS, application(own_aircraft, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert FlightPermit.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_a_400(client_for, operator_user):
    response = client_for(operator_user).post(PERMITS, '{"purpose": "survey",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.django_db
def test_json_nested_too_deeply_is_a_400(client_for, operator_user):
    client = client_for(operator_user)
    client.raise_request_exception = False
    response = client.post(PERMITS, '{"area": ' + "[" * 100_000 + "]" * 100_000 + "}", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.django_db
def test_list_limit_beyond_the_database_integer_range_is_capped(make_permit, client_for, operator_user):
    make_permit(owner=operator_user)
    client = client_for(operator_user)
    client.raise_request_exception = False
    response = client.get(PERMITS, {"limit": "9" * 30})
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.django_db
def test_aircraft_of_another_operator_is_a_400(client_for, operator_user, other_operator_user, make_aircraft):
    theirs = make_aircraft(other_operator_user.operator_membership.operator)
    response = client_for(operator_user).post(PERMITS, application(theirs), format="json")
    assert response.status_code == 400
    assert "aircraft" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Aircraft.Status.SUSPENDED, Aircraft.Status.PENDING])
def test_unregistered_aircraft_cannot_be_submitted(client_for, operator_user, make_aircraft, status):
    aircraft = make_aircraft(operator_user.operator_membership.operator, status=status)
    client = client_for(operator_user)
    created = client.post(PERMITS, application(aircraft), format="json")
    assert created.status_code == 201  # a draft may wait for the aircraft's verification
    response = client.post(f"{PERMITS}{created.json()['id']}/submit/")
    assert response.status_code == 400
    assert "not registered" in response.json()["aircraft"][0]
    assert FlightPermit.objects.get().state == State.DRAFT


@pytest.mark.django_db
def test_ceiling_is_checked_on_submit(client_for, operator_user, own_aircraft, settings):
    settings.PERMIT_MAX_ALTITUDE_M = 400
    client = client_for(operator_user)
    created = client.post(PERMITS, application(own_aircraft, max_altitude_m=500), format="json").json()
    response = client.post(f"{PERMITS}{created['id']}/submit/")
    assert response.status_code == 400
    assert "400 m" in response.json()["max_altitude_m"][0]


@pytest.mark.django_db
def test_draft_whose_window_has_passed_cannot_be_submitted(make_permit, client_for, operator_user):
    permit = make_permit(owner=operator_user)
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    response = client_for(operator_user).post(f"{PERMITS}{permit.id}/submit/")
    assert response.status_code == 400
    assert "starts_at" in response.json()


# --- editing --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.DRAFT, State.CHANGES_REQUESTED])
def test_owner_edits_draft_or_sent_back_application(make_permit, client_for, operator_user, state):
    permit = make_permit(state=state, owner=operator_user)
    new_area = square(44.40, 33.40)
    response = client_for(operator_user).patch(
        f"{PERMITS}{permit.id}/", {"area": new_area, "max_altitude_m": 90, "description": "lower"}, format="json"
    )
    assert response.status_code == 200, response.json()
    permit.refresh_from_db()
    assert permit.max_altitude_m == 90
    assert permit.description == "lower"
    assert permit.boundary["coordinates"][0][0][0] == pytest.approx(44.395, abs=0.01)
    assert permit.state == state


@pytest.mark.django_db
@pytest.mark.parametrize("state", [s for s in State if s not in (State.DRAFT, State.CHANGES_REQUESTED)])
def test_edit_in_other_states_is_a_409(make_permit, client_for, operator_user, state):
    permit = make_permit(state=state, owner=operator_user)
    response = client_for(operator_user).patch(f"{PERMITS}{permit.id}/", {"max_altitude_m": 90}, format="json")
    assert response.status_code == 409
    permit.refresh_from_db()
    assert permit.max_altitude_m == 120


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE])
def test_only_the_owner_edits(make_permit, make_user, client_for, role):
    permit = make_permit()
    # Even a bad body: who may edit is answered before what was sent. Air defense does not see drafts.
    response = client_for(make_user(role)).patch(f"{PERMITS}{permit.id}/", {"max_altitude_m": "x"}, format="json")
    assert response.status_code == (404 if role == roles.AIR_DEFENSE else 403)


@pytest.mark.django_db
def test_edit_cannot_move_the_state_or_take_anothers_aircraft(
    make_permit, client_for, operator_user, other_operator_user, make_aircraft
):
    permit = make_permit(owner=operator_user)
    client = client_for(operator_user)
    response = client.patch(f"{PERMITS}{permit.id}/", {"state": "approved", "reference": "FP-MINE"}, format="json")
    assert response.status_code == 200
    permit.refresh_from_db()
    assert permit.state == State.DRAFT
    assert permit.reference != "FP-MINE"

    theirs = make_aircraft(other_operator_user.operator_membership.operator)
    response = client.patch(f"{PERMITS}{permit.id}/", {"aircraft": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "aircraft" in response.json()


@pytest.mark.django_db
def test_edit_turns_a_circle_into_a_polygon(make_permit, client_for, operator_user):
    # The stored radius was the old circle's: a new Polygon area does not inherit it.
    permit = make_permit(owner=operator_user, area={"type": "Point", "coordinates": [44.30, 33.25]}, radius_m=300)
    response = client_for(operator_user).patch(f"{PERMITS}{permit.id}/", {"area": square(44.30, 33.25)}, format="json")
    assert response.status_code == 200, response.json()
    permit.refresh_from_db()
    assert (permit.area["type"], permit.radius_m) == ("Polygon", None)
    moved = client_for(operator_user).patch(
        f"{PERMITS}{permit.id}/", {"area": {"type": "Point", "coordinates": [44.31, 33.25]}}, format="json"
    )
    assert moved.status_code == 400
    assert "radius_m" in moved.json()


@pytest.mark.django_db
def test_edit_validates_the_band_against_the_stored_one(make_permit, client_for, operator_user):
    permit = make_permit(owner=operator_user)  # band 0..120
    response = client_for(operator_user).patch(f"{PERMITS}{permit.id}/", {"min_altitude_m": 150}, format="json")
    assert response.status_code == 400
    assert "max_altitude_m" in response.json()


@pytest.mark.django_db
def test_put_is_not_offered(make_permit, client_for, operator_user):
    permit = make_permit(owner=operator_user)
    assert client_for(operator_user).put(f"{PERMITS}{permit.id}/", {}, format="json").status_code == 405


# --- zones ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_volume_in_a_prohibited_zone_cannot_be_submitted(make_permit, make_zone, client_for, operator_user):
    make_zone(name="Presidential Complex", area=square(44.30, 33.25, 0.002))
    permit = make_permit(owner=operator_user)
    response = client_for(operator_user).post(f"{PERMITS}{permit.id}/submit/")
    assert response.status_code == 400
    assert "Presidential Complex" in response.json()["area"][0]
    permit.refresh_from_db()
    assert permit.state == State.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone_kwargs, blocked",
    [
        ({"area": square(44.31, 33.25)}, True),  # shares the permit square's east edge
        ({"area": square(44.32, 33.25)}, False),  # a gap of 0.01°
        ({"min_altitude_m": 120, "max_altitude_m": 3000}, True),  # bands touch at 120 m
        ({"min_altitude_m": 150, "max_altitude_m": 3000}, False),  # the zone starts above the flight
        ({"min_altitude_m": 0, "max_altitude_m": 100}, True),
    ],
    ids=["touching-edge", "apart", "bands-touch", "bands-apart", "bands-overlap"],
)
def test_prohibited_zone_is_4d(make_permit, make_zone, client_for, operator_user, zone_kwargs, blocked):
    zone_kwargs.setdefault("area", square(44.30, 33.25))
    make_zone(name="Embassy Row", **zone_kwargs)
    permit = make_permit(owner=operator_user)  # square(44.30, 33.25), 0..120 m
    response = client_for(operator_user).post(f"{PERMITS}{permit.id}/submit/")
    assert response.status_code == (400 if blocked else 200), response.json()


@pytest.mark.django_db
def test_inactive_zone_does_not_block(make_permit, make_zone, client_for, operator_user):
    zone = make_zone(name="Old Stadium", area=square(44.30, 33.25))
    RestrictedZone.objects.filter(pk=zone.pk).update(active=False)
    permit = make_permit(owner=operator_user)
    assert client_for(operator_user).post(f"{PERMITS}{permit.id}/submit/").status_code == 200


@pytest.mark.django_db
def test_prohibited_zone_created_after_submission_blocks_approval(make_permit, make_zone, client_for, senior_officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    make_zone(name="New No-Fly Circle", area={"type": "Point", "coordinates": [44.30, 33.25]}, radius_m=300)
    response = client_for(senior_officer).post(f"{PERMITS}{permit.id}/approve/")
    assert response.status_code == 400
    assert "New No-Fly Circle" in response.json()["area"][0]
    permit.refresh_from_db()
    assert permit.state == State.UNDER_REVIEW
    assert not AirDefenseNotification.objects.exists()


@pytest.mark.django_db
def test_restricted_zone_needs_a_senior_officer(make_permit, make_zone, client_for, officer, senior_officer):
    make_zone(name="Airport Approach", kind=RestrictedZone.Kind.RESTRICTED, area=square(44.30, 33.25, 0.02))
    permit = make_permit(state=State.UNDER_REVIEW)

    seen_by_officer = client_for(officer).get(f"{PERMITS}{permit.id}/").json()
    assert seen_by_officer["requires_senior_approval"] is True
    assert seen_by_officer["zones"] == [{"id": seen_by_officer["zones"][0]["id"], "name": "Airport Approach",
                                         "kind": "restricted"}]  # fmt: skip
    assert seen_by_officer["available_transitions"] == ["reject", "request-changes", "refer"]

    response = client_for(officer).post(f"{PERMITS}{permit.id}/approve/")
    assert response.status_code == 403
    assert "Airport Approach" in response.json()["detail"]

    # A plain officer may still turn it down or send it back; only approval takes a senior officer.
    assert "approve" in client_for(senior_officer).get(f"{PERMITS}{permit.id}/").json()["available_transitions"]
    response = client_for(senior_officer).post(
        f"{PERMITS}{permit.id}/approve/", {"reason": "Coordinated with tower"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decision_reason"] == "Coordinated with tower"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Aircraft.Status.SUSPENDED, Aircraft.Status.PENDING])
def test_aircraft_no_longer_registered_cannot_be_approved(make_permit, client_for, senior_officer, status):
    # Grounded while under review: its flights would be classified hostile despite the approval.
    permit = make_permit(state=State.UNDER_REVIEW)
    Aircraft.objects.filter(pk=permit.aircraft_id).update(status=status)
    client = client_for(senior_officer)
    assert "approve" not in client.get(f"{PERMITS}{permit.id}/").json()["available_transitions"]
    response = client.post(f"{PERMITS}{permit.id}/approve/")
    assert response.status_code == 400
    assert "not registered" in response.json()["aircraft"][0]
    permit.refresh_from_db()
    assert permit.state == State.UNDER_REVIEW
    assert not AirDefenseNotification.objects.exists()


@pytest.mark.django_db
def test_restricted_zone_above_the_flight_needs_no_senior(make_permit, make_zone, client_for, officer):
    make_zone(kind=RestrictedZone.Kind.RESTRICTED, area=square(44.30, 33.25), min_altitude_m=500)
    permit = make_permit(state=State.UNDER_REVIEW)
    response = client_for(officer).post(f"{PERMITS}{permit.id}/approve/")
    assert response.status_code == 200, response.json()
    assert response.json()["requires_senior_approval"] is False


# --- notifications written by people's acts -------------------------------------------------------


@pytest.mark.django_db
def test_approve_revoke_and_cancel_write_the_outbox(make_permit, client_for, operator_user, officer):
    approved = make_permit(state=State.UNDER_REVIEW, owner=operator_user)
    client_for(officer).post(f"{PERMITS}{approved.id}/approve/")
    client_for(officer).post(f"{PERMITS}{approved.id}/revoke/", {"reason": "VIP movement"}, format="json")
    cancelled = make_permit(state=State.APPROVED, owner=operator_user)  # approves once more
    client_for(operator_user).post(f"{PERMITS}{cancelled.id}/cancel/")

    kinds = sorted(AirDefenseNotification.objects.values_list("kind", flat=True))
    assert kinds == sorted([Kind.PERMIT_APPROVED, Kind.PERMIT_REVOKED, Kind.PERMIT_APPROVED, Kind.PERMIT_CANCELLED])
    revoked = AirDefenseNotification.objects.get(kind=Kind.PERMIT_REVOKED)
    assert revoked.permit_id == approved.id
    assert revoked.severity == AirDefenseNotification.Severity.WARNING
    assert revoked.payload["permit"]["decision_reason"] == "VIP movement"
    assert revoked.payload["permit"]["state"] == "revoked"


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED])
def test_cancelling_an_undecided_application_tells_nobody(make_permit, client_for, operator_user, state):
    permit = make_permit(state=state, owner=operator_user)
    assert client_for(operator_user).post(f"{PERMITS}{permit.id}/cancel/").status_code == 200
    assert not AirDefenseNotification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("transition", ["submit", "start-review", "reject", "request-changes"])
def test_undecided_steps_tell_nobody(make_permit, client_for, operator_user, officer, transition):
    state = {"submit": State.DRAFT, "start-review": State.SUBMITTED}.get(transition, State.UNDER_REVIEW)
    permit = make_permit(state=state, owner=operator_user)
    actor = operator_user if transition == "submit" else officer
    response = client_for(actor).post(f"{PERMITS}{permit.id}/{transition}/", {"reason": "r"}, format="json")
    assert response.status_code == 200
    assert not AirDefenseNotification.objects.exists()


@pytest.mark.django_db
def test_cancel_after_the_window_ended_is_a_409(make_permit, client_for, operator_user):
    permit = make_permit(state=State.SUBMITTED, owner=operator_user)
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    response = client_for(operator_user).post(f"{PERMITS}{permit.id}/cancel/")
    assert response.status_code == 409
    assert "ended" in response.json()["detail"]


@pytest.mark.django_db
def test_start_review_assigns_the_reviewer(make_permit, client_for, officer):
    permit = make_permit(state=State.SUBMITTED)
    body = client_for(officer).post(f"{PERMITS}{permit.id}/start-review/").json()
    assert body["reviewer"] == officer.username
    assert body["state"] == "under_review"


@pytest.mark.django_db
def test_unknown_transition_is_a_404(make_permit, client_for, officer):
    permit = make_permit(state=State.SUBMITTED)
    assert client_for(officer).post(f"{PERMITS}{permit.id}/activate/").status_code == 404


# --- visibility and filters -----------------------------------------------------------------------


@pytest.mark.django_db
def test_operators_see_only_their_own(make_permit, client_for, operator_user, other_operator_user):
    mine = make_permit(owner=operator_user)
    theirs = make_permit(owner=other_operator_user)
    client = client_for(operator_user)
    assert [p["id"] for p in client.get(PERMITS).json()["results"]] == [mine.id]
    assert client.get(f"{PERMITS}{theirs.id}/").status_code == 404
    assert client.get(f"{PERMITS}{theirs.id}/history/").status_code == 404
    assert client.patch(f"{PERMITS}{theirs.id}/", {"description": "x"}, format="json").status_code == 404
    assert client.post(f"{PERMITS}{theirs.id}/cancel/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER])
def test_staff_see_all(make_permit, make_user, client_for, operator_user, other_operator_user, role):
    ids = {make_permit(owner=operator_user).id, make_permit(owner=other_operator_user).id}
    client = client_for(make_user(role))
    assert {p["id"] for p in client.get(PERMITS).json()["results"]} == ids
    for permit_id in ids:
        assert client.get(f"{PERMITS}{permit_id}/history/").status_code == 200


@pytest.mark.django_db
def test_air_defense_reads_but_cannot_act(make_permit, client_for, air_defense_user):
    permit = make_permit(state=State.APPROVED)
    body = client_for(air_defense_user).get(f"{PERMITS}{permit.id}/").json()
    assert body["available_transitions"] == []
    assert (
        client_for(air_defense_user).post(f"{PERMITS}{permit.id}/revoke/", {"reason": "x"}, format="json").status_code
        == 403
    )


@pytest.mark.django_db
def test_sensors_see_no_permits(make_permit, client_for, sensor_user):
    permit = make_permit()
    client = client_for(sensor_user)
    assert client.get(PERMITS).json()["results"] == []
    assert client.get(f"{PERMITS}{permit.id}/").status_code == 404


@pytest.mark.django_db
def test_filters(make_permit, client_for, officer, operator_user, other_operator_user):
    draft = make_permit(owner=operator_user, starts_in=timedelta(hours=2))
    submitted = make_permit(state=State.SUBMITTED, owner=operator_user, starts_in=timedelta(hours=10))
    approved = make_permit(state=State.APPROVED, owner=other_operator_user, starts_in=timedelta(hours=20))
    client = client_for(officer)

    def ids(**params):
        response = client.get(PERMITS, params)
        assert response.status_code == 200, response.json()
        return {p["id"] for p in response.json()["results"]}

    assert ids(state=["draft", "approved"]) == {draft.id, approved.id}
    assert ids(state="submitted") == {submitted.id}
    assert ids(operator=approved.operator_id) == {approved.id}
    assert ids(starts_after=iso(timezone.now() + timedelta(hours=5))) == {submitted.id, approved.id}
    assert ids(starts_before=iso(timezone.now() + timedelta(hours=15))) == {draft.id, submitted.id}
    assert client.get(PERMITS, {"state": "flying"}).status_code == 400
    assert "starts_after" in client.get(PERMITS, {"starts_after": "soon"}).json()


@pytest.mark.django_db
def test_review_queue(make_permit, client_for, officer, operator_user):
    later = make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=9))
    sooner = make_permit(state=State.UNDER_REVIEW, starts_in=timedelta(hours=3))
    make_permit(state=State.DRAFT)
    make_permit(state=State.APPROVED)
    make_permit(state=State.CHANGES_REQUESTED)
    response = client_for(officer).get(f"{PERMITS}queue/")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [sooner.id, later.id]
    assert client_for(operator_user).get(f"{PERMITS}queue/").status_code == 403


@pytest.mark.django_db
def test_schema_documents_the_transitions(client_for, officer):
    schema = client_for(officer).get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for transition in ["submit", "start-review", "approve", "reject", "request-changes", "cancel", "revoke"]:
        assert f"/api/v1/permits/{{id}}/{transition}/" in text
    assert "/api/v1/permits/{id}/history/" in text
