"""The hot path's shortcuts give the answers of the plain code they replace: a batch parsed column by
column (reports.py) is what the report-by-report parse makes of it, and the arrays the track
statements send in PostgreSQL's binary format (database.py) read back as the values sent."""

from datetime import UTC, timedelta

import numpy as np
import pytest
from django.utils import timezone

from airspace.surveillance import reports
from airspace.surveillance.database import binary_array, server_binding_cursor


def report(n, **change):
    at = timezone.now() - timedelta(seconds=n % 7)
    return {
        "sensor_track_id": f" track-{n % 5} ",
        "remote_id": f"rid-{n % 3}",
        "observed_at": at.isoformat(),
        "lat": 33.25 + n * 1e-4,
        "lon": 44.3,
        "altitude_m": 60 + n,
        **change,
    }


def assert_same_batch(column_wise, reference):
    for field in reports.ReportBatch.__dataclass_fields__:
        mine, theirs = getattr(column_wise, field), getattr(reference, field)
        if isinstance(theirs, np.ndarray):
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), field
        else:
            assert mine == theirs, field
            assert [type(value) for value in mine or []] == [type(value) for value in theirs or []], field


BATCHES = {
    "plain": [report(n) for n in range(50)],
    "integers where floats are usual": [report(n, lat=33, lon=44, altitude_m=0) for n in range(5)],
    "edges of every range": [report(0, lat=-90, lon=180, altitude_m=-100, speed_mps=0, heading_deg=360)],
    "optional numbers on some reports": [report(n, speed_mps=n or None, heading_deg=None) for n in range(6)],
    "one sweep time for the batch": [report(n, observed_at=timezone.now().isoformat()) for n in range(8)],
    "times in other offsets": [
        report(n, observed_at=timezone.now().astimezone(timezone.get_fixed_timezone(60 * n)).isoformat())
        for n in range(-3, 4)
    ],
    "Z for UTC": [report(0, observed_at=timezone.now().astimezone(UTC).isoformat().replace("+00:00", "Z"))],
    "no identifier, or a blank one": [report(0, remote_id=None), report(1, remote_id="  "), report(2)],
    "identifiers in any case and non-ASCII": [report(0, remote_id=" rid-ß "), report(1, remote_id="Rid-Ä")],
    "pilot positions on some reports": [
        report(0, operator={"lat": 33.2, "lon": 44.2}),
        report(1),
        report(2, operator={"lat": 33.2, "lon": 44.2, "altitude_m": 3}),
    ],
}


@pytest.mark.parametrize("name", BATCHES)
def test_the_column_parse_gives_the_report_by_report_answer(name):
    now = timezone.now() + timedelta(seconds=1)
    batch = BATCHES[name]
    assert_same_batch(reports._parse_columns(batch, now), reports._parse_each(batch, now))


@pytest.mark.parametrize(
    "change",
    [
        {"lat": True},
        {"lat": "33.3"},
        {"altitude_m": 20_001},
        {"speed_mps": -0.5},
        {"observed_at": "2026-11-24T10:00:00"},
        {"observed_at": 1_700_000_000},
        {"observed_at": ["2026-11-24T10:00:00Z"]},
        {"remote_id": 7},
        {"remote_id": "x" * 65},
        {"sensor_track_id": "   "},
        {"sensor_track_id": "a\x00b"},
        {"operator": {"lat": 91, "lon": 44}},
    ],
)
def test_a_batch_the_column_parse_does_not_vouch_for_goes_report_by_report(change):
    """Anything unusual is left to the reference parse, which names the report and field."""
    now = timezone.now() + timedelta(seconds=1)
    batch = [report(0), report(1, **change), report(2)]
    with pytest.raises(reports._NotPlain):
        reports._parse_columns(batch, now)
    with pytest.raises(reports.ValidationError) as error:
        reports.parse_report_batch({"reports": batch}, now=now)
    assert list(error.value.detail["reports"]) == ["1"]


COLUMNS = [
    ("float8", [1.5, -0.25, 1e300]),
    ("float8", np.array([33.25, 44.3])),
    ("float8", [None, 2.0, None]),
    ("float8", [None, None]),
    ("bigint", [1, 2**40, -3]),
    ("bigint", [None, 7]),
    ("text", ["rid:ABC", "sensor:1:t-1", "", "ß ✈ Ä"]),
    ("text", [None, "x"]),
    ("timestamptz", [timezone.now(), timezone.now() - timedelta(days=400, microseconds=1)]),
    ("timestamptz", [None, timezone.now().astimezone(timezone.get_fixed_timezone(180))]),
    ("text", []),
    ("float8", []),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("pg_type", "values"), COLUMNS)
def test_binary_arrays_read_back_as_the_values_sent(pg_type, values):
    with server_binding_cursor() as cursor:
        cursor.execute(f"SELECT %b::{pg_type}[]", [binary_array(values, pg_type)])
        (read,) = cursor.fetchone()
    assert read == list(values)
