"""A batch of sensor position reports as it arrives: checked field by field (a 400 names the report's
index and the field) and turned into the columns the vectorized classification works on.

Hand-written rather than a DRF serializer per report: a batch holds up to a thousand reports and
this is the hot path (a serializer per report costs more than classifying the whole batch)."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat

import numpy as np
from django.conf import settings
from rest_framework.exceptions import ValidationError

from airspace.registry.identifiers import normalize_identifier

MAX_TRACK_ID_LENGTH = 100
MAX_REMOTE_ID_LENGTH = 64
# Altitudes in metres above ground; below -100 or above 20 km is a broken sensor, not a drone.
MIN_ALTITUDE_M = -100.0
MAX_ALTITUDE_M = 20_000.0
MAX_SPEED_MPS = 1_000.0


@dataclass(frozen=True)
class ReportBatch:
    """One batch, column by column, in the order the sensor sent it."""

    sensor_track_ids: list[str]
    remote_ids: list[str | None]
    observed_at: list[datetime]
    observed_at_s: np.ndarray  # POSIX seconds, for vectorized window checks
    lat: np.ndarray
    lon: np.ndarray
    altitude_m: np.ndarray
    speed_mps: list[float | None]
    heading_deg: list[float | None]
    # Where the pilot is, when the report says (Remote ID's operator location): one dict
    # {"lat", "lon", "altitude_m"} or None per report; None for the whole batch when no report has one.
    operators: list[dict | None] | None = None

    def __len__(self):
        return len(self.sensor_track_ids)


class _BadReport(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _number(report, field, low, high, *, required=True):
    value = report.get(field)
    if value is None:
        if required:
            raise _BadReport(field, "This field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _BadReport(field, f"Must be a number, got {value!r}.")
    if not low <= value <= high:
        raise _BadReport(field, f"Must be between {low:g} and {high:g}, got {value:g}.")
    return float(value)


def _text(report, field, max_length, *, required=True):
    value = report.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _BadReport(field, "This field is required.")
        return None
    if not isinstance(value, str):
        raise _BadReport(field, f"Must be a string, got {value!r}.")
    value = value.strip()
    if len(value) > max_length:
        raise _BadReport(field, f"At most {max_length} characters.")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL: stored as is, it fails the whole batch with a 500.
        raise _BadReport(field, "Must not contain NUL characters.")
    return value


def _identifier(report, field, max_length):
    """An optional serial number or Remote ID, normalized as it enters (registry/identifiers.py): the registry
    lookup, the track's identity and the evidence all use the one spelling the registry stores.
    The length is checked again after upper-casing, which can lengthen non-ASCII text ("ß" -> "SS")."""
    value = normalize_identifier(_text(report, field, max_length, required=False))
    if value is not None and len(value) > max_length:
        raise _BadReport(field, f"At most {max_length} characters.")
    return value


def _time(report, now):
    value = report.get("observed_at")
    if value is None:
        raise _BadReport("observed_at", "This field is required.")
    try:
        observed_at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        observed_at = None
    if observed_at is None:
        raise _BadReport("observed_at", f"Must be an ISO 8601 time such as 2026-11-24T14:00:00Z, got {value!r}.")
    if observed_at.tzinfo is None:
        raise _BadReport("observed_at", "Give the time zone, e.g. 2026-11-24T14:00:00Z or +03:00.")
    if observed_at > now + timedelta(seconds=settings.TRACK_MAX_CLOCK_SKEW_S):
        raise _BadReport("observed_at", "Is in the future; check the sensor's clock.")
    if observed_at < now - timedelta(hours=settings.TRACK_MAX_REPORT_AGE_H):
        raise _BadReport("observed_at", f"Is older than {settings.TRACK_MAX_REPORT_AGE_H:g} hours.")
    # ISO 8601 allows offsets up to ±23:59, PostgreSQL only up to ±15:59: store and compare in UTC.
    return observed_at.astimezone(UTC)


def _operator(report):
    """The optional pilot position of a report: {"lat", "lon", "altitude_m"} (altitude optional)."""
    value = report.get("operator")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _BadReport("operator", "Must be an object with lat, lon and optionally altitude_m.")
    try:
        return {
            "lat": _number(value, "lat", -90, 90),
            "lon": _number(value, "lon", -180, 180),
            "altitude_m": _number(value, "altitude_m", MIN_ALTITUDE_M, MAX_ALTITUDE_M, required=False),
        }
    except _BadReport as bad:
        raise _BadReport("operator", f"{bad.field}: {bad}") from None


def parse_report_batch(body, *, now) -> ReportBatch:
    """Check a request body `{"reports": [...]}`; raise a ValidationError naming every bad report's
    index and field, so that nothing of a bad batch is stored."""
    if not isinstance(body, dict) or "reports" not in body:
        raise ValidationError({"reports": ["This field is required."]})
    reports = body["reports"]
    if not isinstance(reports, list):
        raise ValidationError({"reports": ["Must be a list of reports."]})
    if not reports:
        raise ValidationError({"reports": ["Send at least one report."]})
    batch_max = settings.TRACK_REPORT_BATCH_MAX
    if len(reports) > batch_max:
        raise ValidationError({"reports": [f"At most {batch_max} reports per request, got {len(reports)}."]})

    try:
        return _parse_columns(reports, now)
    except _NotPlain:
        # Something in the batch is not the plain case (a wrong type, a value out of range, an
        # operator position): report by report, naming every bad one.
        return _parse_each(reports, now)


class _NotPlain(Exception):
    """The column-wise parse cannot vouch for the batch; the report-by-report one decides."""


NUMBERS = (float, int)
NONE = type(None)


def _column(reports, field):
    return list(map(dict.get, reports, repeat(field)))


def _numbers(reports, field, low, high, *, required=True):
    """A numeric column as a numpy array, checked all at once: every value a JSON number (a bool is
    not one) within [low, high]; without `required`, None (left out) too, then a list of floats and
    Nones. Anything else is left to the report-by-report parse."""
    values = _column(reports, field)
    kinds = set(map(type, values))
    if not required and kinds == {NONE}:
        return [None] * len(values)
    if not kinds <= {float, int, NONE} or (required and NONE in kinds):
        raise _NotPlain
    present = values if NONE not in kinds else [value for value in values if value is not None]
    try:
        array = np.array(present, dtype=float)
    except OverflowError:
        raise _NotPlain from None
    # NaN fails both comparisons, as in _number.
    if not ((array >= low) & (array <= high)).all():
        raise _NotPlain
    if required:
        return array
    if NONE not in kinds:
        return array.tolist()
    floats = iter(array.tolist())
    return [None if value is None else next(floats) for value in values]


def _distinct(reports, field, parse):
    """A column whose values repeat within a batch (the same drone, the same sweep time): each
    distinct value checked once by the report-by-report function `parse`, as though alone."""
    values = _column(reports, field)
    try:
        distinct = set(values)
    except TypeError:  # a list or an object where a string belongs
        raise _NotPlain from None
    try:
        parsed = {value: parse({field: value}) for value in distinct}
    except _BadReport:
        raise _NotPlain from None
    return values, parsed


def _times(reports, now):
    """The observed_at column: each distinct time parsed once, with C-level maps (what _time does, a
    batch at a time): an ISO 8601 string with its time zone, not in the future past the allowed clock
    skew, not too old; in UTC."""
    values = _column(reports, "observed_at")
    try:
        distinct = list(set(values))
        parsed = list(map(datetime.fromisoformat, distinct))
    except (TypeError, ValueError):  # not a string, or not a time
        raise _NotPlain from None
    if None in map(datetime.utcoffset, parsed):
        raise _NotPlain
    # Aware times compare as instants whatever their offsets.
    if max(parsed) > now + timedelta(seconds=settings.TRACK_MAX_CLOCK_SKEW_S):
        raise _NotPlain
    if min(parsed) < now - timedelta(hours=settings.TRACK_MAX_REPORT_AGE_H):
        raise _NotPlain
    return values, dict(zip(distinct, map(datetime.astimezone, parsed, repeat(UTC)), strict=True))


def _parse_columns(reports, now):
    """The whole batch column by column, with no Python object per report beyond its values: C-level
    `map`s over the reports, numpy range checks, and each distinct time or identifier parsed once.
    Raises _NotPlain for anything it does not vouch for; what it returns is what _parse_each would."""
    if set(map(type, reports)) != {dict}:
        raise _NotPlain
    count = len(reports)
    track_ids = _column(reports, "sensor_track_id")
    if set(map(type, track_ids)) != {str}:
        raise _NotPlain
    track_ids = list(map(str.strip, track_ids))
    if not all(track_ids) or max(map(len, track_ids)) > MAX_TRACK_ID_LENGTH or "\x00" in "".join(track_ids):
        raise _NotPlain
    times, parsed_times = _times(reports, now)
    remote_ids, parsed_ids = _distinct(
        reports, "remote_id", lambda report: _identifier(report, "remote_id", MAX_REMOTE_ID_LENGTH)
    )
    lat = _numbers(reports, "lat", -90, 90)
    lon = _numbers(reports, "lon", -180, 180)
    altitude_m = _numbers(reports, "altitude_m", MIN_ALTITUDE_M, MAX_ALTITUDE_M)
    speed_mps = _numbers(reports, "speed_mps", 0, MAX_SPEED_MPS, required=False)
    heading_deg = _numbers(reports, "heading_deg", 0, 360, required=False)
    operators = _column(reports, "operator")
    if set(map(type, operators)) == {NONE}:
        operators = None
    else:
        try:
            operators = [_operator(report) for report in reports]
        except _BadReport:
            raise _NotPlain from None
        operators = operators if any(operators) else None
    seconds = {value: observed_at.timestamp() for value, observed_at in parsed_times.items()}
    return ReportBatch(
        sensor_track_ids=track_ids,
        remote_ids=list(map(parsed_ids.__getitem__, remote_ids)),
        observed_at=list(map(parsed_times.__getitem__, times)),
        observed_at_s=np.fromiter(map(seconds.__getitem__, times), dtype=float, count=count),
        lat=lat,
        lon=lon,
        altitude_m=altitude_m,
        speed_mps=speed_mps,
        heading_deg=heading_deg,
        operators=operators,
    )


def _parse_each(reports, now):
    """Report by report: the reference parse, and the one that names each bad report's index and field."""
    count = len(reports)
    sensor_track_ids, remote_ids, observed_at = [], [], []
    speed_mps, heading_deg, operators = [], [], []
    lat, lon, altitude_m = np.empty(count), np.empty(count), np.empty(count)
    errors = {}
    for index, report in enumerate(reports):
        if not isinstance(report, dict):
            errors[str(index)] = {"non_field_errors": ["Must be an object."]}
            continue
        try:
            sensor_track_ids.append(_text(report, "sensor_track_id", MAX_TRACK_ID_LENGTH))
            observed_at.append(_time(report, now))
            lat[index] = _number(report, "lat", -90, 90)
            lon[index] = _number(report, "lon", -180, 180)
            altitude_m[index] = _number(report, "altitude_m", MIN_ALTITUDE_M, MAX_ALTITUDE_M)
            remote_ids.append(_identifier(report, "remote_id", MAX_REMOTE_ID_LENGTH))
            speed_mps.append(_number(report, "speed_mps", 0, MAX_SPEED_MPS, required=False))
            heading_deg.append(_number(report, "heading_deg", 0, 360, required=False))
            operators.append(_operator(report))
        except _BadReport as bad:
            errors[str(index)] = {bad.field: [str(bad)]}
    if errors:
        raise ValidationError({"reports": errors})
    return ReportBatch(
        sensor_track_ids=sensor_track_ids,
        remote_ids=remote_ids,
        observed_at=observed_at,
        observed_at_s=np.fromiter((t.timestamp() for t in observed_at), dtype=float, count=count),
        lat=lat,
        lon=lon,
        altitude_m=altitude_m,
        speed_mps=speed_mps,
        heading_deg=heading_deg,
        operators=operators if any(operators) else None,
    )
