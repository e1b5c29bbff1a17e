"""Flight following: what happens to flights and sensors over time, where a single report says nothing.

- **Contact lost.** A drone flying under a permit in effect that is not reported for CONTACT_LOST_S
  is announced (`track.contact_lost`; critical when it was last within CONTACT_LOST_ZONE_MARGIN_M of
  a zone), and announced again when seen (`track.contact_regained`, saying whether it came back far
  from where it was lost or outside its volume).
- **Persistent nonconformance.** A flight outside its volume or window is warned about at once
  (tracks.py, its class changed). It is escalated to hostile — a critical `track.hostile`, once per
  excursion — when it is still outside after NONCONFORMING_GRACE_S, when it strays farther than
  NONCONFORMING_MAX_EXCURSION_M, or when it is inside a zone its permit's volume does not enter (a
  zone it was not approved for). Back inside first: `track.conforming_again`. Each excursion is
  kept on the permit (permits.PermitExcursion).
- **Sensor health.** A sensor that posts nothing, reports or heartbeats, for its stale and offline
  times is `stale`, then `offline` (`sensor.stale`, `sensor.offline`: critical where its coverage
  overlaps a prohibited zone), and `sensor.online` when heard again.
- **Swarms.** SWARM_MIN_TRACKS hostile tracks or more close together (swarms.py) are one `swarm`.

What a report changes happens in the sensor's batch, in its transaction (`BatchFollowing`, used by
tracks.py); what the passing of time changes happens in `follow_flights`, run by the beat every
FOLLOWING_CHECK_INTERVAL_S (tasks.py; `run_clock` in the embedded demo). Each check is one set-based
statement over all the tracks or sensors concerned, never a query per track. Each claims its rows
with a conditional UPDATE or SELECT … FOR UPDATE SKIP LOCKED, so two beat processes (or a tick and a
batch) never announce the same thing twice; each notification is written in the outbox in the same
transaction as the change it announces.
"""

import logging
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.notifications import (
    record_notification,
    record_notifications,
    sensor_payload,
    swarm_payload,
    track_payload,
)
from airspace.geometry import metres_between, polygon_from_boundary
from airspace.incidents.services import gather_swarm, join_incidents
from airspace.notices.services import Kind as NoticeKind
from airspace.notices.services import tell_operators
from permits.models import IN_EFFECT_STATES, FlightPermit, PermitExcursion

from .airspace_index import current_index
from .classification import NOTHING, RegisteredAircraft, zones_near, zones_overlapping
from .models import Classification, FollowingRun, Sensor, Swarm, Track
from .swarms import centre_and_radius, find_swarms, match_swarms

logger = logging.getLogger(__name__)

Kind = AirDefenseNotification.Kind
Severity = AirDefenseNotification.Severity
Health = Sensor.Health
HOSTILE_WORDS = (Classification.UNAUTHORIZED, Classification.UNREGISTERED)
# A sensor posting several batches a second writes when it was heard at most this often.
HEARD_EVERY_S = 1.0
# The row of FollowingRun that a pass of follow_flights locks.
FOLLOWING_RUN = "follow_flights"


# --- what one batch changes (called by tracks.py inside the batch's transaction) --------------


class BatchFollowing:
    """The flight following of one sensor batch. tracks.py calls `report` for each report that moves
    a track (in time order), `seen_again` for a track that was contact lost, and `lost_sight` for a
    track seen again after it went inactive; then `save`, and `notifications` for the outbox rows.

    The open excursions of the batch's tracks are locked here, after the tracks (always in that
    order, as follow_flights only ever locks excursions without tracks): the clock's escalation skips
    them while the batch holds them, and the batch decides for itself."""

    def __init__(self, *, track_ids, received_at):
        self.received_at = received_at
        self.grace = timedelta(seconds=settings.NONCONFORMING_GRACE_S)
        self.max_excursion_m = settings.NONCONFORMING_MAX_EXCURSION_M
        self.open = {}
        if track_ids:
            self.open = {
                excursion.track_id: excursion
                for excursion in PermitExcursion.objects.select_for_update()
                .filter(track_id__in=sorted(track_ids), ended_at=None)
                .order_by("track_id")
            }
        self.created, self.changed = [], {}
        # (kind, severity, track, position, extra payload): the extras are built once the batch's
        # excursions are saved, so that they carry their ids.
        self.events = []
        self.regained_track_ids = []

    def is_escalated(self, track):
        excursion = self.open.get(track.pk)
        return excursion is not None and excursion.escalated_at is not None

    def seen_again(self, *, track, position, lon, lat, classification):
        """A track announced as contact lost is reported again."""
        moved_m = float(metres_between(track.last_lon, track.last_lat, lon, lat))
        far = moved_m > settings.CONTACT_REGAINED_FAR_M
        outside = classification != Classification.AUTHORIZED
        contact = {
            "lost_at": track.contact_lost_at.isoformat(),
            "last_seen_at": track.last_observed_at.isoformat(),
            "last_position": {"lat": track.last_lat, "lon": track.last_lon, "altitude_m": track.last_altitude_m},
            "moved_m": round(moved_m, 1),
            "far_from_where_lost": far,
            "outside_volume": outside,
        }
        severity = Severity.WARNING if far or outside else Severity.INFO
        self.events.append((Kind.TRACK_CONTACT_REGAINED, severity, track, position, lambda: {"contact": contact}))
        self.regained_track_ids.append(track.pk)
        track.contact_lost_at = None

    def lost_sight(self, *, track, last_seen):
        """A track seen again after it went inactive is a new sighting: its open excursion ended
        when it was last seen."""
        excursion = self.open.pop(track.pk, None)
        if excursion is not None:
            self._end(excursion, last_seen, PermitExcursion.End.SIGHT_LOST)

    def report(
        self,
        *,
        track,
        position,
        code_is_nonconforming,
        authorized,
        permit_id,
        in_zone,
        metres,
        outside_window,
        observed_at,
    ):
        """One report of a track, after its classification was applied."""
        excursion = self.open.get(track.pk)
        if not code_is_nonconforming:
            if excursion is not None:
                end = PermitExcursion.End.BACK_INSIDE if authorized else PermitExcursion.End.RECLASSIFIED
                self._end(excursion, observed_at, end)
                del self.open[track.pk]
                if authorized:
                    severity = Severity.WARNING if excursion.escalated_at else Severity.INFO
                    extra = lambda excursion=excursion: {"excursion": excursion_summary(excursion)}  # noqa: E731
                    self.events.append((Kind.TRACK_CONFORMING_AGAIN, severity, track, position, extra))
            return
        metres = 0.0 if metres is None or np.isnan(metres) else float(metres)
        if excursion is None:
            excursion = PermitExcursion(
                permit_id=permit_id,
                track=track,
                started_at=observed_at,
                farthest_m=metres,
                outside_window=outside_window,
            )
            self.open[track.pk] = excursion
            self.created.append(excursion)
        elif metres > excursion.farthest_m or (outside_window and not excursion.outside_window):
            excursion.farthest_m = max(excursion.farthest_m, metres)
            excursion.outside_window = excursion.outside_window or outside_window
            self._changed(excursion)
        if excursion.escalated_at is None:
            reason = None
            if in_zone:
                reason = PermitExcursion.Escalation.ZONE
            elif metres > self.max_excursion_m:
                reason = PermitExcursion.Escalation.DISTANCE
            elif observed_at - excursion.started_at >= self.grace:
                reason = PermitExcursion.Escalation.GRACE
            if reason:
                excursion.escalated_at = self.received_at
                excursion.escalation_reason = reason
                self._changed(excursion)
                extra = lambda excursion=excursion, now=observed_at: {  # noqa: E731
                    "escalation": escalation_summary(excursion, now=now)
                }
                self.events.append((Kind.TRACK_HOSTILE, Severity.CRITICAL, track, position, extra))

    def _end(self, excursion, ended_at, reason):
        excursion.ended_at = ended_at
        excursion.end_reason = reason
        self._changed(excursion)

    def _changed(self, excursion):
        if excursion.pk is not None:
            self.changed[excursion.pk] = excursion

    def save(self):
        # Ended first: a track may end one excursion and start another in the same batch, and only
        # one may be open at a time (a partial unique constraint).
        if self.changed:
            PermitExcursion.objects.bulk_update(
                list(self.changed.values()),
                ["ended_at", "end_reason", "farthest_m", "outside_window", "escalated_at", "escalation_reason"],
            )
        if self.created:
            PermitExcursion.objects.bulk_create(self.created)
            self._tell_operators(self.created)
        if self.regained_track_ids:
            Track.objects.filter(pk__in=self.regained_track_ids).update(contact_lost_at=None)

    @staticmethod
    def _tell_operators(excursions):
        """A flight of theirs went outside its permit: the operator is told, in the batch's
        transaction. Once per excursion (its start), with one query for the batch's permits."""
        permits = FlightPermit.objects.filter(pk__in={excursion.permit_id for excursion in excursions})
        by_id = {
            pk: (operator_id, reference)
            for pk, operator_id, reference in permits.values_list("pk", "operator_id", "reference")
        }
        notices = []
        for excursion in excursions:
            operator_id, reference = by_id[excursion.permit_id]
            where = "its window" if excursion.outside_window and not excursion.farthest_m else "its approved volume"
            text = (
                f"Your flight under permit {reference} is outside {where}. Bring it back inside now: "
                "air defense treats a flight that stays outside as hostile."
            )
            notices.append(
                (
                    operator_id,
                    NoticeKind.FLIGHT_NONCONFORMING,
                    text,
                    reverse("permit-detail", args=[excursion.permit_id]),
                )
            )
        tell_operators(notices)

    def notifications(self, payload_at):
        """The outbox rows of what this batch changed; `payload_at(track, position)` is the track
        payload of one report (tracks.py builds it, as for its own alerts)."""
        rows = []
        for kind, severity, track, position, extra in self.events:
            payload = payload_at(track, position)
            payload.update(extra())
            rows.append(AirDefenseNotification(kind=kind, severity=severity, payload=payload, track=track))
        return rows


def excursion_summary(excursion, now=None):
    return {
        "permit_excursion": excursion.pk,
        "started_at": excursion.started_at.isoformat(),
        "ended_at": excursion.ended_at.isoformat() if excursion.ended_at else None,
        "duration_s": round(excursion.duration_s(now), 1),
        "farthest_m": round(excursion.farthest_m, 1),
        "outside_window": excursion.outside_window,
        "escalated": excursion.escalated_at is not None,
    }


def escalation_summary(excursion, *, now):
    return {
        "permit_excursion": excursion.pk,
        "reason": excursion.escalation_reason,
        "reason_text": PermitExcursion.Escalation(excursion.escalation_reason).label,
        "outside_since": excursion.started_at.isoformat(),
        "outside_s": round(excursion.duration_s(now), 1),
        "farthest_m": round(excursion.farthest_m, 1),
        "outside_window": excursion.outside_window,
        "grace_s": settings.NONCONFORMING_GRACE_S,
        "max_excursion_m": settings.NONCONFORMING_MAX_EXCURSION_M,
    }


# --- what a sensor does ---------------------------------------------------------------------


def note_sensor_heard(*, sensor, now):
    """A sensor posted something (a batch of reports or a heartbeat): it is online. Back from stale
    or offline, air defense is told. Called outside the batch's transaction, and written at most
    once a second per sensor, so that a busy sensor's batches do not queue on its row."""
    if (
        sensor.health == Health.ONLINE
        and sensor.last_heard_at is not None
        and abs((now - sensor.last_heard_at).total_seconds()) < HEARD_EVERY_S
    ):
        return sensor
    # Online already: one conditional UPDATE, no transition (the usual case).
    if Sensor.objects.filter(pk=sensor.pk, health=Health.ONLINE).update(last_heard_at=now):
        sensor.last_heard_at = now
        return sensor
    with transaction.atomic():
        # Locked: the clock's transition to stale or offline and this one must not cross.
        locked = Sensor.objects.select_for_update().get(pk=sensor.pk)
        previous, last_heard_at = locked.health, locked.last_heard_at
        locked.health, locked.health_changed_at, locked.last_heard_at = Health.ONLINE, now, now
        locked.save(update_fields=["health", "health_changed_at", "last_heard_at"])
        if previous in (Health.STALE, Health.OFFLINE):
            silent_s = (now - last_heard_at).total_seconds() if last_heard_at else None
            record_notification(
                kind=Kind.SENSOR_ONLINE,
                severity=Severity.INFO,
                payload=sensor_payload(sensor=locked, previous_health=previous, silent_s=silent_s),
            )
    sensor.health, sensor.health_changed_at, sensor.last_heard_at = Health.ONLINE, now, now
    return sensor


def send_heartbeat(*, sensor, now=None):
    """A sensor says it is alive though it has nothing to report."""
    return note_sensor_heard(sensor=sensor, now=now or timezone.now())


# --- what the passing of time changes (the beat) --------------------------------------------


def follow_flights(*, now=None):
    """One pass of every time-driven check, each in its own transaction: one that fails is logged and
    tried again at the next tick, and does not hold back the others. Returns what each did."""
    now = now or timezone.now()
    FollowingRun.objects.get_or_create(name=FOLLOWING_RUN)
    checks = {
        "contacts_lost": announce_lost_contacts,
        "escalated": escalate_persistent_excursions,
        "excursions_closed": close_unseen_excursions,
        "sensors": check_sensor_health,
        "swarms": follow_swarms,
    }
    done = {}
    for name, check in checks.items():
        try:
            done[name] = check(now=now)
        except Exception:
            logger.exception("Flight following: %s failed; it runs again at the next tick", name)
            done[name] = "failed"
    return done


def announce_lost_contacts(*, now):
    """Drones under a permit in effect, seen during its window and not since CONTACT_LOST_S: one
    statement over every such track; skip-locked, so that a batch moving a track right now (it is
    not lost) and a second beat process are both passed over."""
    cutoff = now - timedelta(seconds=settings.CONTACT_LOST_S)
    with transaction.atomic():
        lost = list(
            Track.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                contact_lost_at=None,
                classification__in=[Classification.AUTHORIZED, Classification.NONCONFORMING],
                last_observed_at__lt=cutoff,
                # A lower bound, so that the (classification, last_observed_at) index answers.
                last_observed_at__gte=now - settings.PERMIT_MAX_DURATION,
                permit__state__in=IN_EFFECT_STATES,
                permit__starts_at__lte=now,
                permit__ends_at__gt=now,
            )
            # Seen during this permit's window: a drone tried out before its window is not lost.
            .filter(last_observed_at__gte=F("permit__starts_at"))
            .select_related("sensor", "aircraft__operator", "permit", "zone")
            .order_by("pk")
        )
        if not lost:
            return 0
        Track.objects.filter(pk__in=[track.pk for track in lost]).update(contact_lost_at=now)
        index = current_index()
        nearest, distance = zones_near(
            index,
            [track.last_lon for track in lost],
            [track.last_lat for track in lost],
            margin_m=settings.CONTACT_LOST_ZONE_MARGIN_M,
        )
        rows = []
        for track, zone_at, zone_m in zip(lost, nearest.tolist(), distance.tolist(), strict=True):
            track.contact_lost_at = now
            zone = index.zones[zone_at] if zone_at != NOTHING else None
            payload = _track_state_payload(track)
            payload["contact"] = {
                "lost_at": now.isoformat(),
                "last_seen_at": track.last_observed_at.isoformat(),
                "silent_s": round((now - track.last_observed_at).total_seconds(), 1),
                "near_zone": {"name": zone.name, "kind": zone.kind, "distance_m": round(zone_m, 1)} if zone else None,
                "outside_volume": track.classification != Classification.AUTHORIZED,
            }
            severity = Severity.CRITICAL if zone else Severity.WARNING
            rows.append(
                AirDefenseNotification(
                    kind=Kind.TRACK_CONTACT_LOST, severity=severity, payload=payload, track=track, permit=track.permit
                )
            )
        record_notifications(rows)
    return len(lost)


def escalate_persistent_excursions(*, now):
    """Open excursions older than the grace whose drone is still being seen: escalated to hostile,
    once (the claim is the lock; a batch holding the excursion decides for itself). A drone that went
    silent outside its volume is contact lost instead, and escalated when it is seen again."""
    grace = timedelta(seconds=settings.NONCONFORMING_GRACE_S)
    seen_since = now - timedelta(seconds=settings.CONTACT_LOST_S)
    with transaction.atomic():
        due = list(
            PermitExcursion.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                ended_at=None,
                escalated_at=None,
                started_at__lte=now - grace,
                track__last_observed_at__gte=seen_since,
                track__classification=Classification.NONCONFORMING,
            )
            .select_related("permit", "track__sensor", "track__aircraft__operator", "track__zone", "track__permit")
            .order_by("pk")
        )
        if not due:
            return 0
        PermitExcursion.objects.filter(pk__in=[excursion.pk for excursion in due]).update(
            escalated_at=now, escalation_reason=PermitExcursion.Escalation.GRACE
        )
        rows = []
        for excursion in due:
            excursion.escalated_at, excursion.escalation_reason = now, PermitExcursion.Escalation.GRACE
            payload = _track_state_payload(excursion.track)
            payload["escalation"] = escalation_summary(excursion, now=now)
            rows.append(
                AirDefenseNotification(
                    kind=Kind.TRACK_HOSTILE,
                    severity=Severity.CRITICAL,
                    payload=payload,
                    track=excursion.track,
                    permit=excursion.permit,
                )
            )
        join_incidents(rows)
        record_notifications(rows)
    return len(due)


def close_unseen_excursions(*, now):
    """Excursions of drones no longer seen (TRACK_ACTIVE_S) end when they were last seen: the
    permit's record gets their length, and the next sighting starts afresh."""
    inactive_since = now - timedelta(seconds=settings.TRACK_ACTIVE_S)
    last_seen = Track.objects.filter(pk=OuterRef("track_id")).values("last_observed_at")[:1]
    return PermitExcursion.objects.filter(
        Q(track__last_observed_at__lt=inactive_since) | Q(track=None), ended_at=None
    ).update(ended_at=Subquery(last_seen), end_reason=PermitExcursion.End.SIGHT_LOST)


def check_sensor_health(*, now):
    """Every watched sensor's health from when it was last heard: one read of the sensors, and one
    compare-and-set UPDATE per sensor whose health changes (it fails if the sensor was heard, or
    another beat process moved it, in between: exactly one notification per change)."""
    due = sensors_due(now=now)
    if not due:
        return {}
    index = current_index() if any(health == Health.OFFLINE for _, health, _ in due) else None
    counts = {}
    for sensor, health, silent_s in due:
        if move_sensor_health(sensor=sensor, health=health, silent_s=silent_s, index=index, now=now):
            counts[health] = counts.get(health, 0) + 1
    return counts


def sensors_due(*, now):
    """(sensor, its new health, seconds silent) for each watched sensor whose health is due to change:
    only those silent past the default stale time, or with times of their own, are read."""
    watched = (
        Sensor.objects.filter(active=True, health__in=[Health.ONLINE, Health.STALE])
        .exclude(last_heard_at=None)
        .filter(
            Q(last_heard_at__lt=now - timedelta(seconds=settings.SENSOR_STALE_S))
            | Q(stale_after_s__isnull=False)
            | Q(offline_after_s__isnull=False)
        )
    )
    due = []
    for sensor in watched:
        silent_s = (now - sensor.last_heard_at).total_seconds()
        if silent_s >= sensor.offline_after:
            due.append((sensor, Health.OFFLINE, silent_s))
        elif silent_s >= sensor.stale_after and sensor.health == Health.ONLINE:
            due.append((sensor, Health.STALE, silent_s))
    return due


def move_sensor_health(*, sensor, health, silent_s, index, now):
    """Move one sensor to its new health and announce it, if it is still as it was read (same health,
    not heard since): the compare-and-set that makes each change announced once. Returns whether it moved."""
    with transaction.atomic():
        moved = Sensor.objects.filter(
            pk=sensor.pk, health=sensor.health, last_heard_at=sensor.last_heard_at, active=True
        ).update(health=health, health_changed_at=now)
        if not moved:
            return False
        previous, sensor.health, sensor.health_changed_at = sensor.health, health, now
        record_notification(**_sensor_notification(sensor, previous, silent_s, index, now))
    return True


def _sensor_notification(sensor, previous, silent_s, index, now):
    if sensor.health == Health.STALE:
        return {
            "kind": Kind.SENSOR_STALE,
            "severity": Severity.INFO,
            "payload": sensor_payload(sensor=sensor, previous_health=previous, silent_s=silent_s),
        }
    coverage = polygon_from_boundary(sensor.coverage_boundary) if sensor.coverage_boundary else None
    prohibited = zones_overlapping(index, coverage, prohibited_only=True)
    # What it was following: tracks it saw last that were still active when it went quiet.
    tracks_last_seen = Track.objects.filter(
        sensor=sensor, last_observed_at__gte=sensor.last_heard_at - timedelta(seconds=settings.TRACK_ACTIVE_S)
    ).count()
    return {
        "kind": Kind.SENSOR_OFFLINE,
        "severity": Severity.CRITICAL if prohibited else Severity.WARNING,
        "payload": sensor_payload(
            sensor=sensor,
            previous_health=previous,
            silent_s=silent_s,
            prohibited_zones=prohibited,
            tracks_last_seen=tracks_last_seen,
        ),
    }


def follow_swarms(*, now):
    """Find the swarms among the hostile tracks seen in the last SWARM_WINDOW_S (hostile by class,
    or escalated) and keep them: a new one is announced once, naming its tracks; a known one is
    updated; one no longer found has ended. The pass holds the FollowingRun row (skip locked): a
    second beat process at the same moment skips it instead of announcing the same swarm."""
    window_start = now - timedelta(seconds=settings.SWARM_WINDOW_S)
    with transaction.atomic():
        claimed = FollowingRun.objects.select_for_update(skip_locked=True).filter(name=FOLLOWING_RUN).first()
        if claimed is None:
            return "skipped: another process is on it"
        # Positions only (tuples, not model objects: thousands of hostile tracks on a bad day); the
        # tracks of a new swarm are read in full below, for its alert.
        hostile = list(
            Track.objects.filter(classification__in=HOSTILE_WORDS, last_observed_at__gte=window_start).values_list(
                "id", "last_lon", "last_lat"
            )
        )
        escalated = PermitExcursion.objects.filter(ended_at=None).exclude(escalated_at=None).values("track_id")
        hostile += Track.objects.filter(
            pk__in=escalated, classification=Classification.NONCONFORMING, last_observed_at__gte=window_start
        ).values_list("id", "last_lon", "last_lat")
        ids = np.array([row[0] for row in hostile], dtype=np.int64)
        lon = np.array([row[1] for row in hostile], dtype=float)
        lat = np.array([row[2] for row in hostile], dtype=float)
        found = find_swarms(lon, lat, radius_m=settings.SWARM_RADIUS_M, min_size=settings.SWARM_MIN_TRACKS)
        known = {swarm.pk: swarm for swarm in Swarm.objects.filter(ended_at=None)}
        matched, ended = match_swarms(
            [set(ids[positions].tolist()) for positions in found],
            {pk: set(swarm.track_ids) for pk, swarm in known.items()},
        )

        new, kept, moved = [], [], []
        for (swarm_id, members), positions in zip(matched, found, strict=True):
            centre_lon, centre_lat, radius = centre_and_radius(lon[positions], lat[positions])
            swarm = known[swarm_id] if swarm_id is not None else Swarm(detected_at=now, largest_size=0)
            changed = (
                swarm_id is None
                or swarm.track_ids != sorted(members)
                or abs(swarm.radius_m - radius) > 1
                or float(metres_between(swarm.centre_lon, swarm.centre_lat, centre_lon, centre_lat)) > 1
            )
            swarm.track_ids = sorted(members)
            swarm.size = len(members)
            swarm.largest_size = max(swarm.largest_size, swarm.size)
            swarm.centre_lon, swarm.centre_lat, swarm.radius_m = centre_lon, centre_lat, radius
            swarm.last_seen_at = now
            if swarm_id is None:
                new.append(swarm)
            else:
                kept.append(swarm)
                if changed:
                    moved.append(swarm)
        # Still there: one statement. Grown, shrunk or moved: one each (few; Django's bulk_update
        # builds a CASE per field and row, which cost more than the clustering).
        if kept:
            Swarm.objects.filter(pk__in=[swarm.pk for swarm in kept]).update(last_seen_at=now)
        for swarm in moved:
            Swarm.objects.filter(pk=swarm.pk).update(
                track_ids=swarm.track_ids,
                size=swarm.size,
                largest_size=swarm.largest_size,
                centre_lon=swarm.centre_lon,
                centre_lat=swarm.centre_lat,
                radius_m=swarm.radius_m,
            )
        if ended:
            Swarm.objects.filter(pk__in=ended).update(ended_at=now)
        if new:
            members = Track.objects.in_bulk([pk for swarm in new for pk in swarm.track_ids])
            for swarm in new:
                swarm.save()
                tracks = [members[pk] for pk in swarm.track_ids]
                alert = AirDefenseNotification(
                    kind=Kind.SWARM, severity=Severity.CRITICAL, payload=swarm_payload(swarm=swarm, tracks=tracks)
                )
                # The swarm's tracks share one incident.
                gather_swarm(swarm=swarm, tracks=tracks, notification=alert)
                record_notifications([alert])
        FollowingRun.objects.filter(name=FOLLOWING_RUN).update(last_run_at=now)
    counts = {"new": len(new), "ongoing": len(kept), "ended": len(ended)}
    return {name: count for name, count in counts.items() if count}


def _track_state_payload(track):
    """The track payload of a track as it was last seen (the clock has no report at hand)."""
    aircraft = track.aircraft
    return track_payload(
        track=track,
        sensor=track.sensor or _NoSensor,
        classification=track.classification,
        previous_classification=None,
        report={
            "sensor_track_id": track.sensor_track_id,
            "remote_id": track.remote_id,
            "lat": track.last_lat,
            "lon": track.last_lon,
            "altitude_m": track.last_altitude_m,
            "observed_at": track.last_observed_at,
            "speed_mps": None,
            "heading_deg": None,
        },
        aircraft=(
            RegisteredAircraft(
                aircraft.pk, aircraft.serial_number, aircraft.remote_id, aircraft.status, aircraft.operator.name
            )
            if aircraft
            else None
        ),
        permit_reference=track.permit.reference if track.permit_id else None,
        zone=track.zone,
    )


class _NoSensor:
    name = None
