"""Zone activation schedules: a zone restricts only when it is in force — at a permit's submission
and approval (its window against the zone's periods and daily times), when drawn over permits in
effect, and at classification (the report's observed time) — against PostgreSQL, through the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from airspace.zones import schedule
from airspace.zones.models import RestrictedZone
from permits import services
from permits.models import State
from tests.conftest import square
from tests.surveillance.reports import REPORTS, report

pytestmark = pytest.mark.django_db

# Over the fixtures' permit area (±0.005° around 44.30 E, 33.25 N, 0-120 m).
OVER_THE_PERMITS = square(44.30, 33.25, 0.002)


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def stamp(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def period(starts_at=None, ends_at=None, daily=None):
    return {"starts_at": starts_at and stamp(starts_at), "ends_at": ends_at and stamp(ends_at), "daily": daily}


def scheduled_zone(make_zone, periods, **fields):
    zone = make_zone(area=OVER_THE_PERMITS, **fields)
    zone.schedule = schedule.normalize(periods)
    zone.save()
    return zone


# --- the schedule itself ----------------------------------------------------------------------------


def test_a_daily_period_runs_past_midnight_on_its_days_only():
    night = [
        {
            "starts_at": "2026-12-01T00:00:00Z",
            "ends_at": None,
            "daily": {"start": "22:00", "end": "04:00", "days": ["FRI"]},
        }
    ]
    stored = schedule.normalize(night)
    assert schedule.active_at(stored, at("2026-12-04T23:00:00"))  # a Friday night
    assert schedule.active_at(stored, at("2026-12-05T03:59:00"))  # ... into Saturday morning
    assert not schedule.active_at(stored, at("2026-12-05T04:00:00"))
    assert not schedule.active_at(stored, at("2026-12-05T23:00:00"))  # Saturday night
    assert not schedule.active_at(stored, at("2026-11-27T23:00:00"))  # a Friday before the period
    assert schedule.active_during(stored, at("2026-12-04T20:00:00"), at("2026-12-04T22:30:00"))
    assert not schedule.active_during(stored, at("2026-12-04T12:00:00"), at("2026-12-04T21:59:00"))
    assert schedule.active_at([], at("2030-01-01T00:00:00"))  # no schedule: always


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([{"starts_at": "2026-12-01T08:00:00"}], "Period 1: starts_at must say its time zone"),
        ([{"starts_at": "2026-12-02T08:00:00Z", "ends_at": "2026-12-01T08:00:00Z"}], "ends_at must be after starts_at"),
        ([{"daily": {"start": "25:00", "end": "04:00"}}], "daily start must be a time of day"),
        ([{"daily": {"start": "08:00", "end": "09:00", "days": ["MONDAY"]}}], "days must be a list of MON"),
        ({"starts_at": "x"}, "must be a list of periods"),
    ],
)
def test_bad_schedules_say_which_period_and_field(periods, message):
    with pytest.raises(schedule.ScheduleError, match=message):
        schedule.normalize(periods)


# --- permits: submission and approval ------------------------------------------------------------


def test_a_prohibited_zone_in_force_only_later_does_not_stop_a_flight_before_it(make_zone, make_permit):
    now = timezone.now()
    scheduled_zone(make_zone, [period(now + timedelta(hours=10), now + timedelta(hours=20))], name="Event")
    permit = make_permit(State.APPROVED, starts_in=timedelta(hours=2), hours=2)  # submitted and approved
    assert permit.state == State.APPROVED


def test_a_prohibited_zone_in_force_during_the_window_stops_submission(make_zone, make_permit, client_for):
    now = timezone.now()
    scheduled_zone(make_zone, [period(now + timedelta(hours=3), now + timedelta(hours=5))], name="Event")
    permit = make_permit(State.DRAFT, starts_in=timedelta(hours=2), hours=2)
    answer = client_for(permit.created_by).post(f"/api/v1/permits/{permit.pk}/submit/", {}, format="json")
    assert answer.status_code == 400
    assert "prohibited zone Event" in answer.json()["area"][0]


def test_a_zone_scheduled_over_the_window_after_submission_stops_the_approval(make_zone, make_permit, senior_officer):
    permit = make_permit(State.UNDER_REVIEW, starts_in=timedelta(hours=2), hours=2)
    daily = {
        "start": (permit.starts_at + timedelta(minutes=30)).strftime("%H:%M"),
        "end": (permit.starts_at + timedelta(minutes=40)).strftime("%H:%M"),
        "days": [],
    }
    scheduled_zone(make_zone, [period(daily=daily)], name="Daily closure")
    with pytest.raises(ValidationError, match="prohibited zone Daily closure"):
        services.approve_permit(permit_id=permit.pk, officer=senior_officer)
    permit.refresh_from_db()
    assert permit.state == State.UNDER_REVIEW


def test_a_restricted_zone_needs_a_senior_officer_only_while_in_force(make_zone, make_permit, officer):
    now = timezone.now()
    scheduled_zone(make_zone, [period(now + timedelta(hours=30), None)], kind=RestrictedZone.Kind.RESTRICTED)
    permit = make_permit(State.UNDER_REVIEW, starts_in=timedelta(hours=2), hours=2)
    assert not permit.requires_senior_approval
    services.approve_permit(permit_id=permit.pk, officer=officer)  # not a senior officer: allowed
    permit.refresh_from_db()
    assert permit.state == State.APPROVED


def test_a_scheduled_prohibited_zone_drawn_over_permits_revokes_only_those_it_meets(client_for, officer, make_permit):
    before = make_permit(State.APPROVED, starts_in=timedelta(hours=1), hours=1)
    during = make_permit(State.APPROVED, starts_in=timedelta(hours=6), hours=1)
    body = {
        "name": "Parade",
        "kind": "prohibited",
        "area": OVER_THE_PERMITS,
        "max_altitude_m": 1000,
        "schedule": [period(during.starts_at - timedelta(minutes=10), during.ends_at + timedelta(hours=1))],
    }
    answer = client_for(officer).post("/api/v1/zones/", body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["revoked_permits"] == [during.reference]
    before.refresh_from_db()
    during.refresh_from_db()
    assert (before.state, during.state) == (State.APPROVED, State.REVOKED)


# --- classification --------------------------------------------------------------------------------


def test_a_report_inside_a_zone_counts_only_while_the_zone_is_in_force(sensor_user, client_for, make_zone):
    now = timezone.now()
    scheduled_zone(make_zone, [period(now - timedelta(minutes=30), now - timedelta(minutes=5))], name="Morning event")
    sensor = client_for(sensor_user)

    def zone_of(moment, track):
        body = {"reports": [report(track, lon=44.30, lat=33.25, altitude_m=60, at=moment)]}
        answer = sensor.post(REPORTS, body, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json()["results"][0]["zone"]

    assert zone_of(now - timedelta(minutes=10), "during") == "Morning event"
    assert zone_of(now - timedelta(minutes=1), "after") is None
    assert zone_of(now - timedelta(minutes=40), "before") is None
