"""What Remote ID receivers produce, turned into the sensor reports of reports.py: the ASTM F3411
Network Remote ID shapes (RIDFlight with its current_state, RIDFlightDetails with uas_id and
operator_location, as F3411-22a names them) and the OpenDroneID message set (Basic ID,
Location/Vector, System, Operator ID, Self-ID; the field names of opendroneid-core-c's ODID_*_data
structures). The Remote ID is the report's identifier, the System message's operator location its
`operator`. docs/REMOTE_ID.md has the mapping table.

All or nothing: any bad message is a ValidationError naming the message (its list and index), the
message type and the field, and nothing of the request is stored."""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from rest_framework.exceptions import ValidationError

from .reports import MAX_ALTITUDE_M, MAX_REMOTE_ID_LENGTH, MAX_TRACK_ID_LENGTH, MIN_ALTITUDE_M

# The values Remote ID sends for "unknown" (F3411 and opendroneid.h: INV_DIR, INV_SPEED_H, INV_ALT).
UNKNOWN_DIRECTION = 361
UNKNOWN_SPEED = 255
UNKNOWN_ALTITUDE = -1000
UNKNOWN_TIMESTAMP = 0xFFFF
# ODID_IDTYPE_*: the identifier a registry knows first (serial number, then the CAA registration).
ID_TYPE_PREFERENCE = {1: 0, 2: 1, 3: 2, 4: 3}
# ODID_STATUS_*: 0 undeclared .. 4 Remote ID system failure.
MAX_STATUS = 4


class _Bad(Exception):
    def __init__(self, path, message):
        super().__init__(message)
        self.path = path


def _nested(path, message):
    """{"a": {"b": ["message"]}} from ("a", "b"): DRF's error shape, naming each level."""
    error = [message]
    for key in reversed(path):
        error = {key: error}
    return error


def _number(parent, field, low=None, high=None, *, required=True, unknown=None):
    value = parent.get(field) if isinstance(parent, dict) else None
    if value is None:
        if required:
            raise _Bad((field,), "This field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Bad((field,), f"Must be a number, got {value!r}.")
    if unknown is not None and value == unknown:
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        raise _Bad((field,), f"Must be between {low:g} and {high:g}, got {value:g}.")
    return float(value)


def _text(parent, field, max_length, *, required=True):
    value = parent.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad((field,), "This field is required.")
        return None
    if not isinstance(value, str):
        raise _Bad((field,), f"Must be a string, got {value!r}.")
    if len(value.strip()) > max_length or "\x00" in value:
        raise _Bad((field,), f"At most {max_length} characters, without NUL.")
    return value.strip()


def _object(parent, field, *, required=True):
    value = parent.get(field)
    if value is None:
        if required:
            raise _Bad((field,), "This field is required.")
        return None
    if not isinstance(value, dict):
        raise _Bad((field,), "Must be an object.")
    return value


def _inside(field, check):
    """Run `check`, prefixing the path of any error with `field`."""
    try:
        return check()
    except _Bad as bad:
        raise _Bad((field, *bad.path), str(bad)) from None


def _time(value, field):
    """An RFC 3339 time, given as a string or as F3411-22a's Time {"value", "format": "RFC3339"}."""
    if isinstance(value, dict):
        if value.get("format", "RFC3339") != "RFC3339":
            raise _Bad((field, "format"), "Only RFC3339 times are known.")
        return _inside(field, lambda: _time(value.get("value"), "value"))
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _Bad((field,), f"Must be an RFC 3339 time with its offset, such as 2026-11-24T14:00:00Z; got {value!r}.")
    return parsed.astimezone(UTC)


def _list(body, key):
    value = body.get(key)
    if not isinstance(value, list):
        raise ValidationError({key: ["Must be a list."]})
    if not value:
        raise ValidationError({key: ["Send at least one."]})
    if len(value) > settings.TRACK_REPORT_BATCH_MAX:
        raise ValidationError({key: [f"At most {settings.TRACK_REPORT_BATCH_MAX} per request, got {len(value)}."]})
    return value


def _translate_each(items, key, translate):
    """One report per item; every bad item named by its index, and nothing returned if any is bad."""
    reports, errors = [], {}
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise _Bad(("non_field_errors",), "Must be an object.")
            reports.append(translate(item))
        except _Bad as bad:
            errors[str(index)] = _nested(bad.path, str(bad))
    if errors:
        raise ValidationError({key: errors})
    return reports


# --- ASTM F3411 Network Remote ID --------------------------------------------------------------


def _uas_id(details):
    """The Remote ID of F3411-22a's UASID: the serial number a registry knows, else the CAA
    registration, else the UTM or session id."""
    uas_id = _object(details, "uas_id", required=False)
    if uas_id is not None:
        for field in ("serial_number", "registration_id", "utm_id", "specific_session_id"):
            value = _inside("uas_id", lambda field=field: _text(uas_id, field, MAX_REMOTE_ID_LENGTH, required=False))
            if value:
                return value
    # F3411-19 put the serial and registration numbers on the details themselves.
    for field in ("serial_number", "registration_number"):
        value = _text(details, field, MAX_REMOTE_ID_LENGTH, required=False)
        if value:
            return value
    return None


def _operator_location(details):
    location = _object(details, "operator_location", required=False)
    if location is None:
        return None

    def read():
        # F3411-22a: {"position": {"lat", "lng"}, "altitude": {"value", ...}}; F3411-19: {"lat", "lng"}.
        position = _object(location, "position", required=False) or location
        where = "position" if position is not location else None

        def point():
            return _number(position, "lat", -90, 90), _number(position, "lng", -180, 180)

        lat, lon = _inside(where, point) if where else point()
        altitude = location.get("altitude")
        altitude_m = None
        if isinstance(altitude, dict):
            altitude_m = _inside("altitude", lambda: _number(altitude, "value", MIN_ALTITUDE_M, MAX_ALTITUDE_M))
        elif altitude is not None:
            altitude_m = _number(location, "altitude", MIN_ALTITUDE_M, MAX_ALTITUDE_M)
        return {"lat": lat, "lon": lon, "altitude_m": altitude_m}

    return _inside("operator_location", read)


def _network_flight(flight, details_by_id):
    flight_id = _text(flight, "id", MAX_TRACK_ID_LENGTH)
    state = _object(flight, "current_state")

    def read_state():
        observed_at = _time(state.get("timestamp"), "timestamp")
        position = _object(state, "position")

        def read_position():
            lat, lon = _number(position, "lat", -90, 90), _number(position, "lng", -180, 180)
            height = _object(position, "height", required=False) or _object(state, "height", required=False)
            if height is None:
                raise _Bad(("height",), "Give the height above ground or take-off: the service works in those.")
            altitude_m = _inside("height", lambda: _number(height, "distance", MIN_ALTITUDE_M, MAX_ALTITUDE_M))
            return lat, lon, altitude_m

        lat, lon, altitude_m = _inside("position", read_position)
        track = _number(state, "track", 0, 360, required=False, unknown=UNKNOWN_DIRECTION)
        speed = _number(state, "speed", 0, 254.25, required=False, unknown=UNKNOWN_SPEED)
        return observed_at, lat, lon, altitude_m, (track % 360 if track is not None else None), speed

    observed_at, lat, lon, altitude_m, heading, speed = _inside("current_state", read_state)
    details = details_by_id.get(flight_id)
    return {
        "sensor_track_id": flight_id,
        "remote_id": _uas_id(details) if details else None,
        "observed_at": observed_at.isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": altitude_m,
        "speed_mps": speed,
        "heading_deg": heading,
        "operator": _operator_location(details) if details else None,
    }


def _details_by_id(body):
    """The flights' RIDFlightDetails, by flight id (optional: a flight without them has no Remote ID)."""
    if body.get("flight_details") is None:
        return {}
    items = _list(body, "flight_details")
    by_id, errors = {}, {}
    for index, details in enumerate(items):
        try:
            if not isinstance(details, dict):
                raise _Bad(("non_field_errors",), "Must be an object.")
            by_id[_text(details, "id", MAX_TRACK_ID_LENGTH)] = details
            _uas_id(details)
            _operator_location(details)
        except _Bad as bad:
            errors[str(index)] = _nested(bad.path, str(bad))
    if errors:
        raise ValidationError({"flight_details": errors})
    return by_id


# --- OpenDroneID message set -------------------------------------------------------------------


def _basic_id(uas):
    """The UASID of the Basic ID message(s) (a drone may send two: serial number and registration)."""
    messages = uas.get("BasicID")
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not messages:
        raise _Bad(("BasicID",), "This message is required: the Remote ID identifies the track.")
    found = []
    for index, message in enumerate(messages):

        def read(message=message):
            if not isinstance(message, dict):
                raise _Bad(("non_field_errors",), "Must be an object.")
            id_type = _number(message, "IDType", 0, 15)
            return int(id_type), _text(message, "UASID", MAX_REMOTE_ID_LENGTH)

        found.append(_inside("BasicID", lambda read=read, index=index: _inside(str(index), read)))
    found.sort(key=lambda pair: ID_TYPE_PREFERENCE.get(pair[0], 9))
    return found[0][1]


def _location_time(location, received_at):
    """The Location message's TimeStamp is tenths of seconds after the full hour: the full hour is
    the receiver's, one hour back if that puts it after the reception."""
    seconds = _number(location, "TimeStamp", 0, 3600, required=False, unknown=UNKNOWN_TIMESTAMP)
    if seconds is None:
        return received_at
    observed_at = received_at.replace(minute=0, second=0, microsecond=0) + timedelta(seconds=seconds)
    if observed_at > received_at + timedelta(seconds=settings.TRACK_MAX_CLOCK_SKEW_S):
        observed_at -= timedelta(hours=1)
    return observed_at


def _odid_uas(uas, received_at):
    remote_id = _basic_id(uas)
    location = _object(uas, "Location")

    def read_location():
        status = _number(location, "Status", 0, MAX_STATUS, required=False)
        lat, lon = _number(location, "Latitude", -90, 90), _number(location, "Longitude", -180, 180)
        if lat == 0 and lon == 0:
            raise _Bad(("Latitude",), "0, 0 is Remote ID's 'no position': nothing to place on the map.")
        height = _number(location, "Height", MIN_ALTITUDE_M, MAX_ALTITUDE_M, unknown=UNKNOWN_ALTITUDE)
        if height is None:
            raise _Bad(("Height",), "Unknown (-1000): the service needs the height above ground or take-off.")
        direction = _number(location, "Direction", 0, 360, required=False, unknown=UNKNOWN_DIRECTION)
        speed = _number(location, "SpeedHorizontal", 0, 254.25, required=False, unknown=UNKNOWN_SPEED)
        return status, lat, lon, height, direction, speed, _location_time(location, received_at)

    _, lat, lon, height, direction, speed, observed_at = _inside("Location", read_location)
    operator = None
    system = _object(uas, "System", required=False)
    if system is not None:

        def read_system():
            op_lat = _number(system, "OperatorLatitude", -90, 90)
            op_lon = _number(system, "OperatorLongitude", -180, 180)
            altitude = _number(
                system, "OperatorAltitudeGeo", MIN_ALTITUDE_M, MAX_ALTITUDE_M, required=False, unknown=UNKNOWN_ALTITUDE
            )
            # 0, 0 is "unknown": a System message without the pilot's position.
            return None if op_lat == 0 and op_lon == 0 else {"lat": op_lat, "lon": op_lon, "altitude_m": altitude}

        operator = _inside("System", read_system)
    operator_id = _object(uas, "OperatorID", required=False)
    if operator_id is not None:
        _inside("OperatorID", lambda: _text(operator_id, "OperatorId", 20, required=False))
    return {
        "sensor_track_id": remote_id[:MAX_TRACK_ID_LENGTH],
        "remote_id": remote_id,
        "observed_at": observed_at.isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": height,
        "speed_mps": speed,
        "heading_deg": direction % 360 if direction is not None else None,
        "operator": operator,
    }


# --- the request -------------------------------------------------------------------------------


def remote_id_reports(body, *, now):
    """The sensor reports ({"reports": [...]}, for parse_report_batch) of a Remote ID request:
    `{"flights": [RIDFlight], "flight_details": [RIDFlightDetails]}` (Network Remote ID) or
    `{"uas_data": [OpenDroneID message set], "received_at": "..."}` (broadcast, as a receiver decoded it).
    The reports are in the order of the flights or message sets, one each."""
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Must be an object with flights or uas_data."]})
    if ("flights" in body) == ("uas_data" in body):
        raise ValidationError(
            {
                "non_field_errors": [
                    "Send either flights (and flight_details: ASTM F3411 Network Remote ID) or uas_data "
                    "(OpenDroneID message sets), one of the two."
                ]
            }
        )
    if "flights" in body:
        flights = _list(body, "flights")
        details = _details_by_id(body)
        return {"reports": _translate_each(flights, "flights", lambda flight: _network_flight(flight, details))}
    received_at = now
    if body.get("received_at") is not None:
        try:
            received_at = _time(body["received_at"], "received_at")
        except _Bad as bad:
            raise ValidationError(_nested(bad.path, str(bad))) from None
        if received_at > now + timedelta(seconds=settings.TRACK_MAX_CLOCK_SKEW_S):
            raise ValidationError({"received_at": ["Is in the future; check the receiver's clock."]})
    uas_data = _list(body, "uas_data")
    return {"reports": _translate_each(uas_data, "uas_data", lambda uas: _odid_uas(uas, received_at))}


# Where each report field came from, to name it in the errors of the checks reports.py makes after
# the translation (a time too old, an identifier too long once normalized).
SOURCE_FIELDS = {
    "flights": {
        "sensor_track_id": ("id",),
        "remote_id": ("uas_id",),
        "observed_at": ("current_state", "timestamp"),
        "lat": ("current_state", "position", "lat"),
        "lon": ("current_state", "position", "lng"),
        "altitude_m": ("current_state", "position", "height", "distance"),
        "speed_mps": ("current_state", "speed"),
        "heading_deg": ("current_state", "track"),
        "operator": ("operator_location",),
    },
    "uas_data": {
        "sensor_track_id": ("BasicID", "UASID"),
        "remote_id": ("BasicID", "UASID"),
        "observed_at": ("Location", "TimeStamp"),
        "lat": ("Location", "Latitude"),
        "lon": ("Location", "Longitude"),
        "altitude_m": ("Location", "Height"),
        "speed_mps": ("Location", "SpeedHorizontal"),
        "heading_deg": ("Location", "Direction"),
        "operator": ("System",),
    },
}


def rename_report_errors(error, source_key):
    """A report's error from parse_report_batch, named by the Remote ID list, message and field it
    came from (each flight or message set is one report, in the same order)."""
    detail = error.detail
    if not (isinstance(detail, dict) and isinstance(detail.get("reports"), dict)):
        return error
    fields = SOURCE_FIELDS[source_key]
    renamed = {}
    for index, report_errors in detail["reports"].items():
        renamed[index] = {}
        for field, messages in report_errors.items():
            path = fields.get(field, (field,))
            target = renamed[index]
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = messages
    return ValidationError({source_key: renamed})
