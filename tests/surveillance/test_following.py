"""Flight following over time: drones that go silent and come back, flights that stray and stay out,
through the real report API and the clock's pass (`follow_flights`) with the clock moved by an
explicit `now` — against PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.notices.models import OperatorNotice
from airspace.surveillance.following import follow_flights
from airspace.surveillance.models import Track
from permits import services as permit_services
from permits.models import FlightPermit, PermitExcursion, State
from tests.conftest import square
from tests.surveillance.reports import (
    CENTRE_LAT,
    CENTRE_LON,
    EAST_EDGE,
    REPORTS,
    TRACKS,
    east_of_edge,
    report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensor_api(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports, expect=200):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == expect, response.content
        return response.json()["results"]

    return post


@pytest.fixture
def flying_permit(make_permit):
    """An active permit over the default square whose window opened an hour ago and ends in an hour."""
    permit = make_permit(state=State.ACTIVE)
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), updated_at=now
    )
    permit.refresh_from_db()
    return permit


@pytest.fixture
def fly(sensor_api, flying_permit):
    """fly(seconds_ago, lon=..., ...) -> the classification of one report of the permit's drone."""
    remote_id = flying_permit.aircraft.remote_id

    def report_at(seconds_ago=0, **where):
        at = timezone.now() - timedelta(seconds=seconds_ago)
        return sensor_api(report("drone", remote_id=remote_id, at=at, **where))[0]["classification"]

    return report_at


def notifications(kind):
    return list(AirDefenseNotification.objects.filter(kind=kind).order_by("created_at"))


def escalations():
    return [n for n in notifications("track.hostile") if "escalation" in n.payload]


# --- contact lost and regained ------------------------------------------------------------


def test_a_drone_flying_then_silent_is_contact_lost_once_and_regained_once(fly, flying_permit):
    assert fly(20) == "authorized"
    now = timezone.now()
    assert follow_flights(now=now)["contacts_lost"] == 1
    assert follow_flights(now=now + timedelta(seconds=5))["contacts_lost"] == 0

    [lost] = notifications("track.contact_lost")
    assert lost.severity == "warning"
    assert lost.permit_id == flying_permit.pk
    assert lost.payload["permit"] == {"reference": flying_permit.reference}
    assert lost.payload["track"]["position"]["lat"] == CENTRE_LAT
    assert lost.payload["contact"]["near_zone"] is None
    assert lost.payload["contact"]["silent_s"] == pytest.approx(20, abs=2)
    assert lost.payload["aircraft"]["serial_number"] == flying_permit.aircraft.serial_number
    assert Track.objects.get().contact_lost_at == now

    assert fly(0) == "authorized"
    assert fly(0) == "authorized"
    [regained] = notifications("track.contact_regained")
    assert regained.severity == "info"
    assert regained.payload["contact"]["far_from_where_lost"] is False
    assert regained.payload["contact"]["outside_volume"] is False
    assert Track.objects.get().contact_lost_at is None
    assert follow_flights(now=timezone.now())["contacts_lost"] == 0
    assert len(notifications("track.contact_lost")) == 1


def test_a_drone_silent_for_less_than_contact_lost_s_is_not_lost(fly, settings):
    fly(settings.CONTACT_LOST_S - 3)
    assert follow_flights(now=timezone.now())["contacts_lost"] == 0
    assert not notifications("track.contact_lost")


def test_a_drone_lost_near_a_zone_is_critical_and_names_it(fly, make_zone):
    # A restricted zone 200-ish metres east of the volume's east edge.
    zone = make_zone(name="Embassy Row", kind="restricted", area=square(EAST_EDGE + 0.006, CENTRE_LAT, 0.004))
    fly(20, lon=EAST_EDGE - 0.0005)
    follow_flights(now=timezone.now())
    [lost] = notifications("track.contact_lost")
    assert lost.severity == "critical"
    near = lost.payload["contact"]["near_zone"]
    assert (near["name"], near["kind"]) == (zone.name, "restricted")
    assert 100 < near["distance_m"] < 300


def test_a_drone_seen_again_far_away_and_outside_its_volume_says_so(fly):
    fly(30)
    follow_flights(now=timezone.now())
    assert fly(0, lon=east_of_edge(1000)) == "nonconforming"
    [regained] = notifications("track.contact_regained")
    assert regained.severity == "warning"
    assert regained.payload["contact"]["far_from_where_lost"] is True
    assert regained.payload["contact"]["outside_volume"] is True
    assert regained.payload["contact"]["moved_m"] > 1000
    assert regained.payload["contact"]["last_position"]["lon"] == CENTRE_LON


def test_contact_lost_is_shown_until_the_permit_ends(fly, flying_permit, air_defense_user, client_for):
    fly(20)
    follow_flights(now=timezone.now())
    api = client_for(air_defense_user)
    [shown] = api.get(TRACKS, {"contact_lost": "true"}).json()["results"]
    assert shown["contact_lost_at"] is not None
    assert (shown["last_lat"], shown["last_lon"]) == (CENTRE_LAT, CENTRE_LON)
    assert api.get(TRACKS, {"contact_lost": "false"}).json()["count"] == 0

    FlightPermit.objects.filter(pk=flying_permit.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert permit_services.complete_due_permits() == 1
    assert api.get(TRACKS, {"contact_lost": "true"}).json()["count"] == 0


def test_a_drone_whose_permit_ended_is_not_contact_lost(fly, flying_permit):
    fly(20)
    FlightPermit.objects.filter(pk=flying_permit.pk).update(ends_at=timezone.now() - timedelta(seconds=5))
    permit_services.complete_due_permits()
    assert follow_flights(now=timezone.now())["contacts_lost"] == 0


def test_hostile_tracks_are_not_contact_lost(sensor_api):
    sensor_api(report("intruder", at=timezone.now() - timedelta(seconds=30)))
    assert follow_flights(now=timezone.now())["contacts_lost"] == 0


# --- persistent nonconformance ------------------------------------------------------------


def test_a_drone_61_s_outside_its_volume_is_escalated_once_by_the_clock(fly, flying_permit):
    outside = east_of_edge(100)  # within NONCONFORMING_MAX_EXCURSION_M: only time escalates it
    assert fly(61, lon=outside) == "nonconforming"
    assert fly(5, lon=outside) == "nonconforming"
    [warning] = notifications("track.nonconforming")
    assert warning.severity == "warning"
    assert not escalations()

    now = timezone.now()
    assert follow_flights(now=now)["escalated"] == 1
    assert follow_flights(now=now + timedelta(seconds=5))["escalated"] == 0
    assert fly(0, lon=outside) == "nonconforming"

    [escalated] = escalations()
    assert escalated.severity == "critical"
    assert escalated.permit_id == flying_permit.pk
    assert escalated.payload["escalation"]["reason"] == "grace"
    assert escalated.payload["escalation"]["outside_s"] == pytest.approx(61, abs=2)
    assert 90 < escalated.payload["escalation"]["farthest_m"] < 110
    assert len(notifications("track.hostile")) == 1
    excursion = PermitExcursion.objects.get()
    assert (excursion.permit, excursion.escalation_reason, excursion.ended_at) == (flying_permit, "grace", None)


def test_a_drone_still_outside_after_the_grace_is_escalated_by_the_report_that_shows_it(fly):
    fly(70, lon=east_of_edge(100))
    fly(35, lon=east_of_edge(100))
    assert not escalations()
    fly(0, lon=east_of_edge(100))
    [escalated] = escalations()
    assert escalated.payload["escalation"]["reason"] == "grace"
    assert follow_flights(now=timezone.now())["escalated"] == 0


def test_a_drone_far_from_its_volume_is_escalated_at_once(fly, settings):
    fly(0, lon=east_of_edge(settings.NONCONFORMING_MAX_EXCURSION_M + 50))
    [escalated] = escalations()
    assert escalated.payload["escalation"]["reason"] == "distance"
    assert len(notifications("track.nonconforming")) == 1


def test_a_drone_climbing_far_above_its_band_is_escalated_at_once(fly):
    fly(0, altitude_m=120 + 200)
    [escalated] = escalations()
    assert escalated.payload["escalation"]["reason"] == "distance"
    assert escalated.payload["escalation"]["farthest_m"] == pytest.approx(200, abs=1)


def test_a_drone_inside_a_zone_it_is_not_approved_for_is_escalated_at_once(fly, make_zone):
    zone = make_zone(kind="restricted", area=square(EAST_EDGE + 0.003, CENTRE_LAT, 0.002))
    assert fly(0, lon=east_of_edge(120)) == "nonconforming"
    [escalated] = escalations()
    assert escalated.payload["escalation"]["reason"] == "zone"
    assert escalated.payload["zone"] == {"name": zone.name, "kind": "restricted"}


def test_outside_its_volume_but_inside_the_restricted_zone_it_was_approved_for_is_not_escalated_at_once(
    make_permit, sensor_api, make_zone
):
    # The zone covers the permit's square and 0.003° (~280 m) east of it: a senior officer approved it.
    make_zone(kind="restricted", area=square(CENTRE_LON + 0.002, CENTRE_LAT, 0.006))
    permit = make_permit(state=State.ACTIVE)
    at = timezone.now()
    outcome = sensor_api(report("drone", remote_id=permit.aircraft.remote_id, lon=east_of_edge(100), at=at))
    assert outcome[0]["classification"] == "nonconforming"
    assert outcome[0]["zone"] is not None
    assert not escalations()
    assert len(notifications("track.nonconforming")) == 1


def test_back_inside_before_the_grace_is_a_note_and_the_excursion_stays_on_the_permit(
    fly, flying_permit, officer, client_for
):
    assert fly(40, lon=east_of_edge(60)) == "nonconforming"
    assert fly(30, lon=east_of_edge(110)) == "nonconforming"
    assert fly(10) == "authorized"
    assert follow_flights(now=timezone.now())["escalated"] == 0
    assert not escalations()

    [note] = notifications("track.conforming_again")
    assert note.severity == "info"
    assert note.payload["excursion"]["duration_s"] == pytest.approx(30, abs=1)
    assert 100 < note.payload["excursion"]["farthest_m"] < 120
    assert note.payload["excursion"]["escalated"] is False

    fly(5, lon=east_of_edge(50))
    fly(0)
    record = client_for(officer).get(f"/api/v1/permits/{flying_permit.pk}/").json()["conformance"]
    assert record["excursions"] == 2
    assert record["escalated"] == 0
    assert record["longest_s"] == pytest.approx(30, abs=1)
    assert 100 < record["farthest_m"] < 120
    assert record["outside_since"] is None
    assert record["excursions_last_hour"] == 2
    assert len(notifications("track.conforming_again")) == 2


def test_an_escalated_drone_back_inside_is_a_warning_note(fly):
    fly(70, lon=east_of_edge(100))
    fly(40, lon=east_of_edge(100))
    fly(10, lon=east_of_edge(100))
    follow_flights(now=timezone.now())
    assert len(escalations()) == 1
    fly(0)
    [note] = notifications("track.conforming_again")
    assert note.severity == "warning"
    assert note.payload["excursion"]["escalated"] is True


def test_flying_on_after_the_window_ended_is_escalated_once_after_the_grace(sensor_api, flying_permit, settings):
    remote_id = flying_permit.aircraft.remote_id
    now = timezone.now()
    ends_at = now - timedelta(seconds=100)
    FlightPermit.objects.filter(pk=flying_permit.pk).update(ends_at=ends_at, updated_at=now)
    permit_services.complete_due_permits()
    past_end = settings.TRACK_TIME_TOLERANCE_S

    def at(seconds_after_end):
        return sensor_api(report("drone", remote_id=remote_id, at=ends_at + timedelta(seconds=seconds_after_end)))

    assert at(-10)[0]["classification"] == "authorized"
    assert at(past_end + 1)[0]["classification"] == "nonconforming"
    [warning] = notifications("track.nonconforming")
    assert warning.payload["permit"] == {"reference": flying_permit.reference}
    assert at(past_end + 30)[0]["classification"] == "nonconforming"
    assert not escalations()
    assert at(past_end + 62)[0]["classification"] == "unauthorized"
    # Escalated by the grace or turned unauthorized: one hostile alert, whichever came first.
    assert len(notifications("track.hostile")) == 1
    excursion = PermitExcursion.objects.get()
    assert excursion.outside_window is True
    assert excursion.end_reason == "reclassified"


def test_an_escalated_flight_whose_permit_is_then_revoked_is_not_announced_hostile_twice(
    fly, flying_permit, officer, settings
):
    fly(0, lon=east_of_edge(settings.NONCONFORMING_MAX_EXCURSION_M + 50))
    assert len(escalations()) == 1
    permit_services.revoke_permit(permit_id=flying_permit.pk, officer=officer, reason="Strayed towards the palace")
    assert fly(0, lon=east_of_edge(settings.NONCONFORMING_MAX_EXCURSION_M + 60)) == "unauthorized"
    # Hostile already, by its escalation: the revocation is announced (permit.revoked), not a second hostile.
    assert len(notifications("track.hostile")) == 1
    assert PermitExcursion.objects.get().end_reason == "reclassified"


def test_the_excursion_of_a_drone_no_longer_seen_is_closed_when_it_was_last_seen(fly, settings):
    fly(settings.TRACK_ACTIVE_S + 10, lon=east_of_edge(60))
    fly(settings.TRACK_ACTIVE_S + 5, lon=east_of_edge(60))
    assert follow_flights(now=timezone.now())["excursions_closed"] == 1
    excursion = PermitExcursion.objects.get()
    assert excursion.end_reason == "sight_lost"
    assert excursion.ended_at == Track.objects.get().last_observed_at
    assert excursion.duration_s() == pytest.approx(5, abs=0.5)


def test_the_tracks_api_shows_an_escalated_flight_as_hostile(fly, air_defense_user, client_for, settings):
    fly(0, lon=east_of_edge(settings.NONCONFORMING_MAX_EXCURSION_M + 50))
    [track] = client_for(air_defense_user).get(TRACKS).json()["results"]
    assert (track["classification"], track["escalated"], track["hostile"]) == ("nonconforming", True, True)


def test_the_permit_page_shows_its_conformance_record(fly, flying_permit, officer, browser_for):
    fly(40, lon=east_of_edge(60))
    fly(10)
    page = browser_for(officer).get(f"/permits/{flying_permit.pk}/").content.decode()
    assert 'id="conformance"' in page
    assert "1 excursion outside the volume or window" in page
    assert "longest 30 s" in page


def test_the_operator_is_told_once_when_their_flight_leaves_its_volume(fly, flying_permit):
    assert fly(30) == "authorized"
    assert fly(20, lon=east_of_edge(300)) == "nonconforming"
    assert fly(10, lon=east_of_edge(400)) == "nonconforming"  # the same excursion: not told again
    [notice] = OperatorNotice.objects.filter(kind=OperatorNotice.Kind.FLIGHT_NONCONFORMING)
    assert notice.operator_id == flying_permit.operator_id
    assert flying_permit.reference in notice.text and "outside its approved volume" in notice.text
    assert notice.link == f"/permits/{flying_permit.pk}/"
    assert PermitExcursion.objects.filter(permit=flying_permit).count() == 1
