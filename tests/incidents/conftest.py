"""Incident fixtures: a hostile track and its incident, driven to any state through the services."""

import itertools

import pytest
from django.utils import timezone

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.incidents import services
from airspace.incidents.models import Incident, ResponseUnit, State
from airspace.surveillance.models import Track

_numbers = itertools.count(1)


def hostile_track(lat=33.30, lon=44.36, **fields):
    now = timezone.now()
    number = next(_numbers)
    return Track.objects.create(
        identity=fields.pop("identity", f"sensor:0:incident-{number}"),
        sensor_track_id=f"incident-{number}",
        classification=fields.pop("classification", "unregistered"),
        classification_changed_at=now,
        last_lat=lat,
        last_lon=lon,
        last_altitude_m=80,
        last_observed_at=now,
        first_seen_at=now,
        **fields,
    )


def alert_for(track):
    """The outbox row a batch would write for this track (not saved: join_incidents sees it first)."""
    return AirDefenseNotification(
        kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
        severity="warning",
        track=track,
        payload={"track": {"identity": track.identity, "position": {"lat": track.last_lat, "lon": track.last_lon}}},
    )


@pytest.fixture
def make_incident(make_user):
    """An incident of one hostile track, in the given state (moved there by a person, as in use)."""

    def make(state=State.OPEN, track=None):
        track = track or hostile_track()
        joined = services.join_incidents([alert_for(track)])
        incident_id = joined[track.pk]
        actor = make_user(roles.AIR_DEFENSE)
        if state == State.RESPONDING:
            services.respond(incident_id=incident_id, user=actor)
        elif state == State.RESOLVED:
            services.resolve(incident_id=incident_id, user=actor, outcome="intercepted")
        elif state == State.DISMISSED:
            services.dismiss(incident_id=incident_id, user=actor, reason="a bird")
        return Incident.objects.get(pk=incident_id)

    return make


@pytest.fixture
def make_unit(db):
    def make(name=None, kind=ResponseUnit.Kind.INTERCEPT, subscription=None):
        return ResponseUnit.objects.create(name=name or f"Unit {next(_numbers)}", kind=kind, subscription=subscription)

    return make
