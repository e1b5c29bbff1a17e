"""Reads of incidents: the list as staff work it, one incident's timeline, an operator's violations
(the permit's "needs a senior officer" rule reads them), and what the command learns (statistics)."""

import statistics
from collections import Counter
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from airspace.air_defense.models import AirDefenseNotification

from .models import ACTIVE_STATES, OUTCOMES_AGAINST_OPERATOR, Incident, Outcome, State, Violation


def incidents_for_work(*, include_merged=False):
    """Open and responding first, then the closed ones; within each, the newest alert first. Those
    folded into a swarm's incident are left out unless asked for."""
    incidents = Incident.objects.all() if include_merged else Incident.objects.filter(merged_into=None)
    return (
        incidents.select_related("zone", "closed_by", "permit")
        .annotate(
            closed_rank=Case(
                When(state__in=ACTIVE_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("closed_rank", "-last_alert_at", "-id")
    )


def incident_detail(incident_id):
    return (
        Incident.objects.select_related("zone", "closed_by", "permit", "swarm")
        .prefetch_related(
            "tracks__track__aircraft",
            "tracks__aircraft__operator",
            "tracks__unknown_drone",
            "tracks__operator",
            "assignments__unit",
            "assignments__assigned_by",
            "history__actor",
            "violations__operator",
        )
        .get(pk=incident_id)
    )


def timeline(incident):
    """What happened, in time order: the alerts of its tracks, the units sent, the tracks identified,
    and every transition. Each entry is (at, text)."""
    track_ids = [link.track_id for link in incident.tracks.all()]
    entries = [(incident.opened_at, "Opened by a hostile alert.")]
    alerts = AirDefenseNotification.objects.filter(
        track_id__in=track_ids,
        kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
        created_at__gt=incident.opened_at + timedelta(seconds=1),
    ).values_list("created_at", "payload")
    if incident.closed_at:
        alerts = alerts.filter(created_at__lte=incident.closed_at)
    for at, payload in alerts.order_by("created_at")[:200]:
        identity = (payload.get("track") or {}).get("identity") or "a track"
        entries.append((at, f"Hostile alert: {identity}."))
    for assignment in incident.assignments.all():
        entries.append((assignment.assigned_at, f"{assignment.unit.name} sent by {assignment.assigned_by}."))
    for link in incident.tracks.all():
        if link.identified_at:
            entries.append((link.identified_at, f"Track {link.track.identity} identified: {identification(link)}."))
    for row in incident.history.all():
        words = {"respond": "Response started", "resolve": "Resolved", "dismiss": "Dismissed as a false alarm"}
        text = words.get(row.transition, row.transition)
        if row.transition == "resolve":
            text += f": {incident.get_outcome_display().lower()}"
        actor = f" by {row.actor}" if row.actor else ""
        reason = f" — {row.reason}" if row.reason else ""
        entries.append((row.at, f"{text}{actor}{reason}"))
    return sorted(entries, key=lambda entry: entry[0])


def identification(link):
    """Who a track was found to be, in words."""
    parts = []
    if link.aircraft_id:
        parts.append(f"registered aircraft {link.aircraft.serial_number}")
    if link.unknown_drone_id:
        drone = link.unknown_drone
        seen = ", ".join(
            value
            for value in (
                drone.description,
                drone.remote_id and f"Remote ID {drone.remote_id}",
                drone.serial_number and f"serial {drone.serial_number}",
            )
            if value
        )
        parts.append(f"unknown drone ({seen})")
    if link.operator_id:
        parts.append(f"operator {link.operator.name}")
    return "; ".join(parts) or "not identified"


def violations_of(operator_id, *, days=None):
    """The operator's violations, newest first; within the last `days` when given."""
    violations = Violation.objects.filter(operator_id=operator_id).select_related("aircraft", "incident")
    if days is not None:
        violations = violations.filter(at__gte=timezone.now() - timedelta(days=days))
    return violations


def recent_violations_by_operator(operator_ids, *, days):
    """{operator id: [their violations in the last `days`]} for a page of permits, in one query."""
    by_operator = {}
    for violation in Violation.objects.filter(
        operator_id__in=operator_ids, at__gte=timezone.now() - timedelta(days=days)
    ).select_related("aircraft", "incident"):
        by_operator.setdefault(violation.operator_id, []).append(violation)
    return by_operator


# --- what the command learns ---------------------------------------------------------------------

# The statistics' default range when none is given.
DEFAULT_STATISTICS_WEEKS = 12


def statistics_range(query):
    """The statistics' time range and zone from validated query parameters (the API's and the page's)."""
    ends_at = query.get("ends_at") or timezone.now()
    starts_at = query.get("starts_at") or ends_at - timedelta(weeks=DEFAULT_STATISTICS_WEEKS)
    return {"starts_at": starts_at, "ends_at": ends_at, "zone_id": query.get("zone")}


def incidents_between(*, starts_at, ends_at, zone_id=None):
    incidents = Incident.objects.filter(opened_at__gte=starts_at, opened_at__lt=ends_at, merged_into=None)
    if zone_id is not None:
        incidents = incidents.filter(zone_id=zone_id)
    return incidents


def _median_s(durations):
    durations = [duration.total_seconds() for duration in durations if duration is not None]
    return round(statistics.median(durations), 1) if durations else None


def incident_rows(incidents):
    """One row per incident: the rows behind the statistics, and the CSV export."""
    rows = []
    for incident in incidents.select_related("zone").prefetch_related("violations__operator").order_by("opened_at"):
        rows.append(
            {
                "id": incident.pk,
                "opened_at": incident.opened_at,
                "state": incident.state,
                "zone": incident.zone.name if incident.zone_id else "",
                "lat": round(incident.lat, 5),
                "lon": round(incident.lon, 5),
                "place": incident.place.place,
                "alerts": incident.alerts,
                "outcome": incident.outcome,
                "to_response_s": (incident.responded_at - incident.opened_at).total_seconds()
                if incident.responded_at
                else None,
                "to_close_s": (incident.closed_at - incident.opened_at).total_seconds() if incident.closed_at else None,
                "operators": "; ".join(violation.operator.name for violation in incident.violations.all()),
            }
        )
    return rows


def incident_statistics(*, starts_at, ends_at, zone_id=None):
    """Per week and per zone, the outcomes, the median times from the alert to the first response and
    to the resolution, and the operators with more than one violation in the range."""
    incidents = incidents_between(starts_at=starts_at, ends_at=ends_at, zone_id=zone_id)
    per_week = [
        {"week": row["week"].date(), "incidents": row["incidents"]}
        for row in incidents.annotate(week=TruncWeek("opened_at"))
        .values("week")
        .annotate(incidents=Count("id"))
        .order_by("week")
    ]
    per_zone = [
        {"zone": row["zone__name"] or "Outside any zone", "incidents": row["incidents"]}
        for row in incidents.values("zone__name").annotate(incidents=Count("id")).order_by("-incidents", "zone__name")
    ]
    counted = Counter(incidents.exclude(outcome="").values_list("outcome", flat=True))
    outcomes = [
        {"outcome": outcome.value, "label": outcome.label, "incidents": counted.get(outcome.value, 0)}
        for outcome in Outcome
    ]
    states = dict(incidents.values_list("state").annotate(count=Count("id")).values_list("state", "count"))
    times = list(incidents.values_list("opened_at", "responded_at", "closed_at", "state"))
    violations = Violation.objects.filter(incident__in=incidents, outcome__in=OUTCOMES_AGAINST_OPERATOR)
    repeat = [
        {"operator": row["operator__name"], "violations": row["violations"]}
        for row in violations.values("operator__name")
        .annotate(violations=Count("id"))
        .filter(violations__gte=2)
        .order_by("-violations", "operator__name")
    ]
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "incidents": len(times),
        "open": states.get(State.OPEN, 0) + states.get(State.RESPONDING, 0),
        "resolved": states.get(State.RESOLVED, 0),
        "dismissed": states.get(State.DISMISSED, 0),
        "per_week": per_week,
        "per_zone": per_zone,
        "outcomes": outcomes,
        "median_to_response_s": _median_s(
            [responded - opened if responded else None for opened, responded, _, _ in times]
        ),
        "median_to_resolution_s": _median_s(
            [closed - opened if closed and state == State.RESOLVED else None for opened, _, closed, state in times]
        ),
        "repeat_operators": repeat,
    }
