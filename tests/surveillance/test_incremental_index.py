"""A permit or zone change is applied to each process's airspace index (the change log), not rebuilt
from every permit in effect: the index it leads to must classify exactly as one built from scratch,
whatever the changes, and a process that cannot follow the log must rebuild."""

import itertools
import logging
import random
import time
from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from airspace.geometry import parse_area
from airspace.registry.models import Aircraft
from airspace.surveillance import airspace_index
from airspace.surveillance.airspace_index import (
    aircraft_by_identifier,
    airspace_version,
    build_index,
    current_index,
    note_airspace_change,
)
from airspace.surveillance.classification import classify, excursions
from airspace.surveillance.models import AirspaceChange, AirspaceVersion
from airspace.surveillance.reports import parse_report_batch
from airspace.zones.models import RestrictedZone
from permits.models import FlightPermit, State
from tests.conftest import square

pytestmark = pytest.mark.django_db

# A small piece of sky, so that the random permits and zones overlap a lot.
WEST, SOUTH, SPAN = 44.00, 33.00, 0.05
REBUILT = "Rebuilt the airspace index"
_zone_numbers = itertools.count(1)


@pytest.fixture
def sky(make_user, make_aircraft):
    owner = make_user("operator", organization="Index Aerial")
    operator = owner.operator_membership.operator
    fleet = [make_aircraft(operator, status=Aircraft.Status.REGISTERED) for _ in range(6)]
    fleet.append(make_aircraft(operator, status=Aircraft.Status.SUSPENDED))
    return owner, operator, fleet


def random_area(rng):
    lon, lat = WEST + rng.uniform(0, SPAN), SOUTH + rng.uniform(0, SPAN)
    if rng.random() < 0.3:
        return parse_area({"type": "Point", "coordinates": [lon, lat]}, rng.uniform(100, 800))
    return parse_area(square(lon, lat, half_side_deg=rng.uniform(0.001, 0.008)), None)


def new_permit(rng, sky, state, *, ends_at=None):
    owner, operator, fleet = sky
    area = random_area(rng)
    now = timezone.now()
    if ends_at is None:
        starts_at = now + timedelta(minutes=rng.uniform(-90, 30))
        ends_at = starts_at + timedelta(minutes=rng.uniform(10, 120))
    else:
        starts_at = ends_at - timedelta(minutes=30)
    low = rng.choice([0, 30, 60])
    return FlightPermit.objects.create(
        operator=operator,
        aircraft=rng.choice(fleet),
        created_by=owner,
        purpose="survey",
        area=area.geojson,
        radius_m=area.radius_m,
        boundary=area.boundary_geojson,
        min_altitude_m=low,
        max_altitude_m=low + rng.choice([50, 120]),
        starts_at=starts_at,
        ends_at=ends_at,
        state=state,
    )


def new_zone(rng):
    area = random_area(rng)
    return RestrictedZone.objects.create(
        name=f"Random zone {next(_zone_numbers)}",
        kind=rng.choice(list(RestrictedZone.Kind)),
        area=area.geojson,
        radius_m=area.radius_m,
        boundary=area.boundary_geojson,
        min_altitude_m=rng.choice([0, 40]),
        max_altitude_m=rng.choice([100, 3000]),
    )


def random_change(rng, sky, step):
    """One change, made the way the services and the admin make it (a model save or delete)."""
    permits = list(FlightPermit.objects.all())
    zones = list(RestrictedZone.objects.all())
    choice = rng.random()
    if choice < 0.30 or not permits:
        new_permit(rng, sky, rng.choice([State.APPROVED, State.ACTIVE, State.COMPLETED, State.SUBMITTED]))
    elif choice < 0.55:
        permit = rng.choice(permits)
        if permit.state == State.APPROVED:
            rng.choice(
                [
                    permit.activate,
                    lambda: permit.revoke(reason="random"),
                    lambda: permit.cancel_for_transfer(reason="random"),
                ]
            )()
        elif permit.state == State.ACTIVE:
            rng.choice([permit.complete, lambda: permit.revoke(reason="random")])()
        else:
            permit.description = f"edited at step {step}"
        permit.save()
    elif choice < 0.65:
        rng.choice(permits).delete()
    elif choice < 0.80 or not zones:
        new_zone(rng)
    elif choice < 0.95:
        zone = rng.choice(zones)
        area = random_area(rng)
        zone.boundary, zone.area, zone.radius_m = area.boundary_geojson, area.geojson, area.radius_m
        zone.max_altitude_m = rng.choice([80, 3000])
        zone.active = rng.random() < 0.8
        zone.save()
    else:
        rng.choice(zones).delete()


def random_reports(rng, count=400):
    identifiers = list(Aircraft.objects.values_list("remote_id", flat=True)) + ["RID-NOBODY", None]
    now = timezone.now()
    reports = []
    for n in range(count):
        report = {
            "sensor_track_id": f"t{n}",
            "observed_at": (now - timedelta(minutes=rng.uniform(0, 100))).isoformat(),
            "lon": WEST - 0.005 + rng.uniform(0, SPAN + 0.01),
            "lat": SOUTH - 0.005 + rng.uniform(0, SPAN + 0.01),
            "altitude_m": rng.uniform(0, 200),
        }
        identifier = rng.choice(identifiers)
        if identifier:
            report["remote_id"] = identifier
        reports.append(report)
    return parse_report_batch({"reports": reports}, now=now)


def judged(batch, index, registry):
    """What the index says of each report, by permit and zone id (not position in the index)."""
    outcome = classify(
        batch,
        index,
        registry,
        altitude_tolerance_m=settings.TRACK_ALTITUDE_TOLERANCE_M,
        time_tolerance_s=settings.TRACK_TIME_TOLERANCE_S,
        overstay_s=600,
    )
    strayed = excursions(batch, index, outcome, time_tolerance_s=settings.TRACK_TIME_TOLERANCE_S)
    return (
        outcome.codes.tolist(),
        [index.permits[at].id if at >= 0 else None for at in outcome.permit.tolist()],
        [index.zones[at].id if at >= 0 else None for at in outcome.zone.tolist()],
        [None if np.isnan(metres) else round(metres, 6) for metres in strayed.metres.tolist()],
    )


def assert_same_as_full_build(rng, index):
    full = build_index(index.version)
    assert index.permit_ids.tolist() == full.permit_ids.tolist()
    assert index.zone_ids.tolist() == full.zone_ids.tolist()
    batch = random_reports(rng)
    registry = aircraft_by_identifier(batch.remote_ids)
    assert judged(batch, index, registry) == judged(batch, full, registry)


@pytest.fixture
def fresh_process():
    """A process that has not built its index yet."""
    airspace_index._current_index = None
    yield
    airspace_index._current_index = None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_index_kept_by_the_change_log_classifies_as_one_built_from_scratch(seed, sky, fresh_process, caplog):
    rng = random.Random(seed)
    for _ in range(15):
        new_permit(rng, sky, rng.choice([State.APPROVED, State.ACTIVE, State.COMPLETED]))
    for _ in range(5):
        new_zone(rng)
    caplog.set_level(logging.INFO, logger=airspace_index.__name__)
    current_index()
    for step in range(40):
        for _ in range(rng.choice([1, 1, 2, 4])):
            random_change(rng, sky, step)
        index = current_index()
        assert index.version == airspace_version()
        assert_same_as_full_build(rng, index)
    # Built once, then only changed: no change needed a rebuild.
    assert sum(REBUILT in record.message for record in caplog.records) == 1
    assert set(AirspaceChange.objects.values_list("kind", flat=True)) == {
        AirspaceChange.Kind.PERMIT,
        AirspaceChange.Kind.ZONE,
    }


def test_a_completed_permit_leaves_the_index_when_it_can_no_longer_cover_a_report(sky, fresh_process):
    rng = random.Random(7)
    kept_s = settings.TRACK_MAX_REPORT_AGE_H * 3600 + settings.TRACK_TIME_TOLERANCE_S
    for _ in range(5):
        new_permit(rng, sky, State.ACTIVE)
    leaving = new_permit(rng, sky, State.COMPLETED, ends_at=timezone.now() - timedelta(seconds=kept_s - 2))
    index = current_index()
    assert leaving.pk in index.permit_ids.tolist()
    time.sleep(3)  # no change in the database: only the clock moves
    index = current_index()
    assert leaving.pk not in index.permit_ids.tolist()
    assert_same_as_full_build(rng, index)


def test_a_process_that_cannot_follow_the_log_rebuilds(sky, fresh_process, caplog):
    rng = random.Random(11)
    caplog.set_level(logging.INFO, logger=airspace_index.__name__)
    new_permit(rng, sky, State.ACTIVE)
    first = current_index()
    rebuilds = sum(REBUILT in record.message for record in caplog.records)

    # A gap: the log no longer holds the change the process's index was built at.
    new_permit(rng, sky, State.APPROVED)
    AirspaceChange.objects.filter(number=first.version[0]).delete()
    index = current_index()
    assert sum(REBUILT in record.message for record in caplog.records) == rebuilds + 1
    assert_same_as_full_build(rng, index)

    # A change made outside the models (a bulk load) says so: everyone rebuilds.
    new_permit(rng, sky, State.APPROVED)
    current_index()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {FlightPermit._meta.db_table} SET max_altitude_m = max_altitude_m + 500")
    note_airspace_change()
    index = current_index()
    assert sum(REBUILT in record.message for record in caplog.records) == rebuilds + 2
    assert_same_as_full_build(rng, index)

    # The counter went back and forth to the same number with other changes (a rolled-back
    # transaction, a restored database): the token tells them apart.
    number, _ = index.version
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AirspaceChange._meta.db_table} WHERE number >= %s", [number])
        cursor.execute(f"UPDATE {AirspaceVersion._meta.db_table} SET number = %s WHERE id = 1", [number - 1])
    new_permit(rng, sky, State.ACTIVE)
    assert airspace_version()[0] == number
    index = current_index()
    assert sum(REBUILT in record.message for record in caplog.records) == rebuilds + 3
    assert_same_as_full_build(rng, index)
