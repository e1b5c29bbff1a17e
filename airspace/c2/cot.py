"""The air picture as Cursor on Target events, built with PyTAK (cot_event, cot_point, cot_detail,
serialize_cot): a track is a MIL-STD-2525 air track whose affiliation is its classification, a permit
in effect is a drawn shape (a circle `u-d-c-c` or a polygon `u-d-f`), an alert is a marker. The
types, uids and fields are tabled in docs/C2.md.

Pure functions of the objects given (no queries), so the tests and the task build the same XML."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytak

# Affiliation (the second atom of a CoT "a-" type) by classification: MIL-STD-2525's friend,
# suspect, hostile, unknown. "A-M-F-Q" is the air track of a drone (military fixed-wing "Q":
# RPV/UAV), the only 2525 air function for one.
AFFILIATION = {"authorized": "f", "nonconforming": "s", "unauthorized": "h", "unregistered": "h"}
DRONE = "A-M-F-Q"
# The pilot on the ground beside its drone: a ground unit of the same affiliation.
PILOT = "G-U-C"
# ATAK's own alert types (its EmergencyType): a geo-fence breach for a hostile or nonconforming
# flight, a point of interest for the rest (sensor health, a lost contact, a revoked permit).
ALERT_BREACH = "b-a-g"
ALERT_NOTICE = "b-m-p-s-p-i"
BREACH_KINDS = {"track.hostile", "track.nonconforming", "swarm"}
CIRCLE = "u-d-c-c"
POLYGON = "u-d-f"
DELETE = "t-x-d-d"
# "How" the position was obtained: m-f (machine, fused) for tracks made of sensor reports,
# h-e (human, entered) for the permits officers approved.
HOW_TRACK, HOW_PERMIT = "m-f", "h-e"
UNKNOWN = "9999999.0"
# Colours as TAK stores them, signed 32-bit ARGB.
GREEN, AMBER, RED = -16711936, -23296, -65536
FILL_ALPHA = 0x40
# Seven decimals: a centimetre (PyTAK's default of four is eleven metres).
PRECISION = 7


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(pytak.W3C_XML_DATETIME)


def _event(*, uid, cot_type, how, lat, lon, now, stale, start=None, children=(), callsign=None, remarks=None):
    detail = pytak.cot_detail(*children, flow_tag=False)
    if remarks:
        pytak.add_remarks(detail, [remarks])
    return pytak.cot_event(
        uid=uid,
        cot_type=cot_type,
        how=how,
        point=pytak.cot_point(lat=lat, lon=lon, hae=UNKNOWN, ce=UNKNOWN, le=UNKNOWN, precision=PRECISION),
        detail=detail,
        callsign=callsign,
        flow_tag=False,
        # PyTAK stamps time/start/stale from the clock; the picture's own times replace them.
        extra_attrs={"time": _time(now), "start": _time(start or now), "stale": _time(stale)},
    )


def _element(tag, **attributes):
    element = ET.Element(tag)
    for name, value in attributes.items():
        element.set(name, str(value))
    return element


def track_uid(track_id) -> str:
    return f"airspace-track-{track_id}"


def permit_uid(reference) -> str:
    return f"airspace-permit-{reference}"


def alert_uid(notification_id) -> str:
    return f"airspace-alert-{notification_id}"


def track_type(classification) -> str:
    return f"a-{AFFILIATION.get(classification, 'u')}-{DRONE}"


def track_events(track, *, now, stale_s) -> list[ET.Element]:
    """A track's latest position (and its pilot's, when Remote ID gave it)."""
    name = track.remote_id or track.sensor_track_id or track.identity
    facts = [f"{track.classification or 'unclassified'}", f"{track.last_altitude_m:g} m above ground"]
    if track.permit_id:
        facts.append(f"permit {track.permit.reference}")
    if track.zone_id:
        facts.append(f"in {track.zone.kind} zone {track.zone.name}")
    stale = now + timedelta(seconds=stale_s)
    events = [
        _event(
            uid=track_uid(track.pk),
            cot_type=track_type(track.classification),
            how=HOW_TRACK,
            lat=track.last_lat,
            lon=track.last_lon,
            now=now,
            start=track.last_observed_at,
            stale=stale,
            callsign=f"Drone {name}",
            remarks=", ".join(facts),
        )
    ]
    if track.operator_lat is not None:
        events.append(
            _event(
                uid=f"{track_uid(track.pk)}-pilot",
                cot_type=f"a-{AFFILIATION.get(track.classification, 'u')}-{PILOT}",
                how=HOW_TRACK,
                lat=track.operator_lat,
                lon=track.operator_lon,
                now=now,
                start=track.operator_observed_at,
                stale=stale,
                callsign=f"Pilot of {name}",
                remarks=f"pilot position from Remote ID of drone {name}",
                # The pilot belongs to the drone's track (a parent-child link TAK draws a line for).
                children=[
                    _element("link", uid=track_uid(track.pk), type=track_type(track.classification), relation="p-p")
                ],
            )
        )
    return events


def _style(colour):
    fill = (colour & 0x00FFFFFF) | (FILL_ALPHA << 24)
    fill = fill - (1 << 32) if fill >= 1 << 31 else fill
    return [
        _element("strokeColor", value=colour),
        _element("strokeWeight", value="3.0"),
        _element("fillColor", value=fill),
        _element("labels_on", value="true"),
    ]


def permit_event(permit: dict, *, now) -> ET.Element:
    """A permit in effect as the shape TAK draws: its circle or polygon, named by its reference, until
    its window ends. `permit` is the notification payload's permit (air_defense/notifications.py)."""
    area = permit["area"]
    facts = (
        f"{permit['operator']}: {permit['aircraft']['serial_number']} (Remote ID {permit['aircraft']['remote_id']}), "
        f"{permit['min_altitude_m']:g}-{permit['max_altitude_m']:g} m, {permit['starts_at']} to {permit['ends_at']}"
    )
    colour = GREEN if permit["state"] == "active" else AMBER
    common = {
        "uid": permit_uid(permit["reference"]),
        "how": HOW_PERMIT,
        "now": now,
        "stale": datetime.fromisoformat(permit["ends_at"]),
        "callsign": f"Permit {permit['reference']}",
        "remarks": facts,
    }
    if area["type"] == "Point":
        lon, lat = area["coordinates"]
        radius = permit["radius_m"]
        shape = _element("shape")
        shape.append(_element("ellipse", major=radius, minor=radius, angle=360))
        return _event(cot_type=CIRCLE, lat=lat, lon=lon, children=[shape, *_style(colour)], **common)
    ring = area["coordinates"][0]
    vertices = [_element("link", point=f"{lat:.{PRECISION}f},{lon:.{PRECISION}f}") for lon, lat in ring]
    lon = sum(lon for lon, _ in ring[:-1]) / (len(ring) - 1)
    lat = sum(lat for _, lat in ring[:-1]) / (len(ring) - 1)
    return _event(cot_type=POLYGON, lat=lat, lon=lon, children=[*vertices, *_style(colour)], **common)


def delete_event(uid, *, now) -> ET.Element:
    """Take an item off the TAK map (TAK's delete: a t-x-d-d naming it, forced)."""
    return _event(
        uid=f"{uid}-delete",
        cot_type=DELETE,
        how="m-g",
        lat=0,
        lon=0,
        now=now,
        stale=now + timedelta(seconds=60),
        children=[_element("link", uid=uid, relation="none", type="none"), _element("__forcedelete")],
    )


def _alert_position(notification):
    payload = notification.payload
    for key in ("track", "swarm", "sensor"):
        part = payload.get(key)
        if not part:
            continue
        position = part.get("position") or part.get("centre") or part.get("last_position")
        if position and position.get("lat") is not None:
            return position["lat"], position["lon"]
    permit = payload.get("permit")
    if permit and permit.get("area"):
        area = permit["area"]
        lon, lat = area["coordinates"] if area["type"] == "Point" else area["coordinates"][0][0]
        return lat, lon
    return None


def alert_events(notification, *, now, stale_s) -> list[ET.Element]:
    """An alert as TAK shows it, and what it changes on the map: a permit approved or activated is
    drawn, one revoked, cancelled or completed is taken off."""
    events = []
    kind = notification.kind
    permit = notification.payload.get("permit")
    if kind.startswith("permit.") and permit:
        if kind in ("permit.approved", "permit.activated"):
            events.append(permit_event(permit, now=now))
        else:
            events.append(delete_event(permit_uid(permit["reference"]), now=now))
        if kind != "permit.revoked":
            return events
    position = _alert_position(notification)
    if position is None:
        return events
    lat, lon = position
    subject = notification.payload.get("track") or {}
    name = subject.get("remote_id") or subject.get("sensor_track_id") or ""
    children = []
    if notification.track_id:
        children.append(_element("link", uid=track_uid(notification.track_id), type="a-u-A", relation="p-p"))
    events.append(
        _event(
            uid=alert_uid(notification.pk),
            cot_type=ALERT_BREACH if kind in BREACH_KINDS else ALERT_NOTICE,
            how=HOW_TRACK,
            lat=lat,
            lon=lon,
            now=now,
            start=notification.created_at,
            stale=now + timedelta(seconds=stale_s),
            callsign=f"{notification.severity.upper()} {kind} {name}".strip(),
            remarks=_alert_remarks(notification),
            children=children,
        )
    )
    return events


def _alert_remarks(notification):
    payload = notification.payload
    facts = [notification.kind, notification.severity]
    track = payload.get("track") or {}
    if track.get("classification"):
        facts.append(track["classification"])
    if payload.get("zone"):
        facts.append(f"zone {payload['zone']['name']} ({payload['zone']['kind']})")
    if payload.get("permit"):
        facts.append(f"permit {payload['permit']['reference']}")
    pilot = track.get("operator_position")
    if pilot:
        facts.append(f"pilot at {pilot['lat']:.6f}, {pilot['lon']:.6f}")
    return "; ".join(facts)


def serialize(event: ET.Element) -> bytes:
    return pytak.serialize_cot(event)
