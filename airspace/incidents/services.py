"""What alerts and people do to incidents, one function per act.

Alerts: a hostile alert opens an incident or joins the open one of its track, in the transaction
that writes the alert (`join_incidents`, called by surveillance's ingest and flight following: a
few statements per batch with hostile alerts, none for any other batch); a swarm gathers its tracks'
incidents into one (`gather_swarm`). People: each act locks the incident, checks who may (403),
whether its state allows it (409) and the input (400), makes the model transition and records it in
the history; assigning a unit writes the unit's notification into the outbox in the same
transaction."""

import logging
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.notifications import record_notification
from airspace.registry.models import Aircraft, Operator
from airspace.web.fields import FREE_TEXT_MAX_LENGTH

from .models import (
    ACTIVE_STATES,
    OUTCOMES_AGAINST_OPERATOR,
    Incident,
    IncidentTrack,
    IncidentTransitionLog,
    Outcome,
    ResponseUnit,
    State,
    UnitAssignment,
    UnknownDrone,
    Violation,
    works_incidents,
)

logger = logging.getLogger(__name__)

Kind = AirDefenseNotification.Kind

# The URL form of each transition a person may ask for.
USER_TRANSITIONS = {"respond": "respond", "resolve": "resolve", "dismiss": "dismiss"}
DENIED = "Only air defense and command staff work incidents."


# --- alerts (inside the alert's transaction) --------------------------------------------------


def join_incidents(notifications):
    """Open an incident for each hostile alert among these outbox rows (not saved yet) whose track
    is in none, or join the open one; each alert's payload gets its incident's id, so that the
    console and C2 can link to it. The batch holds its tracks' locks, so two batches never open two
    incidents for one track."""
    hostile = [n for n in notifications if n.kind == Kind.TRACK_HOSTILE and n.track is not None]
    if not hostile:
        return {}
    now = timezone.now()
    alerts_of = Counter(n.track.pk for n in hostile)
    track_ids = sorted(alerts_of)
    joined = _open_incidents_of(track_ids)
    # Join: one conditional UPDATE per incident (an incident closed a moment ago is not joined).
    per_incident = Counter()
    for track_id, incident_id in joined.items():
        per_incident[incident_id] += alerts_of[track_id]
    for incident_id, count in sorted(per_incident.items()):
        still_open = Incident.objects.filter(pk=incident_id, state__in=ACTIVE_STATES, merged_into=None).update(
            alerts=F("alerts") + count, last_alert_at=now
        )
        if not still_open:
            # Closed a moment ago: its tracks open a new incident below.
            joined = {track: incident for track, incident in joined.items() if incident != incident_id}
    # Each link counts its track's alerts: one UPDATE per distinct count (almost always one).
    tracks_by_count = {}
    for track_id in joined:
        tracks_by_count.setdefault(alerts_of[track_id], []).append(track_id)
    for count, counted in sorted(tracks_by_count.items()):
        IncidentTrack.objects.filter(track_id__in=counted, incident_id__in={joined[t] for t in counted}).update(
            alerts=F("alerts") + count
        )
    # Open: one incident per track that has none, where its alert placed it.
    first_alert = {}
    for notification in hostile:
        first_alert.setdefault(notification.track.pk, notification)
    new_tracks = [track_id for track_id in track_ids if track_id not in joined]
    if new_tracks:
        # (lat, lon, zone id) where each track's first alert of the batch placed it.
        places = [_where(first_alert[track_id]) for track_id in new_tracks]
        ids = _insert_incidents(places, new_tracks, [alerts_of[track_id] for track_id in new_tracks], now)
        joined.update(zip(new_tracks, ids, strict=True))
    for notification in hostile:
        notification.payload["incident"] = {"id": joined[notification.track.pk]}
    return joined


def _where(notification):
    position = notification.payload["track"]["position"]
    return position["lat"], position["lon"], notification.track.zone_id


def _open_incidents_of(track_ids):
    """{track id: its open incident} for these tracks. On PostgreSQL the ids go as one array: the
    ORM would render a thousand-item IN list into the SQL text (a burst of new hostile tracks)."""
    if connection.vendor != "postgresql":
        links = IncidentTrack.objects.filter(
            track_id__in=track_ids, incident__state__in=ACTIVE_STATES, incident__merged_into=None
        )
        return dict(links.values_list("track_id", "incident_id"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT link.track_id, link.incident_id FROM {IncidentTrack._meta.db_table} AS link "
            f"JOIN {Incident._meta.db_table} AS incident ON incident.id = link.incident_id "
            "WHERE link.track_id = ANY(%s::bigint[]) AND incident.state = ANY(%s::text[]) "
            "AND incident.merged_into_id IS NULL",
            [track_ids, list(ACTIVE_STATES)],
        )
        return dict(cursor.fetchall())


def _insert_incidents(places, track_ids, alerts, now):
    """Write new incidents, one per track at its (lat, lon, zone id), and their track links; returns
    their ids in order. On PostgreSQL three statements from arrays whatever their number: Django's
    bulk_create builds every row in Python, which doubled the time of a batch bringing a thousand new
    hostile tracks (docs/PERFORMANCE.md)."""
    if connection.vendor != "postgresql":
        created = Incident.objects.bulk_create(
            [
                Incident(opened_at=now, last_alert_at=now, lat=lat, lon=lon, zone_id=zone_id, alerts=count)
                for (lat, lon, zone_id), count in zip(places, alerts, strict=True)
            ]
        )
        IncidentTrack.objects.bulk_create(
            [
                IncidentTrack(incident=incident, track_id=track_id, joined_at=now, alerts=count)
                for incident, track_id, count in zip(created, track_ids, alerts, strict=True)
            ]
        )
        return [incident.pk for incident in created]
    incident_table, link_table = Incident._meta.db_table, IncidentTrack._meta.db_table
    with connection.cursor() as cursor:
        # The ids first, so that each incident's is known without relying on the order of RETURNING.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [incident_table, len(places)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"INSERT INTO {incident_table} (id, state, opened_at, last_alert_at, lat, lon, zone_id, alerts, "
            "outcome, reason) SELECT id, %s, %s, %s, lat, lon, zone_id, alerts, '', '' "
            "FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::bigint[], %s::int[]) "
            "AS row(id, lat, lon, zone_id, alerts)",
            [
                State.OPEN,
                now,
                now,
                ids,
                [lat for lat, _, _ in places],
                [lon for _, lon, _ in places],
                [zone_id for _, _, zone_id in places],
                alerts,
            ],
        )
        cursor.execute(
            f"INSERT INTO {link_table} (incident_id, track_id, joined_at, alerts) "
            "SELECT incident_id, track_id, %s, alerts FROM unnest(%s::bigint[], %s::bigint[], %s::int[]) "
            "AS row(incident_id, track_id, alerts)",
            [now, ids, track_ids, alerts],
        )
    return ids


def gather_swarm(*, swarm, tracks, notification):
    """A new swarm: its tracks share one incident. The open incidents of its tracks that nobody has
    started on (open, no unit) are folded into the oldest of them; an incident already being
    responded to keeps its tracks. Tracks in no incident join it; without any, one is opened."""
    now = timezone.now()
    track_ids = sorted(track.pk for track in tracks)
    links = list(
        IncidentTrack.objects.filter(track_id__in=track_ids, incident__state__in=ACTIVE_STATES).values_list(
            "track_id", "incident_id"
        )
    )
    incident_ids = sorted({incident_id for _, incident_id in links})
    # Locked in id order, as every act locks one incident: people acting on them wait for this.
    incidents = list(Incident.objects.select_for_update().filter(pk__in=incident_ids).order_by("pk"))
    foldable = [
        incident
        for incident in incidents
        if incident.state == State.OPEN and not UnitAssignment.objects.filter(incident=incident).exists()
    ]
    busy_tracks = {track_id for track_id, incident_id in links if incident_id not in {i.pk for i in foldable}}
    if foldable:
        target = min(foldable, key=lambda incident: (incident.opened_at, incident.pk))
    else:
        first = tracks[0]
        target = Incident.objects.create(
            opened_at=now,
            last_alert_at=now,
            lat=swarm.centre_lat,
            lon=swarm.centre_lon,
            zone_id=first.zone_id,
            alerts=0,
        )
    others = [incident for incident in foldable if incident.pk != target.pk]
    if others:
        IncidentTrack.objects.filter(incident__in=others).update(incident=target)
        target.alerts += sum(incident.alerts for incident in others)
        Incident.objects.filter(pk__in=[incident.pk for incident in others]).update(merged_into=target)
    in_target = set(IncidentTrack.objects.filter(incident=target).values_list("track_id", flat=True))
    IncidentTrack.objects.bulk_create(
        [
            IncidentTrack(incident=target, track_id=track_id, joined_at=now, alerts=0)
            for track_id in track_ids
            if track_id not in in_target and track_id not in busy_tracks
        ]
    )
    Incident.objects.filter(pk=target.pk).update(swarm=swarm, alerts=target.alerts + 1, last_alert_at=now)
    notification.payload["incident"] = {"id": target.pk}
    return target


# --- what people do ----------------------------------------------------------------------------


def _locked(incident_id):
    return Incident.objects.select_for_update().get(pk=incident_id)


def _record(incident, transition_name, from_state, actor, reason=""):
    IncidentTransitionLog.objects.create(
        incident=incident,
        transition=transition_name,
        from_state=from_state,
        to_state=incident.state,
        actor=actor,
        reason=reason,
    )


def _check_reason(reason, *, required=False):
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": "Give a reason: why was this a false alarm?"})
    if len(reason) > FREE_TEXT_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {FREE_TEXT_MAX_LENGTH:,} characters."})
    return reason


def _transition(incident, user, transition_name, **arguments):
    """Permission (403), then state (409). The incident is locked by the caller."""
    if not works_incidents(incident, user):
        raise PermissionDenied(DENIED)
    method = getattr(incident, transition_name)
    if incident.merged_into_id is not None:
        raise TransitionNotAllowed(f"This incident was folded into incident {incident.merged_into_id}: work it there.")
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"An incident that is {incident.get_state_display().lower()} cannot be {PAST[transition_name]}."
        )
    from_state = incident.state
    method(by=user, **arguments)
    incident.save()
    _record(incident, transition_name, from_state, user, arguments.get("reason", ""))
    logger.info("incident %s: %s -> %s by %s", incident.pk, from_state, incident.state, user)
    return incident


PAST = {"respond": "responded to", "resolve": "resolved", "dismiss": "dismissed"}


def respond(*, incident_id, user, reason=""):
    """Someone is on it: the first response (the statistics count the time to it)."""
    reason = _check_reason(reason)
    with transaction.atomic():
        return _transition(_locked(incident_id), user, "respond", reason=reason)


# A permit that was in effect: the flight was authorized after all (the words of permits.models.State).
PERMIT_STATES_IN_EFFECT = ("approved", "active", "completed")


def _permit_named(reference):
    # The permit model by the incident's foreign key: permits sit above incidents, which never import them.
    permits = Incident._meta.get_field("permit").related_model.objects
    permit = permits.filter(reference=(reference or "").strip().upper()).first()
    if permit is None:
        raise ValidationError({"permit": f"No permit {reference}."})
    if permit.state not in PERMIT_STATES_IN_EFFECT:
        raise ValidationError({"permit": f"Permit {permit.reference} is {permit.get_state_display().lower()}."})
    return permit


def resolve(*, incident_id, user, outcome, reason="", permit_reference=""):
    """Close with an outcome. An outcome against an operator needs the operator identified first and
    puts a violation on their record (and the aircraft's); "authorized after all" names the permit."""
    reason = _check_reason(reason)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Choose one of: {', '.join(Outcome.values)}."})
    with transaction.atomic():
        incident = _locked(incident_id)
        if not works_incidents(incident, user):
            raise PermissionDenied(DENIED)
        if incident.merged_into_id is not None:
            raise TransitionNotAllowed(
                f"This incident was folded into incident {incident.merged_into_id}: work it there."
            )
        if not can_proceed(incident.resolve):
            raise TransitionNotAllowed(
                f"An incident that is {incident.get_state_display().lower()} cannot be resolved."
            )
        permit = None
        if outcome == Outcome.AUTHORIZED:
            if not (permit_reference or "").strip():
                raise ValidationError({"permit": "Name the permit the flight was under."})
            permit = _permit_named(permit_reference)
        identified = list(incident.tracks.exclude(operator=None).select_related("operator", "aircraft"))
        if outcome in OUTCOMES_AGAINST_OPERATOR and not identified:
            raise ValidationError({"outcome": "Identify the operator first: this outcome goes on their record."})
        _transition(incident, user, "resolve", reason=reason, outcome=outcome, permit=permit)
        if outcome in OUTCOMES_AGAINST_OPERATOR:
            by_operator = {}
            for link in identified:
                by_operator.setdefault(link.operator_id, link)
            Violation.objects.bulk_create(
                [
                    Violation(
                        operator_id=operator_id,
                        aircraft=link.aircraft,
                        incident=incident,
                        outcome=outcome,
                        at=incident.closed_at,
                    )
                    for operator_id, link in by_operator.items()
                ]
            )
    return incident


def dismiss(*, incident_id, user, reason):
    """A false alarm: closed with the reason, and no outcome."""
    reason = _check_reason(reason, required=True)
    with transaction.atomic():
        return _transition(_locked(incident_id), user, "dismiss", reason=reason)


def make_transition(*, incident_id, user, transition_name, reason="", outcome="", permit_reference=""):
    """Dispatch a transition asked for by name (the API and the pages use this)."""
    if transition_name == "resolve":
        return resolve(
            incident_id=incident_id, user=user, outcome=outcome, reason=reason, permit_reference=permit_reference
        )
    if transition_name == "dismiss":
        return dismiss(incident_id=incident_id, user=user, reason=reason)
    return respond(incident_id=incident_id, user=user, reason=reason)


def unit_payload(incident, unit, assignment):
    tracks = list(incident.tracks.select_related("track"))
    return {
        "incident": {
            "id": incident.pk,
            "state": incident.state,
            "opened_at": incident.opened_at.isoformat(),
            "position": {"lat": incident.lat, "lon": incident.lon, **incident.place.as_dict()},
            "zone": incident.zone.name if incident.zone_id else None,
            "tracks": [
                {
                    "id": link.track_id,
                    "identity": link.track.identity,
                    "classification": link.track.classification,
                    "position": {"lat": link.track.last_lat, "lon": link.track.last_lon},
                    "observed_at": link.track.last_observed_at.isoformat(),
                }
                for link in tracks
            ],
        },
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind},
        "assigned_by": assignment.assigned_by.get_username(),
        "assigned_at": assignment.assigned_at.isoformat(),
    }


def assign_unit(*, incident_id, user, unit_id):
    """Send a unit: it is told through the outbox (the stream, every C2 webhook, and its own
    webhook if it has one). An open incident someone sends a unit to is being responded to."""
    with transaction.atomic():
        incident = _locked(incident_id)
        if not works_incidents(incident, user):
            raise PermissionDenied(DENIED)
        if not incident.is_active:
            raise TransitionNotAllowed(
                f"An incident that is {incident.get_state_display().lower()} takes no more units."
            )
        unit = ResponseUnit.objects.filter(pk=unit_id, active=True).first()
        if unit is None:
            raise ValidationError({"unit": "Choose an active response unit."})
        if UnitAssignment.objects.filter(incident=incident, unit=unit).exists():
            raise ValidationError({"unit": f"{unit.name} is already on this incident."})
        assignment = UnitAssignment.objects.create(incident=incident, unit=unit, assigned_by=user)
        if incident.state == State.OPEN:
            _transition(incident, user, "respond", reason=f"{unit.name} sent.")
        record_notification(
            kind=Kind.INCIDENT_UNIT_ASSIGNED,
            severity=AirDefenseNotification.Severity.WARNING,
            payload=unit_payload(incident, unit, assignment),
            addressed_to=unit.subscription if unit.subscription_id else None,
        )
    return assignment


def identify_track(*, incident_id, user, track_id, aircraft_serial="", unknown_drone=None, operator_id=None):
    """Say who a track of the incident is: a registered aircraft (its operator comes with it unless
    one is named), or a new record of an unknown drone; and the operator when one is found."""
    with transaction.atomic():
        incident = _locked(incident_id)
        if not works_incidents(incident, user):
            raise PermissionDenied(DENIED)
        if not incident.is_active:
            raise TransitionNotAllowed(f"An incident that is {incident.get_state_display().lower()} is closed.")
        link = incident.tracks.filter(track_id=track_id).first()
        if link is None:
            raise ValidationError({"track": "Choose a track of this incident."})
        if aircraft_serial and unknown_drone:
            raise ValidationError({"aircraft": "Either a registered aircraft or an unknown drone, not both."})
        if not (aircraft_serial or unknown_drone or operator_id):
            raise ValidationError({"aircraft": "Name the aircraft, describe the unknown drone, or name the operator."})
        operator = None
        if operator_id:
            operator = Operator.objects.filter(pk=operator_id).first()
            if operator is None:
                raise ValidationError({"operator": "No such operator."})
        if aircraft_serial:
            aircraft = Aircraft.objects.filter(serial_number=aircraft_serial).first()
            if aircraft is None:
                raise ValidationError({"aircraft": f"No registered aircraft has the serial number {aircraft_serial}."})
            link.aircraft, link.unknown_drone = aircraft, None
            link.operator = operator or aircraft.operator
        elif unknown_drone:
            description = (unknown_drone.get("description") or "").strip()
            if not description:
                raise ValidationError({"unknown_drone": "Describe what was seen."})
            link.unknown_drone = UnknownDrone.objects.create(
                description=description[:FREE_TEXT_MAX_LENGTH],
                remote_id=(unknown_drone.get("remote_id") or "").strip()[:64],
                serial_number=(unknown_drone.get("serial_number") or "").strip()[:64],
                created_by=user,
            )
            link.aircraft = None
            link.operator = operator
        else:
            link.operator = operator
        link.identified_by, link.identified_at = user, timezone.now()
        link.save()
    return link


def create_unit(*, name, kind, area=None, radius_m=None, boundary=None, subscription=None, active=True):
    return ResponseUnit.objects.create(
        name=name, kind=kind, area=area, radius_m=radius_m, boundary=boundary, subscription=subscription, active=active
    )
