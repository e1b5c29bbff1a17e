"""A zone drawn over flights already approved: a prohibited one revokes every approved or active
permit it touches at once (the zone named, the officer recorded, air defense told, the classification
index updated); a restricted one leaves them in effect, flagged for review. Through the API, the
pages and the admin, against PostgreSQL; and against an approval at the same moment."""

import json
import threading

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.zones.models import RestrictedZone
from permits import services as permit_services
from permits.models import FlightPermit, State
from tests.conftest import run_together, square

pytestmark = pytest.mark.django_db

ZONES = "/api/v1/zones/"
PERMITS = "/api/v1/permits/"
# The fixtures' permits fly over square(44.30, 33.25) (±0.005°), 0-120 m.
OVER_THE_PERMITS = {"name": "Presidential Complex", "kind": "prohibited", "area": square(44.30, 33.25, 0.002)}
ELSEWHERE = square(44.60, 33.40, 0.002)


def draw(client, **zone):
    body = {**OVER_THE_PERMITS, "max_altitude_m": 3000, **zone}
    response = client.post(ZONES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def state_of(permit):
    permit.refresh_from_db()
    return permit.state


def revocations():
    return list(AirDefenseNotification.objects.filter(kind="permit.revoked").order_by("created_at"))


@pytest.fixture
def staff(client_for, officer):
    return client_for(officer)


# --- prohibited -----------------------------------------------------------------------------------


def test_a_prohibited_zone_drawn_over_flights_in_effect_revokes_them_at_once(
    staff, officer, make_permit, operator_user, client_for
):
    approved = make_permit(state=State.APPROVED, owner=operator_user)
    active = make_permit(state=State.ACTIVE)
    untouched = {
        "a draft": make_permit(state=State.DRAFT),
        "an application": make_permit(state=State.UNDER_REVIEW),
        "a flight elsewhere": make_permit(state=State.APPROVED, area=ELSEWHERE),
        "a flight below the zone": make_permit(state=State.APPROVED, max_altitude_m=50),
    }

    zone = draw(staff, min_altitude_m=100)

    assert sorted(zone["revoked_permits"]) == sorted([approved.reference, active.reference])
    assert zone["permits_to_review"] == []
    assert (state_of(approved), state_of(active)) == (State.REVOKED, State.REVOKED)
    for permit in untouched.values():
        before = permit.state
        assert state_of(permit) == before
    # The history says who and why; the operator reads the reason on the permit.
    [entry] = approved.history.filter(to_state=State.REVOKED)
    assert entry.actor == officer and "Presidential Complex" in entry.reason
    seen_by_operator = client_for(operator_user).get(f"{PERMITS}{approved.id}/").json()
    assert seen_by_operator["state"] == "revoked"
    assert "prohibited zone Presidential Complex" in seen_by_operator["decision_reason"]
    # Air defense is told through the outbox, one permit.revoked each, naming the zone.
    told = revocations()
    assert sorted(n.permit_id for n in told) == sorted([approved.pk, active.pk])
    assert all("Presidential Complex" in n.payload["permit"]["decision_reason"] for n in told)


def test_the_classification_index_sees_the_revocation_at_the_next_batch(staff, make_permit, sensor_user, client_for):
    permit = make_permit(state=State.ACTIVE)
    sensor = client_for(sensor_user)

    def classify():
        report = {"sensor_track_id": "t-1", "observed_at": timezone.now().isoformat(), "lat": 33.25, "lon": 44.30}
        body = {"reports": [{**report, "altitude_m": 60, "remote_id": permit.aircraft.remote_id}]}
        return sensor.post("/api/v1/tracks/reports/", body, format="json").json()["results"][0]

    assert classify()["classification"] == "authorized"  # the index is built, with the permit in it
    draw(staff)
    outcome = classify()
    assert (outcome["classification"], outcome["zone"]) == ("unauthorized", "Presidential Complex")
    assert AirDefenseNotification.objects.filter(kind="track.hostile", severity="critical").count() == 1


def test_widening_a_prohibited_zone_over_a_flight_revokes_it(staff, make_permit):
    permit = make_permit(state=State.APPROVED)
    zone = draw(staff, area=ELSEWHERE)
    assert zone["revoked_permits"] == []

    response = staff.patch(f"{ZONES}{zone['id']}/", {"area": square(44.30, 33.25, 0.1)}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["revoked_permits"] == [permit.reference]
    assert state_of(permit) == State.REVOKED


def test_lowering_a_prohibited_zones_floor_onto_a_flight_revokes_it(staff, make_permit):
    permit = make_permit(state=State.ACTIVE)
    zone = draw(staff, min_altitude_m=500)
    assert state_of(permit) == State.ACTIVE

    staff.patch(f"{ZONES}{zone['id']}/", {"min_altitude_m": 100}, format="json")

    assert state_of(permit) == State.REVOKED


def test_re_activating_a_prohibited_zone_over_a_flight_revokes_it(staff, make_permit):
    zone = draw(staff)
    assert staff.delete(f"{ZONES}{zone['id']}/").status_code == 204
    permit = make_permit(state=State.APPROVED)  # approvable: the zone is inactive

    response = staff.patch(f"{ZONES}{zone['id']}/", {"active": True}, format="json")

    assert response.json()["revoked_permits"] == [permit.reference]
    assert state_of(permit) == State.REVOKED


def test_turning_a_restricted_zone_prohibited_revokes_the_flights_inside(staff, make_permit):
    permit = make_permit(state=State.APPROVED)
    zone = draw(staff, kind="restricted")
    assert state_of(permit) == State.APPROVED

    response = staff.patch(f"{ZONES}{zone['id']}/", {"kind": "prohibited"}, format="json")

    assert response.json()["revoked_permits"] == [permit.reference]
    assert state_of(permit) == State.REVOKED


def test_a_zone_change_that_leaves_a_flight_outside_changes_nothing(staff, make_permit):
    permit = make_permit(state=State.APPROVED)
    zone = draw(staff, area=ELSEWHERE)
    staff.patch(f"{ZONES}{zone['id']}/", {"description": "Embassy district", "max_altitude_m": 900}, format="json")
    assert state_of(permit) == State.APPROVED
    assert revocations() == []


# --- restricted -----------------------------------------------------------------------------------


def test_a_restricted_zone_leaves_flights_in_effect_but_flags_them_for_review(staff, make_permit, client_for, officer):
    permit = make_permit(state=State.APPROVED)

    zone = draw(staff, name="Airport Approach", kind="restricted")

    assert zone["revoked_permits"] == [] and zone["permits_to_review"] == [permit.reference]
    assert state_of(permit) == State.APPROVED
    assert not AirDefenseNotification.objects.exclude(kind="permit.approved").exists()
    flagged = client_for(officer).get(f"{PERMITS}{permit.id}/").json()
    assert flagged["requires_senior_approval"] is True
    assert [z["name"] for z in flagged["zones"]] == ["Airport Approach"]


# --- the pages and the admin ----------------------------------------------------------------------


def test_a_prohibited_zone_drawn_on_the_zones_page_revokes_and_says_so(client, officer, make_permit):
    permit = make_permit(state=State.APPROVED)
    client.force_login(officer)
    form = {
        "name": "Embassy Row",
        "kind": "prohibited",
        "description": "",
        "area": json.dumps({"type": "Point", "coordinates": [44.30, 33.25]}),
        "radius_m": "300",
        "min_altitude_m": "0",
        "max_altitude_m": "2000",
    }

    response = client.post("/zones/", form, follow=True)

    assert response.status_code == 200
    assert state_of(permit) == State.REVOKED
    assert f"Permits inside the prohibited zone were revoked: {permit.reference}." in response.content.decode()


@pytest.fixture
def admin_officer(client, make_user):
    """A superuser who is also command staff (revoking takes command staff)."""
    user = make_user("command_staff")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def admin_zone_form(**changes):
    return {
        "name": "Ministry",
        "kind": "prohibited",
        "description": "",
        "area": json.dumps(square(44.30, 33.25, 0.002)),
        "radius_m": "",
        "min_altitude_m": "0",
        "max_altitude_m": "3000",
        "active": "on",
        **changes,
    }


def test_a_prohibited_zone_added_in_the_admin_revokes_the_flights_inside(admin_officer, make_permit):
    permit = make_permit(state=State.ACTIVE)

    response = admin_officer.post("/admin/airspace/restrictedzone/add/", admin_zone_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    zone = RestrictedZone.objects.get(name="Ministry")
    assert zone.boundary["type"] == "Polygon"
    assert state_of(permit) == State.REVOKED


def test_a_zone_widened_in_the_admin_gets_the_new_footprint_and_revokes(admin_officer, make_zone, make_permit):
    zone = make_zone(name="Ministry", area=ELSEWHERE)
    permit = make_permit(state=State.APPROVED)

    response = admin_officer.post(
        f"/admin/airspace/restrictedzone/{zone.pk}/change/", admin_zone_form(area=json.dumps(square(44.30, 33.25, 0.1)))
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    zone.refresh_from_db()
    assert zone.boundary == zone.parsed_area.boundary_geojson
    assert state_of(permit) == State.REVOKED


def test_an_admin_who_is_not_command_staff_cannot_revoke_flights_by_drawing_a_zone(
    client, django_user_model, make_permit
):
    permit = make_permit(state=State.APPROVED)
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.invalid", "x-admin-pw-1"))
    client.raise_request_exception = False

    response = client.post("/admin/airspace/restrictedzone/add/", admin_zone_form())

    assert response.status_code == 403
    assert not RestrictedZone.objects.exists()
    assert state_of(permit) == State.APPROVED


def test_the_operator_reads_the_zone_on_the_permit_page(client, operator_user, make_permit, staff):
    permit = make_permit(state=State.APPROVED, owner=operator_user)
    draw(staff)
    client.force_login(operator_user)
    page = client.get(f"/permits/{permit.id}/").content.decode()
    assert "Revoked" in page and "The prohibited zone Presidential Complex now covers" in page


def test_a_bad_area_in_the_admin_is_a_form_error(admin_officer):
    response = admin_officer.post("/admin/airspace/restrictedzone/add/", admin_zone_form(area=json.dumps("nowhere")))
    assert response.status_code == 200
    assert "area" in response.context["adminform"].form.errors
    assert not RestrictedZone.objects.exists()


# --- at the same moment as an approval --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_prohibited_zone_drawn_while_an_approval_is_being_written_is_not_missed(make_permit, officer, senior_officer):
    """Deterministic: the approval has checked the zones (none) and is about to write when the zone
    is drawn. Without the zones lock the zone found no permit in effect and committed, then the
    approval committed: an approved flight inside a prohibited zone."""
    from django.db.models.signals import pre_save

    from airspace.zones.services import draw_zone
    from tests.fixtures_permits import volume

    permit = make_permit(state=State.UNDER_REVIEW)
    checked, drawn = threading.Event(), threading.Event()

    def pause_the_approval_after_its_checks(sender, instance, **kwargs):
        if instance.pk == permit.pk and instance.state == State.APPROVED and not checked.is_set():
            checked.set()
            drawn.wait(timeout=2)  # with the lock, the zone waits for us: give up waiting

    def draw_once_the_approval_has_checked():
        checked.wait(timeout=10)
        try:
            zone_volume = volume(area=square(44.30, 33.25, 0.002), max_altitude_m=3000)
            fields = {name: zone_volume[name] for name in ("area", "radius_m", "boundary", "max_altitude_m")}
            return draw_zone(officer=officer, name="Palace", kind="prohibited", **fields)
        finally:
            drawn.set()

    pre_save.connect(pause_the_approval_after_its_checks, sender=FlightPermit)
    try:
        approval, zone = run_together(
            lambda: permit_services.approve_permit(permit_id=permit.pk, officer=senior_officer),
            draw_once_the_approval_has_checked,
        )
    finally:
        pre_save.disconnect(pause_the_approval_after_its_checks, sender=FlightPermit)

    assert not isinstance(zone, Exception), zone
    assert state_of(permit) in (State.UNDER_REVIEW, State.REVOKED), "approved inside a prohibited zone"
    if not isinstance(approval, Exception):  # it went first: the zone revoked it
        assert [p.reference for p in zone.revoked_permits] == [permit.reference]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_a_zone_drawn_while_others_act_on_its_flights_neither_deadlocks_nor_misses_one(
    make_permit, officer, make_user, trial
):
    """The zone, a suspension, a cancellation and the clock, all at once on the same flights: every
    act takes its locks in the one order, so each either goes first or waits, and none fails."""
    from datetime import timedelta

    from django_fsm import TransitionNotAllowed

    from airspace.registry.services import suspend_aircraft
    from airspace.zones.services import draw_zone
    from tests.fixtures_permits import volume

    owner = make_user("operator", organization="Race Aerial")
    suspended, cancelled, activated = (make_permit(state=State.APPROVED, owner=owner) for _ in range(3))
    now = timezone.now()
    FlightPermit.objects.filter(pk=activated.pk).update(starts_at=now - timedelta(minutes=1))
    zone_volume = volume(area=square(44.30, 33.25, 0.002), max_altitude_m=3000)
    fields = {name: zone_volume[name] for name in ("area", "radius_m", "boundary", "max_altitude_m")}

    outcomes = run_together(
        lambda: draw_zone(officer=officer, name=f"Palace {trial}", kind="prohibited", **fields),
        lambda: suspend_aircraft(aircraft_id=suspended.aircraft_id, officer=officer),
        lambda: permit_services.cancel_permit(permit_id=cancelled.pk, user=owner),
        permit_services.activate_due_permits,
    )

    # Only the cancellation may lose, to the zone's revocation, and then as a refused transition.
    for outcome in outcomes:
        assert not isinstance(outcome, Exception) or isinstance(outcome, TransitionNotAllowed), repr(outcome)
    assert {state_of(permit) for permit in (suspended, activated)} == {State.REVOKED}
    assert state_of(cancelled) in (State.CANCELLED, State.REVOKED)
    for permit in (suspended, cancelled, activated):
        assert permit.history.filter(to_state__in=[State.REVOKED, State.CANCELLED]).count() == 1
