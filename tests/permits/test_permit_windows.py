"""The permit window: one that has already ended, or that starts beyond the planning horizon
(PERMIT_PLANNING_HORIZON_DAYS, ASTM F3548's 30 days), is a 400 naming the field — when the
application is created, edited and submitted, through the API and the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from permits.models import FlightPermit, State
from tests.conftest import square

pytestmark = pytest.mark.django_db

PERMITS = "/api/v1/permits/"


def from_now(**delta):
    return timezone.now() + timedelta(**delta)


# The case: started a minute ago (inside the start's grace), ended five seconds ago.
ENDED = {"starts_at": lambda: from_now(minutes=-1), "ends_at": lambda: from_now(seconds=-5)}
BEYOND_THE_HORIZON = {"starts_at": lambda: from_now(days=31), "ends_at": lambda: from_now(days=31, hours=2)}
IN_THE_YEAR_9999 = {
    "starts_at": lambda: timezone.now().replace(year=9999),
    "ends_at": lambda: timezone.now().replace(year=9999) + timedelta(hours=2),
}
REFUSED = {
    "ended": (ENDED, "ends_at"),
    "beyond the horizon": (BEYOND_THE_HORIZON, "starts_at"),
    "in the year 9999": (IN_THE_YEAR_9999, "starts_at"),
}


def window(times):
    return {name: make().isoformat() for name, make in times.items()}


@pytest.fixture
def own_aircraft(operator_user, make_aircraft):
    return make_aircraft(operator_user.operator_membership.operator)


def application(aircraft, **overrides):
    return {
        "aircraft": aircraft.pk,
        "purpose": "survey",
        "area": square(44.30, 33.25),
        "min_altitude_m": 0,
        "max_altitude_m": 120,
        **window({"starts_at": lambda: from_now(hours=3), "ends_at": lambda: from_now(hours=5)}),
        **overrides,
    }


@pytest.mark.parametrize("times, field", list(REFUSED.values()), ids=list(REFUSED))
def test_creating_is_refused_naming_the_field(client_for, operator_user, own_aircraft, times, field):
    response = client_for(operator_user).post(PERMITS, application(own_aircraft, **window(times)), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert not FlightPermit.objects.exists()


@pytest.mark.parametrize("times, field", list(REFUSED.values()), ids=list(REFUSED))
def test_editing_is_refused_naming_the_field(make_permit, client_for, operator_user, times, field):
    permit = make_permit(owner=operator_user)

    response = client_for(operator_user).patch(f"{PERMITS}{permit.id}/", window(times), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()


@pytest.mark.parametrize("times, field", list(REFUSED.values()), ids=list(REFUSED))
@pytest.mark.parametrize("state", [State.DRAFT, State.CHANGES_REQUESTED])
def test_submitting_is_refused_naming_the_field(make_permit, client_for, operator_user, times, field, state):
    permit = make_permit(state=state, owner=operator_user)
    # Time passed since the draft was saved (or the horizon setting changed): the stored window is checked again.
    FlightPermit.objects.filter(pk=permit.pk).update(**{name: make() for name, make in times.items()})

    response = client_for(operator_user).post(f"{PERMITS}{permit.id}/submit/")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    permit.refresh_from_db()
    assert permit.state == state


def test_a_window_inside_the_horizon_is_accepted(client_for, operator_user, own_aircraft):
    times = {"starts_at": lambda: from_now(days=29), "ends_at": lambda: from_now(days=29, hours=2)}
    client = client_for(operator_user)
    created = client.post(PERMITS, application(own_aircraft, **window(times)), format="json")
    assert created.status_code == 201, created.json()
    assert client.post(f"{PERMITS}{created.json()['id']}/submit/").status_code == 200


def test_the_horizon_is_a_setting(client_for, operator_user, own_aircraft, settings):
    settings.PERMIT_PLANNING_HORIZON = timedelta(days=2)
    times = {"starts_at": lambda: from_now(days=3), "ends_at": lambda: from_now(days=3, hours=2)}
    response = client_for(operator_user).post(PERMITS, application(own_aircraft, **window(times)), format="json")
    assert response.status_code == 400
    assert "2 days" in response.json()["starts_at"][0]


def test_the_application_page_refuses_a_window_that_has_ended(client, operator_user, own_aircraft):
    import json

    client.force_login(operator_user)
    form = {
        **application(own_aircraft),
        "area": json.dumps(square(44.30, 33.25)),
        "radius_m": "",
        # The page's datetime-local inputs are UTC to the minute.
        "starts_at": from_now(minutes=-3).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": from_now(minutes=-1).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post("/permits/new/", form)
    assert response.status_code == 400
    assert response.context["errors"]["ends_at"] == ["The window has already ended."]
    assert not FlightPermit.objects.exists()
