"""The evidence kept bounded (airspace/surveillance/evidence.py): one partition per day of observed_at
on PostgreSQL, made ahead by the clock; a day past retention archived to a gzip CSV that is checked
before the partition is dropped; nothing dropped when the archive fails; the embedded SQLite demo
with its plain table — against the real PostgreSQL, through the real API where reports come in."""

import csv
import gzip
import logging
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from airspace.surveillance import evidence, tasks
from airspace.surveillance.models import PositionReport, Track
from tests.deployment.test_embedded import run_embedded
from tests.surveillance.reports import REPORTS, report

pytestmark = pytest.mark.django_db


def partition_of(report_id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {evidence.table()} WHERE id = %s", [report_id])
        return cursor.fetchone()[0]


def partition_names():
    return {partition.name for partition in evidence.partitions()}


def day(days_from_today):
    return evidence.start_of_day(timezone.now()) + timedelta(days=days_from_today)


@pytest.fixture
def track():
    now = timezone.now()
    return Track.objects.create(
        identity="sensor:0:evidence",
        sensor_track_id="evidence",
        classification="unregistered",
        classification_changed_at=now,
        last_lat=33.25,
        last_lon=44.30,
        last_altitude_m=60,
        last_observed_at=now,
        first_seen_at=now,
    )


def store(track, observed_at, count=1, sensor_track_id="evidence"):
    return PositionReport.objects.bulk_create(
        PositionReport(
            track=track,
            sensor_track_id=sensor_track_id,
            observed_at=observed_at + timedelta(seconds=index),
            received_at=timezone.now(),
            lat=33.25 + index / 1e5,
            lon=44.30,
            altitude_m=60 + index,
            classification="unregistered",
        )
        for index in range(count)
    )


def read_archive(path):
    with gzip.open(path, "rt", newline="") as archive:
        return list(csv.DictReader(archive))


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.EVIDENCE_RETENTION_DAYS = 30
    settings.EVIDENCE_ARCHIVE_DIR = str(tmp_path / "archive")
    return tmp_path / "archive"


# --- partitions ahead --------------------------------------------------------------------------


def test_the_evidence_is_partitioned_by_day_of_observation_on_postgresql():
    assert evidence.is_partitioned()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef(to_regclass(%s))", [evidence.table()])
        assert cursor.fetchone()[0] == "RANGE (observed_at)"
    assert evidence.default_partition() in partition_names()


def test_the_clock_makes_the_days_ahead_once(settings):
    settings.EVIDENCE_PARTITIONS_AHEAD_DAYS = 3
    later = timezone.now() + timedelta(days=60)
    created = evidence.create_partitions_ahead(now=later)
    expected = [evidence.day_partition(later + timedelta(days=offset)) for offset in range(4)]
    assert created == expected
    assert set(expected) <= partition_names()
    assert evidence.create_partitions_ahead(now=later) == []


def test_the_periodic_task_is_on_the_beat_schedule_and_makes_the_days_ahead(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["maintain-evidence"]
    assert schedule["task"] == tasks.maintain_evidence.name
    settings.EVIDENCE_RETENTION_DAYS = 0
    settings.EVIDENCE_PARTITIONS_AHEAD_DAYS = 2
    tasks.maintain_evidence()
    for offset in range(3):
        assert evidence.day_partition(day(offset)) in partition_names()


def test_a_posted_report_lands_in_the_partition_of_its_day(sensor_user, client_for):
    evidence.create_partitions_ahead()
    yesterday = timezone.now() - timedelta(hours=23)
    evidence.create_day_partition(yesterday)
    client = client_for(sensor_user)
    response = client.post(REPORTS, {"reports": [report("now"), report("late", at=yesterday)]}, format="json")
    assert response.status_code == 200, response.content
    now_report = PositionReport.objects.get(sensor_track_id="now")
    late_report = PositionReport.objects.get(sensor_track_id="late")
    assert partition_of(now_report.pk) == evidence.day_partition(timezone.now())
    assert partition_of(late_report.pk) == evidence.day_partition(yesterday)
    # Django still reads a report by its id (the admin does), though the key is (id, observed_at).
    assert PositionReport.objects.get(pk=late_report.pk).sensor_track_id == "late"


def test_a_report_whose_day_has_no_partition_is_kept_and_moves_into_it_when_made(track):
    far = day(90) + timedelta(hours=5)
    assert not any(partition.covers(far) for partition in evidence.partitions())
    (kept,) = store(track, far)
    assert partition_of(kept.pk) == evidence.default_partition()
    assert evidence.create_partitions_ahead(now=far, days=0) == [evidence.day_partition(far)]
    assert partition_of(kept.pk) == evidence.day_partition(far)
    assert PositionReport.objects.get(pk=kept.pk).observed_at == far


# --- retention and archive ----------------------------------------------------------------------


def test_a_day_past_retention_is_archived_with_every_report_then_dropped(track, archive_dir):
    old_day = day(-100)
    evidence.create_day_partition(old_day)
    reports = store(track, old_day + timedelta(hours=1), count=250)
    # A field with the characters CSV must quote survives the round trip.
    (awkward,) = store(track, old_day + timedelta(hours=2), sensor_track_id='a,"b"\nc')
    (recent,) = store(track, timezone.now())
    name = evidence.day_partition(old_day)

    outcome = evidence.apply_retention()

    archive = archive_dir / f"{name}.csv.gz"
    assert outcome["archived"] == [{"partition": name, "rows": 251, "archive": str(archive)}]
    assert outcome["failed"] == []
    assert name not in partition_names()
    rows = read_archive(archive)
    assert sorted(int(row["id"]) for row in rows) == sorted(r.pk for r in [*reports, awkward])
    assert {row["sensor_track_id"] for row in rows} == {"evidence", 'a,"b"\nc'}
    assert {row["track_id"] for row in rows} == {str(track.pk)}
    assert not list(archive_dir.glob("*.partial"))
    # The track keeps its reference and its recent evidence; only the archived day left the table.
    assert Track.objects.filter(pk=track.pk).exists()
    assert list(PositionReport.objects.filter(track=track).values_list("pk", flat=True)) == [recent.pk]


def test_an_archive_can_be_loaded_back_for_an_investigation(track, archive_dir):
    old_day = day(-100)
    evidence.create_day_partition(old_day)
    reports = store(track, old_day, count=20)
    evidence.apply_retention()
    archive = archive_dir / f"{evidence.day_partition(old_day)}.csv.gz"

    call_command("evidence", "restore", str(archive), "--into", "investigation_reports")

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, altitude_m FROM investigation_reports ORDER BY id")
        assert cursor.fetchall() == [(r.pk, r.altitude_m) for r in reports]


def test_a_failing_archive_drops_nothing_and_says_so(track, settings, tmp_path, caplog):
    settings.EVIDENCE_RETENTION_DAYS = 30
    not_a_folder = tmp_path / "archive"
    not_a_folder.write_text("a file where the archive folder should be")
    settings.EVIDENCE_ARCHIVE_DIR = str(not_a_folder / "evidence")
    old_day = day(-100)
    evidence.create_day_partition(old_day)
    reports = store(track, old_day, count=10)
    name = evidence.day_partition(old_day)

    with caplog.at_level(logging.ERROR, logger="airspace.evidence"):
        outcome = evidence.apply_retention()

    assert outcome == {"archived": [], "failed": [name]}
    assert name in partition_names()
    assert PositionReport.objects.filter(pk__in=[r.pk for r in reports]).count() == 10
    assert any("EVIDENCE NOT ARCHIVED" in record.message and name in record.message for record in caplog.records)


def test_the_command_fails_loudly_when_an_archive_fails(track, settings, tmp_path):
    settings.EVIDENCE_RETENTION_DAYS = 30
    (tmp_path / "file").write_text("")
    settings.EVIDENCE_ARCHIVE_DIR = str(tmp_path / "file" / "evidence")
    old_day = day(-100)
    evidence.create_day_partition(old_day)
    store(track, old_day, count=3)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=evidence.day_partition(old_day)):
        call_command("evidence", "maintain")
    assert evidence.day_partition(old_day) in partition_names()


def test_a_day_within_retention_is_kept(track, archive_dir):
    within = day(-29)
    evidence.create_day_partition(within)
    store(track, within, count=3)
    assert evidence.apply_retention()["archived"] == []
    assert evidence.day_partition(within) in partition_names()


def test_a_day_the_endpoint_may_still_write_to_is_kept_whatever_the_retention(track, archive_dir, settings):
    # Reports up to 72 hours old are accepted: a day two days ago may still receive some, so it is not
    # archived yet though a retention of one day has passed (its archive would miss them).
    settings.EVIDENCE_RETENTION_DAYS = 1
    settings.TRACK_MAX_REPORT_AGE_H = 72
    two_days_ago = day(-2)
    evidence.create_day_partition(two_days_ago)
    store(track, two_days_ago, count=3)
    assert evidence.apply_retention()["archived"] == []
    assert evidence.day_partition(two_days_ago) in partition_names()
    settings.TRACK_MAX_REPORT_AGE_H = 24
    assert [done["partition"] for done in evidence.apply_retention()["archived"]] == [
        evidence.day_partition(two_days_ago)
    ]


def test_reports_past_retention_in_the_default_partition_are_archived_and_deleted(track, archive_dir):
    # A day that never had a partition (the clock was down), long ago.
    old = day(-200) + timedelta(hours=3)
    kept_in_default = store(track, old, count=5)
    assert {partition_of(r.pk) for r in kept_in_default} == {evidence.default_partition()}

    outcome = evidence.apply_retention()

    (swept,) = outcome["archived"]
    assert swept["partition"] == evidence.default_partition() and swept["rows"] == 5
    assert sorted(int(row["id"]) for row in read_archive(swept["archive"])) == [r.pk for r in kept_in_default]
    assert not PositionReport.objects.filter(pk__in=[r.pk for r in kept_in_default]).exists()


def test_one_process_maintains_the_evidence_at_a_time(django_db_blocker):
    # Another session holds the maintenance lock (a second beat, a person running the command).
    import psycopg

    settings_dict = connection.settings_dict
    other = psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [evidence.MAINTENANCE_LOCK])
        assert "skipped" in evidence.maintain_evidence()
        other.execute("SELECT pg_advisory_unlock(%s)", [evidence.MAINTENANCE_LOCK])
        assert "skipped" not in evidence.maintain_evidence()
    finally:
        other.close()


# --- the embedded demo ----------------------------------------------------------------------------


def test_the_embedded_demo_keeps_one_plain_table_and_the_clock_job_does_nothing(tmp_path):
    outcome = run_embedded(
        """
        import json
        import django
        django.setup()
        from io import StringIO
        from django.core.management import call_command
        from django.utils import timezone
        from airspace.surveillance import evidence, tasks
        from airspace.surveillance.models import PositionReport, Track

        call_command("migrate", verbosity=0)
        now = timezone.now()
        track = Track.objects.create(
            identity="sensor:0:e", classification="unregistered", classification_changed_at=now,
            last_lat=33.2, last_lon=44.3, last_altitude_m=60, last_observed_at=now, first_seen_at=now,
        )
        PositionReport.objects.create(
            track=track, sensor_track_id="e", observed_at=now, received_at=now, lat=33.2, lon=44.3,
            altitude_m=60, classification="unregistered",
        )
        out = StringIO()
        call_command("evidence", "maintain", stdout=out)
        print(json.dumps({
            "partitioned": evidence.is_partitioned(),
            "task": tasks.maintain_evidence(),
            "command": out.getvalue(),
            "reports": PositionReport.objects.count(),
        }))
        """,
        tmp_path,
    )
    assert outcome["partitioned"] is False
    assert outcome["task"] == {}
    assert "plain table" in outcome["command"]
    assert outcome["reports"] == 1


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def scratch_database():
    """A database of its own for a migration run in a child process (the test database is already
    migrated), dropped afterwards."""
    import psycopg

    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_migration"
    params = {
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['password']}" if params["password"] else ""
    yield f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_keeps_the_reports_already_stored_and_their_ids(scratch_database, tmp_path):
    import json
    import subprocess
    import sys
    import textwrap

    from tests.fixtures_celery import ROOT

    code = """
        import json
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from airspace.surveillance import evidence

        call_command("migrate", "airspace", "0015", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO airspace_positionreport (track_id, sensor_track_id, remote_id, observed_at, "
                "received_at, lat, lon, altitude_m, classification) SELECT 7, 'old-' || n, '', "
                "now() - n * interval '1 hour', now(), 33.3, 44.4, 60, 'unregistered' "
                "FROM generate_series(1, 100) AS n"
            )
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), max(id) FROM airspace_positionreport")
            kept, highest = cursor.fetchone()
            cursor.execute(
                "INSERT INTO airspace_positionreport (track_id, sensor_track_id, remote_id, observed_at, "
                "received_at, lat, lon, altitude_m, classification) VALUES (7, 'new', '', now(), now(), "
                "33.3, 44.4, 60, 'unregistered') RETURNING id, tableoid::regclass::text"
            )
            new_id, new_partition = cursor.fetchone()
            cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM airspace_positionreport WHERE id <= 100")
            old_partitions = [row[0] for row in cursor.fetchall()]
        print(json.dumps({
            "partitioned": evidence.is_partitioned(),
            "kept": kept, "highest": highest, "new_id": new_id, "new_partition": new_partition,
            "old_partitions": old_partitions,
            "partitions": [p.name for p in evidence.partitions()],
        }))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": scratch_database, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["partitioned"] is True
    assert (outcome["kept"], outcome["highest"]) == (100, 100)
    # Ids go on from where they were: one id still names one report.
    assert outcome["new_id"] == 101
    tomorrow = evidence.start_of_day(timezone.now()) + timedelta(days=1)
    assert outcome["old_partitions"] == [f"{evidence.table()}_before_{tomorrow:%Y%m%d}"]
    assert outcome["new_partition"] == outcome["old_partitions"][0]
    assert evidence.day_partition(tomorrow) in outcome["partitions"]
    assert evidence.default_partition() in outcome["partitions"]
