"""Sensor reports and hostile classification: every classification and its edges, one alert per
track per change, bad batches, the tracks API — against PostgreSQL, through the real API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.models import Aircraft
from airspace.registry.services import suspend_aircraft
from airspace.surveillance.models import PositionReport, Track
from airspace.zones.models import RestrictedZone
from permits import services as permit_services
from permits.models import FlightPermit, State
from tests.conftest import square
from tests.surveillance.reports import (
    CENTRE_LAT,
    CENTRE_LON,
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
        return response.json()

    return post


def classify_one(sensor_api, **kwargs):
    return sensor_api(report(**kwargs))["results"][0]


@pytest.fixture
def active_permit(make_permit):
    """An active permit (window: a minute ago to an hour ahead) over the default square, 0-120 m."""
    return make_permit(state=State.ACTIVE)


def hostile_alerts():
    return list(AirDefenseNotification.objects.filter(kind="track.hostile").order_by("created_at"))


# --- each classification ------------------------------------------------------------------


def test_registered_aircraft_inside_its_active_permit_is_authorized(sensor_api, active_permit):
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id)
    assert outcome["classification"] == "authorized"
    assert outcome["permit"] == active_permit.reference
    assert not AirDefenseNotification.objects.filter(kind__startswith="track.").exists()


def test_approved_permit_whose_window_has_started_authorizes_before_the_clock_activates_it(sensor_api, make_permit):
    permit = make_permit(state=State.APPROVED)
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1), updated_at=now
    )
    assert classify_one(sensor_api, remote_id=permit.aircraft.remote_id)["classification"] == "authorized"


def test_serial_number_identifies_the_aircraft_too(sensor_api, active_permit):
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.serial_number)
    assert outcome["classification"] == "authorized"


def test_a_remote_id_wins_over_another_aircraft_with_that_serial_number(sensor_api, active_permit, make_aircraft):
    # Drones broadcast their Remote ID: when it equals another drone's serial, the broadcaster is meant.
    make_aircraft(active_permit.operator, remote_id="RID-OTHER", serial_number=active_permit.aircraft.remote_id)
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id)
    assert (outcome["classification"], outcome["permit"]) == ("authorized", active_permit.reference)


@pytest.mark.parametrize(
    ("metres_east", "expected"),
    [(-1, "authorized"), (0, "authorized"), (15, "authorized"), (40, "nonconforming"), (5000, "nonconforming")],
)
def test_boundary_of_the_volume_with_its_tolerance(sensor_api, active_permit, metres_east, expected):
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id, lon=east_of_edge(metres_east))
    assert outcome["classification"] == expected


@pytest.mark.parametrize(
    ("altitude_m", "expected"),
    [(0, "authorized"), (-10, "authorized"), (-11, "nonconforming"), (120, "authorized"), (130, "authorized")]
    + [(130.5, "nonconforming"), (400, "nonconforming")],
)
def test_altitude_band_edges_with_tolerance(sensor_api, active_permit, altitude_m, expected):
    # The band is 0-120 m; the altitude tolerance is 10 m.
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id, altitude_m=altitude_m)
    assert outcome["classification"] == expected


@pytest.mark.parametrize(
    ("seconds_from_edge", "expected"), [(-31, "nonconforming"), (-29, "authorized"), (0, "authorized")]
)
def test_window_start_edge_with_tolerance(sensor_api, active_permit, seconds_from_edge, expected):
    at = active_permit.starts_at + timedelta(seconds=seconds_from_edge)
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id, at=at)
    assert outcome["classification"] == expected


@pytest.mark.parametrize(
    ("seconds_after_end", "expected"), [(0, "authorized"), (29, "authorized"), (31, "nonconforming")]
)
def test_window_end_edge_with_tolerance(sensor_api, make_permit, seconds_after_end, expected):
    permit = make_permit(state=State.ACTIVE)
    now = timezone.now()
    ends_at = now - timedelta(minutes=2)
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=ends_at, updated_at=now
    )
    at = ends_at + timedelta(seconds=seconds_after_end)
    assert classify_one(sensor_api, remote_id=permit.aircraft.remote_id, at=at)["classification"] == expected


def test_a_revocation_committed_with_an_older_timestamp_still_reaches_the_index(
    sensor_api, active_permit, make_permit, officer
):
    pending = make_permit(state=State.UNDER_REVIEW)
    newest = make_permit(state=State.APPROVED)
    assert classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id)["classification"] == "authorized"

    # One permit leaves the permits in effect and another enters (their count is unchanged), both in
    # transactions stamped before the newest permit's but committed after it.
    permit_services.revoke_permit(permit_id=active_permit.pk, officer=officer, reason="Presidential movement")
    permit_services.approve_permit(permit_id=pending.pk, officer=officer)
    FlightPermit.objects.filter(pk__in=[active_permit.pk, pending.pk]).update(
        updated_at=newest.updated_at - timedelta(seconds=1)
    )

    assert classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id)["classification"] == "unauthorized"


@pytest.mark.parametrize(
    ("seconds_after_end", "expected"),
    [(-10, "authorized"), (29, "authorized"), (60, "nonconforming"), (89, "nonconforming"), (95, "unauthorized")],
)
def test_window_end_edge_once_the_clock_has_completed_the_permit(sensor_api, make_permit, seconds_after_end, expected):
    # The clock completes a permit within seconds of its end; a report of the flight's last seconds
    # that arrives after that tick is still covered (the permits in effect at the report's time).
    # Past the time tolerance (30 s) the flight is overstaying: nonconforming for the grace (60 s),
    # as a flight outside its volume, then unauthorized.
    permit = make_permit(state=State.ACTIVE)
    now = timezone.now()
    ends_at = now - timedelta(seconds=100)
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=ends_at, updated_at=now
    )
    assert permit_services.complete_due_permits() == 1
    at = ends_at + timedelta(seconds=seconds_after_end)
    outcome = classify_one(sensor_api, remote_id=permit.aircraft.remote_id, at=at)
    assert outcome["classification"] == expected
    assert len(hostile_alerts()) == (expected == "unauthorized")


def test_another_aircrafts_permit_does_not_cover_this_one(sensor_api, active_permit, make_aircraft):
    stranger = make_aircraft(active_permit.operator)
    outcome = classify_one(sensor_api, remote_id=stranger.remote_id)
    assert outcome["classification"] == "unauthorized"


def test_revoked_permit_makes_the_flight_unauthorized(sensor_api, active_permit, officer):
    remote_id = active_permit.aircraft.remote_id
    assert classify_one(sensor_api, remote_id=remote_id)["classification"] == "authorized"
    permit_services.revoke_permit(permit_id=active_permit.pk, officer=officer, reason="Presidential movement")
    assert classify_one(sensor_api, remote_id=remote_id)["classification"] == "unauthorized"
    [alert] = hostile_alerts()
    assert alert.payload["aircraft"]["operator"] == active_permit.operator.name


def test_suspended_aircraft_is_unauthorized_despite_its_permit(sensor_api, active_permit, officer):
    suspend_aircraft(aircraft_id=active_permit.aircraft_id, officer=officer)
    outcome = classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id)
    assert outcome["classification"] == "unauthorized"


def test_pending_aircraft_is_unauthorized(sensor_api, operator_user, make_aircraft):
    aircraft = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    assert classify_one(sensor_api, remote_id=aircraft.remote_id)["classification"] == "unauthorized"


def test_registered_aircraft_without_a_permit_is_unauthorized_and_its_owner_named(
    sensor_api, operator_user, make_aircraft
):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    assert classify_one(sensor_api, remote_id=aircraft.remote_id)["classification"] == "unauthorized"
    [alert] = hostile_alerts()
    assert alert.payload["aircraft"] == {
        "serial_number": aircraft.serial_number,
        "remote_id": aircraft.remote_id,
        "status": "registered",
        "operator": aircraft.operator.name,
    }


def test_approved_permit_for_later_today_does_not_cover_a_flight_now(sensor_api, make_permit):
    permit = make_permit(state=State.APPROVED)  # window starts in two hours
    outcome = classify_one(sensor_api, remote_id=permit.aircraft.remote_id)
    assert outcome["classification"] == "nonconforming"
    assert outcome["permit"] == permit.reference


@pytest.mark.parametrize("remote_id", [None, "", "   ", "NOT-IN-THE-REGISTRY"])
def test_no_or_unknown_identifier_is_unregistered(sensor_api, remote_id):
    body = report()
    if remote_id is not None:
        body["remote_id"] = remote_id
    [outcome] = sensor_api(body)["results"]
    assert outcome["classification"] == "unregistered"
    [alert] = hostile_alerts()
    assert alert.payload["aircraft"] is None
    assert alert.payload["track"]["classification"] == "unregistered"


def test_the_answer_keeps_the_batch_order(sensor_api, active_permit):
    remote_id = active_permit.aircraft.remote_id
    batch = [
        report("a", remote_id=remote_id),
        report("b"),
        report("c", remote_id=remote_id, altitude_m=900),
        report("d", remote_id="UNKNOWN-7"),
    ]
    results = sensor_api(*batch)["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["sensor_track_id"] for r in results] == ["a", "b", "c", "d"]
    # a and c are the same drone (one Remote ID, one track): its latest state is what the track holds.
    assert [r["classification"] for r in results] == ["authorized", "unregistered", "nonconforming", "unregistered"]
    assert results[0]["track"] == results[2]["track"]


# --- zones and severity -------------------------------------------------------------------


def test_hostile_inside_a_prohibited_zone_is_critical_and_names_the_zone(sensor_api, make_zone):
    zone = make_zone(name="Green Zone", area=square(44.39, 33.31), max_altitude_m=1000)
    outcome = classify_one(sensor_api, lon=44.39, lat=33.31, altitude_m=100)
    assert outcome == {**outcome, "classification": "unregistered", "zone": "Green Zone"}
    [alert] = hostile_alerts()
    assert alert.severity == "critical"
    assert alert.payload["zone"] == {"name": zone.name, "kind": "prohibited"}


def test_hostile_above_a_zones_ceiling_is_a_warning(sensor_api, make_zone):
    make_zone(area=square(44.39, 33.31), max_altitude_m=200)
    outcome = classify_one(sensor_api, lon=44.39, lat=33.31, altitude_m=250)
    assert outcome["zone"] is None
    [alert] = hostile_alerts()
    assert alert.severity == "warning"


def test_hostile_inside_a_restricted_zone_is_critical(sensor_api, make_zone):
    make_zone(kind=RestrictedZone.Kind.RESTRICTED, area={"type": "Point", "coordinates": [44.39, 33.31]}, radius_m=500)
    classify_one(sensor_api, lon=44.392, lat=33.311)
    [alert] = hostile_alerts()
    assert alert.severity == "critical"


def test_hostile_track_entering_a_zone_is_raised_to_critical_once(sensor_api, make_zone):
    make_zone(name="Green Zone", area=square(44.39, 33.31), max_altitude_m=1000)
    now = timezone.now()
    outside = {"lon": 44.50, "lat": 33.31}
    inside = {"lon": 44.39, "lat": 33.31}
    sensor_api(report("ghost", at=now - timedelta(seconds=30), **outside))
    sensor_api(report("ghost", at=now - timedelta(seconds=20), **inside))
    sensor_api(report("ghost", at=now - timedelta(seconds=10), **inside))
    assert [(a.severity, a.payload["zone"]) for a in hostile_alerts()] == [
        ("warning", None),
        ("critical", {"name": "Green Zone", "kind": "prohibited"}),
    ]


def test_overlapping_zones_name_the_prohibited_one(sensor_api, make_zone):
    make_zone(name="Outer restricted", kind=RestrictedZone.Kind.RESTRICTED, area=square(44.39, 33.31, 0.05))
    make_zone(name="Inner prohibited", area=square(44.39, 33.31, 0.01))
    make_zone(name="Another restricted", kind=RestrictedZone.Kind.RESTRICTED, area=square(44.39, 33.31, 0.02))
    assert classify_one(sensor_api, lon=44.39, lat=33.31)["zone"] == "Inner prohibited"


def test_deactivated_zone_no_longer_counts(sensor_api, make_zone, officer, client_for):
    zone = make_zone(area=square(44.39, 33.31))
    assert classify_one(sensor_api, track="x", lon=44.39, lat=33.31)["zone"] == zone.name
    assert client_for(officer).delete(f"/api/v1/zones/{zone.pk}/").status_code == 204
    assert classify_one(sensor_api, track="x", lon=44.39, lat=33.31)["zone"] is None


def test_nonconforming_raises_a_warning_of_its_own_kind(sensor_api, active_permit):
    # 80 m above its band: within NONCONFORMING_MAX_EXCURSION_M, so not escalated at once.
    classify_one(sensor_api, remote_id=active_permit.aircraft.remote_id, altitude_m=200)
    [alert] = AirDefenseNotification.objects.filter(kind__startswith="track.")
    assert (alert.kind, alert.severity) == ("track.nonconforming", "warning")
    assert alert.payload["permit"] == {"reference": active_permit.reference}
    assert alert.payload["track"]["position"]["altitude_m"] == 200


# --- one alert per track per change -------------------------------------------------------


def test_the_same_classification_again_raises_nothing(sensor_api):
    for _ in range(3):
        sensor_api(report("ghost"), report("ghost", lat=CENTRE_LAT + 0.001))
    assert len(hostile_alerts()) == 1
    track = Track.objects.get()
    assert track.reports.count() == 6


def test_each_change_of_classification_raises_one_alert(sensor_api, active_permit):
    remote_id = active_permit.aircraft.remote_id
    outside = east_of_edge(100)  # not far enough to be escalated (NONCONFORMING_MAX_EXCURSION_M)
    sequence = [
        (CENTRE_LON, "authorized"),
        (outside, "nonconforming"),
        (outside, "nonconforming"),
        (CENTRE_LON, "authorized"),
        (outside, "nonconforming"),
    ]
    for lon, expected in sequence:
        assert classify_one(sensor_api, remote_id=remote_id, lon=lon)["classification"] == expected
    kinds = list(
        AirDefenseNotification.objects.filter(track__isnull=False, kind__in=["track.nonconforming", "track.hostile"])
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == ["track.nonconforming", "track.nonconforming"]


def test_unauthorized_then_revoked_then_unregistered_are_separate_changes(sensor_api, operator_user, make_aircraft):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    classify_one(sensor_api, track="one", remote_id=aircraft.remote_id)
    classify_one(sensor_api, track="two")
    classify_one(sensor_api, track="two")
    assert [a.payload["track"]["classification"] for a in hostile_alerts()] == ["unauthorized", "unregistered"]


def test_a_track_seen_again_after_it_went_inactive_is_announced_again(
    sensor_api, operator_user, make_aircraft, settings
):
    # The same drone without a permit yesterday and today; a radar track number reused hours later.
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    now = timezone.now()
    classify_one(sensor_api, track="a", remote_id=aircraft.remote_id, at=now - timedelta(hours=20))
    classify_one(sensor_api, track="b", remote_id=aircraft.remote_id, at=now)
    classify_one(sensor_api, track="r1-17", at=now - timedelta(hours=3))
    classify_one(sensor_api, track="r1-17", at=now - timedelta(seconds=settings.TRACK_ACTIVE_S - 1))
    classify_one(sensor_api, track="r1-17", at=now)  # seen within TRACK_ACTIVE_S: the same sighting
    alerts = [(a.payload["track"]["identity"], a.payload["track"]["classification"]) for a in hostile_alerts()]
    rid, radar = f"rid:{aircraft.remote_id}", Track.objects.get(sensor_track_id="r1-17").identity
    assert alerts == [(rid, "unauthorized"), (rid, "unauthorized"), (radar, "unregistered"), (radar, "unregistered")]


def test_a_late_report_is_kept_but_does_not_move_the_track(sensor_api):
    now = timezone.now()
    sensor_api(report("late", lat=33.30, at=now))
    sensor_api(report("late", lat=33.20, at=now - timedelta(seconds=30)))
    track = Track.objects.get()
    assert track.last_lat == 33.30
    assert track.last_observed_at == now
    assert track.reports.count() == 2


def test_remote_id_is_one_track_whichever_sensor_sees_it(client_for, make_user):
    radar, rf = make_user(roles.SENSOR), make_user(roles.SENSOR)
    for sensor in (radar, rf):
        body = {"reports": [report(f"{sensor.username}-9", remote_id="DRONE-XYZ")]}
        assert client_for(sensor).post(REPORTS, body, format="json").status_code == 200
    track = Track.objects.get()
    assert track.identity == "rid:DRONE-XYZ"
    assert track.sensor.user == rf
    assert len(hostile_alerts()) == 1


def test_reports_are_kept_as_evidence(sensor_api, active_permit):
    remote_id = active_permit.aircraft.remote_id
    sensor_api(report("e1", remote_id=remote_id, speed_mps=12.5, heading_deg=270), report("e2"))
    stored = {r.sensor_track_id: r for r in PositionReport.objects.all()}
    assert stored["e1"].classification == "authorized"
    assert stored["e1"].permit_id == active_permit.pk
    assert (stored["e1"].speed_mps, stored["e1"].heading_deg, stored["e1"].remote_id) == (12.5, 270, remote_id)
    assert stored["e2"].classification == "unregistered"
    assert stored["e2"].received_at >= stored["e2"].observed_at


def test_a_permit_approved_after_a_batch_is_seen_by_the_next(sensor_api, make_permit, officer):
    permit = make_permit(state=State.UNDER_REVIEW)
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    remote_id = permit.aircraft.remote_id
    assert classify_one(sensor_api, remote_id=remote_id)["classification"] == "unauthorized"
    permit_services.approve_permit(permit_id=permit.pk, officer=officer)
    assert classify_one(sensor_api, remote_id=remote_id)["classification"] == "authorized"


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 95}, "lat"),
        ({"lon": -181}, "lon"),
        ({"lat": "33.3"}, "lat"),
        ({"lat": True}, "lat"),
        ({"lat": None}, "lat"),
        ({"altitude_m": 50_000}, "altitude_m"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"observed_at": "2026-11-24T10:00:00"}, "observed_at"),
        ({"observed_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "observed_at"),
        ({"observed_at": (timezone.now() - timedelta(days=3)).isoformat()}, "observed_at"),
        ({"sensor_track_id": ""}, "sensor_track_id"),
        ({"sensor_track_id": "x" * 101}, "sensor_track_id"),
        ({"remote_id": 12345}, "remote_id"),
        ({"speed_mps": -1}, "speed_mps"),
        ({"heading_deg": 400}, "heading_deg"),
        # PostgreSQL text cannot hold NUL: stored, it failed the whole batch with a 500.
        ({"sensor_track_id": "r1\x0017"}, "sensor_track_id"),
        ({"remote_id": "RID\x00"}, "remote_id"),
    ],
)
def test_a_bad_report_is_a_400_naming_its_index_and_field_and_nothing_is_stored(sensor_api, change, field):
    bad = {**report("bad"), **change}
    body = sensor_api(report("good-0"), report("good-1"), bad, report("good-3"), expect=400)
    assert list(body["reports"]) == ["2"]
    assert list(body["reports"]["2"]) == [field]
    assert not Track.objects.exists()
    assert not PositionReport.objects.exists()
    assert not AirDefenseNotification.objects.exists()


@pytest.mark.parametrize("hours", [14, 16, 23])
def test_a_time_with_any_iso_offset_is_taken_and_kept_in_utc(sensor_api, hours):
    # ISO 8601 offsets go to ±23:59, PostgreSQL's stop at ±15:59: beyond, the batch was a 500.
    now = timezone.now()
    at = now.astimezone(timezone.get_fixed_timezone(hours * 60 + 30))
    assert classify_one(sensor_api, at=at)["classification"] == "unregistered"
    assert PositionReport.objects.get().observed_at == now
    assert AirDefenseNotification.objects.get().payload["track"]["position"]["observed_at"] == now.isoformat()


def test_a_missing_field_is_named(sensor_api):
    incomplete = report()
    del incomplete["altitude_m"]
    body = sensor_api(incomplete, expect=400)
    assert body["reports"]["0"] == {"altitude_m": ["This field is required."]}


def test_every_bad_report_is_named(sensor_api):
    body = sensor_api(report(lat=95), report(), "not an object", report(lon=200), expect=400)
    assert sorted(body["reports"]) == ["0", "2", "3"]


@pytest.mark.parametrize(
    "body",
    [{}, {"reports": "many"}, {"reports": []}, {"reports": {"0": {}}}, ["not", "an", "object"]],
)
def test_a_malformed_batch_is_a_400_on_reports(sensor_user, client_for, body):
    response = client_for(sensor_user).post(REPORTS, body, format="json")
    assert response.status_code == 400
    assert "reports" in response.json() or "detail" in response.json()


def test_malformed_json_is_a_400(sensor_user, client_for):
    response = client_for(sensor_user).post(REPORTS, "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("path", [REPORTS, "/api/v1/permits/"])
def test_a_body_over_the_size_limit_is_a_413_before_it_is_parsed(sensor_user, operator_user, client_for, path):
    client = client_for(sensor_user if path == REPORTS else operator_user)
    padding = "x" * (3 * 1024 * 1024)  # past Django's DATA_UPLOAD_MAX_MEMORY_SIZE of 2.5 MB
    response = client.post(path, f'{{"reports": [], "padding": "{padding}"}}', content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_a_batch_over_the_limit_is_refused(sensor_api, settings):
    settings.TRACK_REPORT_BATCH_MAX = 3
    body = sensor_api(*[report(f"t{i}") for i in range(4)], expect=400)
    assert "At most 3" in body["reports"][0]


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.COMMAND_STAFF, roles.AIR_DEFENSE])
def test_only_sensors_post_reports(make_user, client_for, role):
    response = client_for(make_user(role)).post(REPORTS, {"reports": [report()]}, format="json")
    assert response.status_code == 403
    assert not Track.objects.exists()


def test_a_deactivated_sensor_is_refused(sensor_user, client_for):
    sensor_user.sensor.active = False
    sensor_user.sensor.save()
    assert client_for(sensor_user).post(REPORTS, {"reports": [report()]}, format="json").status_code == 403


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.SENSOR])
def test_operators_and_sensors_do_not_read_tracks(make_user, client_for, role):
    assert client_for(make_user(role)).get(TRACKS).status_code == 403


@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.SENIOR_OFFICER, roles.AIR_DEFENSE])
def test_staff_and_air_defense_read_tracks_with_filters(sensor_api, make_user, client_for, active_permit, role):
    now = timezone.now()
    sensor_api(
        report("friendly", remote_id=active_permit.aircraft.remote_id),
        report("ghost", lon=44.50, lat=33.40),
        report("old", lon=44.51, lat=33.41, at=now - timedelta(minutes=10)),
    )
    client = client_for(make_user(role))

    def identities(query=""):
        response = client.get(TRACKS + query)
        assert response.status_code == 200, response.content
        return sorted(t["sensor_track_id"] for t in response.json()["results"])

    assert identities() == ["friendly", "ghost", "old"]
    assert identities("?classification=unregistered") == ["ghost", "old"]
    assert identities("?classification=authorized&classification=nonconforming") == ["friendly"]
    assert identities("?active=true") == ["friendly", "ghost"]
    assert identities("?active=false") == ["old"]
    assert identities("?bbox=44.45,33.35,44.55,33.45") == ["ghost", "old"]
    [friendly] = client.get(TRACKS + "?classification=authorized").json()["results"]
    assert friendly["permit"] == active_permit.reference
    assert friendly["operator"] == active_permit.operator.name
    assert friendly["hostile"] is False


@pytest.mark.parametrize(
    "query", ["?bbox=1,2,3", "?bbox=a,b,c,d", "?bbox=50,0,40,10", "?classification=hostile", "?active=maybe"]
)
def test_bad_track_filters_are_a_400_naming_the_field(client_for, air_defense_user, query):
    response = client_for(air_defense_user).get(TRACKS + query)
    assert response.status_code == 400
    assert query[1:].split("=")[0] in response.json()
