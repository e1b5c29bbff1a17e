"""The evidence table kept bounded (docs/PERFORMANCE.md, "Evidence storage"): on PostgreSQL the position
reports are partitioned by day of `observed_at`; the clock creates the days ahead, and a day past
EVIDENCE_RETENTION_DAYS is exported to a gzip CSV in EVIDENCE_ARCHIVE_DIR, the archive counted
against the partition, and only then detached and dropped. The embedded SQLite demo keeps one plain
table: everything here is a no-op there.

Why `observed_at` and not `received_at`: every read of the evidence is a track's history by (track,
observed_at) — the trail, an incident's replay — and only the partition key prunes partitions; with
`received_at` each of those reads would probe every day's index. A late report lands in the day it
was seen (the day an investigator looks for). The report endpoint refuses reports older than
TRACK_MAX_REPORT_AGE_H or ahead of the clock by more than TRACK_MAX_CLOCK_SKEW_S (a 400 naming
`observed_at`), so a day older than that is never written again: that is what makes archiving it
then dropping it safe. The DEFAULT partition catches any report whose day has no partition (the
clock stopped for longer than EVIDENCE_PARTITIONS_AHEAD_DAYS): a report is never refused for want
of a partition; the day's partition, once created, takes its rows back from it."""

import csv
import gzip
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import PositionReport

logger = logging.getLogger("airspace.evidence")

DAY = timedelta(days=1)
# Held by the one process that maintains the evidence at a time (two beat processes, a person running
# the command beside the clock): the key is any constant of our own.
MAINTENANCE_LOCK = 0x65766964
# Creating or dropping a partition takes an ACCESS EXCLUSIVE lock on the table every batch writes to:
# wait at most this for it rather than queue every batch behind a long query; the next run retries.
LOCK_TIMEOUT = "5s"


def table():
    return PositionReport._meta.db_table


def default_partition():
    return f"{table()}_default"


def day_partition(day):
    return f"{table()}_p{day:%Y%m%d}"


@dataclass(frozen=True)
class Partition:
    name: str
    # None: unbounded (the default partition, or MINVALUE of the partition a migration made of the
    # table as it was).
    start: datetime | None
    end: datetime | None
    is_default: bool = False

    def covers(self, moment):
        return (
            not self.is_default
            and (self.start is None or self.start <= moment)
            and (self.end is not None and moment < self.end)
        )


def is_partitioned():
    """True on PostgreSQL once the migration has partitioned the table."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table()])
        row = cursor.fetchone()
    return bool(row and row[0])


def partitions():
    """The table's partitions, oldest first, the default one last. The bounds are read back by
    PostgreSQL itself from the partition bound expression (never parsed here)."""
    bound = r"'(.*)'"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname,
                   (regexp_match(pg_get_expr(child.relpartbound, child.oid), %s))[1]::timestamptz,
                   (regexp_match(pg_get_expr(child.relpartbound, child.oid), %s))[1]::timestamptz,
                   pg_get_expr(child.relpartbound, child.oid) = 'DEFAULT'
            FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = to_regclass(%s)
            """,
            [rf"FROM \({bound}\) TO", rf"TO \({bound}\)", table()],
        )
        found = [Partition(name, start, end, is_default) for name, start, end, is_default in cursor.fetchall()]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: (p.is_default, p.end or epoch, p.name))


def start_of_day(moment):
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def create_partitions_ahead(*, now=None, days=None):
    """Make sure every day from today to `days` ahead has its partition; returns the names created."""
    if not is_partitioned():
        return []
    days = settings.EVIDENCE_PARTITIONS_AHEAD_DAYS if days is None else days
    today = start_of_day(now or timezone.now())
    created = []
    for offset in range(days + 1):
        day = today + offset * DAY
        if not any(partition.covers(day) for partition in partitions()):
            created.append(create_day_partition(day))
    return created


def create_day_partition(day):
    """The partition of one UTC day. Rows of that day that went to the default partition meanwhile
    move into it, in the same transaction (PostgreSQL refuses a partition whose rows sit in the
    default one)."""
    day = start_of_day(day)
    name = day_partition(day)
    parent, default = connection.ops.quote_name(table()), connection.ops.quote_name(default_partition())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # The table first, as every batch takes it before a partition: taking the default partition
        # first would deadlock with a batch writing to it.
        cursor.execute(f"LOCK TABLE {parent} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            f"CREATE TEMPORARY TABLE moving ON COMMIT DROP AS WITH moved AS ("
            f"DELETE FROM {default} WHERE observed_at >= %s AND observed_at < %s RETURNING *"
            f") SELECT * FROM moved",
            [day, day + DAY],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"CREATE TABLE {connection.ops.quote_name(name)} PARTITION OF {parent} FOR VALUES FROM (%s) TO (%s)",
            [day, day + DAY],
        )
        if moved:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in PositionReport._meta.concrete_fields)
            cursor.execute(f"INSERT INTO {connection.ops.quote_name(name)} ({columns}) SELECT {columns} FROM moving")
            logger.warning("Evidence partition %s created late: %d reports moved in from the default one", name, moved)
        cursor.execute("DROP TABLE moving")
    logger.info("Evidence partition %s created", name)
    return name


class ArchiveError(Exception):
    """An export that did not produce a complete archive: nothing was dropped."""


def retention_cutoff(*, now=None):
    """Reports observed before this are past retention (None: kept for ever). Never later than the
    oldest report the endpoint still accepts, so that a day is only dropped once nothing can be
    added to it."""
    days = settings.EVIDENCE_RETENTION_DAYS
    if not days or days <= 0:
        return None
    now = now or timezone.now()
    writable_since = now - timedelta(hours=settings.TRACK_MAX_REPORT_AGE_H, seconds=settings.TRACK_MAX_CLOCK_SKEW_S)
    return min(start_of_day(now - timedelta(days=days)), writable_since)


def apply_retention(*, now=None):
    """Archive then drop each partition wholly past retention, and archive then delete the default
    partition's rows past it. Returns what was done; an export that fails leaves everything in place,
    is logged as an error and listed under "failed", and the others go on."""
    done = {"archived": [], "failed": []}
    cutoff = retention_cutoff(now=now)
    if cutoff is None or not is_partitioned():
        return done
    for partition in partitions():
        if partition.is_default or partition.end is None or partition.end > cutoff:
            continue
        try:
            # A failed statement rolls back this day alone, and the next day starts clean.
            with transaction.atomic():
                path, rows = archive_and_drop(partition)
        except Exception as error:
            logger.error(
                "EVIDENCE NOT ARCHIVED: partition %s (reports up to %s) kept, not dropped: %s",
                partition.name,
                partition.end,
                error,
                exc_info=True,
            )
            done["failed"].append(partition.name)
        else:
            done["archived"].append({"partition": partition.name, "rows": rows, "archive": str(path)})
    try:
        with transaction.atomic():
            swept = archive_and_delete_expired_default(cutoff)
    except Exception as error:
        logger.error(
            "EVIDENCE NOT ARCHIVED: the default partition's reports before %s kept: %s", cutoff, error, exc_info=True
        )
        done["failed"].append(default_partition())
    else:
        if swept:
            done["archived"].append(swept)
    return done


def archive_dir():
    folder = Path(settings.EVIDENCE_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _columns():
    return [field.column for field in PositionReport._meta.concrete_fields]


def export(source_sql, path, params=()):
    """COPY (source) TO a gzip CSV with a header line, written beside its final name and renamed into
    place once complete, read back and on disk. Returns the rows in it."""
    partial = path.with_name(path.name + ".partial")
    with connection.cursor() as cursor, gzip.open(partial, "wb", compresslevel=3) as archive:
        with cursor.cursor.copy(f"COPY ({source_sql}) TO STDOUT (FORMAT CSV, HEADER)", params or None) as copy:
            # COPY TO hands over one row at a time: compressing a megabyte at a time halves the CPU.
            pending = bytearray()
            for row in copy:
                pending += row
                if len(pending) >= 1 << 20:
                    archive.write(pending)
                    pending.clear()
            archive.write(pending)
        sent = cursor.cursor.rowcount
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    rows = count_archive(partial, expected=sent)
    if rows != sent:
        raise ArchiveError(f"{partial} holds {rows} rows, PostgreSQL sent {sent}")
    os.replace(partial, path)
    return rows


def count_archive(path, *, expected=None):
    """The rows of an archive, read back whole (gzip checks its CRC at the end). Lines are counted
    first, in C; a report's track id may hold a newline (CSV quotes it), so when that count is not the
    one expected the rows are counted again by a CSV reader, which knows."""
    lines = 0
    with gzip.open(path, "rb") as archive:
        while chunk := archive.read(1 << 22):
            lines += chunk.count(b"\n")
    if expected is not None and lines - 1 == expected:
        return expected
    with gzip.open(path, "rt", newline="") as archive:
        return sum(1 for _ in csv.reader(archive)) - 1


def archive_and_drop(partition):
    """Export one partition, check the archive holds as many rows as the partition, then detach and
    drop it. Returns (archive path, rows)."""
    quoted = connection.ops.quote_name(partition.name)
    path = archive_dir() / f"{partition.name}.csv.gz"
    started = time.process_time(), time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {quoted}")
        counted, highest = cursor.fetchone()
    columns = ", ".join(connection.ops.quote_name(column) for column in _columns())
    rows = export(f"SELECT {columns} FROM {quoted} ORDER BY observed_at, id", path)
    if counted != rows:
        raise ArchiveError(f"{path} holds {rows} rows, {partition.name} {counted}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table())} DETACH PARTITION {quoted}")
        # Nothing can be written to a day past retention (see the module's docstring); if something
        # was anyway, it is not in the archive: keep the partition. (Ids come from one sequence: a
        # report written since has a higher one; this is one probe of the key's index.)
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted} WHERE id > %s)", [highest])
        if cursor.fetchone()[0]:
            raise ArchiveError(f"reports were written to {partition.name} after its export")
        cursor.execute(f"DROP TABLE {quoted}")
    logger.warning(
        "Evidence partition %s archived to %s (%d reports) and dropped in %.1f s (%.1f s CPU here)",
        partition.name,
        path,
        rows,
        time.monotonic() - started[1],
        time.process_time() - started[0],
    )
    return path, rows


def archive_and_delete_expired_default(cutoff):
    """The default partition only holds reports of days that had no partition; those past retention
    are archived and deleted like a partition, in one transaction (the delete must remove exactly
    the rows archived, or nothing)."""
    default = connection.ops.quote_name(default_partition())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE observed_at < %s)", [cutoff])
        if not cursor.fetchone()[0]:
            return None
    name = f"{default_partition()}_before_{cutoff:%Y%m%dT%H%M%S}_{timezone.now():%Y%m%dT%H%M%S}"
    path = archive_dir() / f"{name}.csv.gz"
    columns = ", ".join(connection.ops.quote_name(column) for column in _columns())
    with transaction.atomic(), connection.cursor() as cursor:
        rows = export(
            f"SELECT {columns} FROM {default} WHERE observed_at < %s ORDER BY observed_at, id", path, [cutoff]
        )
        cursor.execute(f"DELETE FROM {default} WHERE observed_at < %s", [cutoff])
        if cursor.rowcount != rows:
            path.unlink()
            raise ArchiveError(f"{cursor.rowcount} reports to delete from the default partition, {rows} archived")
    logger.warning("Evidence of the default partition before %s archived to %s (%d reports)", cutoff, path, rows)
    return {"partition": default_partition(), "rows": rows, "archive": str(path)}


def maintain_evidence(*, now=None):
    """The clock's job: days ahead first (cheap, and what every batch needs), then retention. One
    process at a time (an advisory lock); a no-op on SQLite."""
    if not is_partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MAINTENANCE_LOCK])
        if not cursor.fetchone()[0]:
            return {"skipped": "another process is maintaining the evidence"}
    try:
        created = create_partitions_ahead(now=now)
        retention = apply_retention(now=now)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MAINTENANCE_LOCK])
    return {"created": created, **retention}


def restore_archive(path, *, into):
    """Load an archive into a new plain table `into` (shaped like the evidence, outside it) for an
    investigation. Returns the rows loaded."""
    if connection.vendor != "postgresql":
        raise ArchiveError("Restoring an archive needs PostgreSQL")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", into):
        raise ArchiveError(f"{into!r} is not a plain lower-case table name")
    target = connection.ops.quote_name(into)
    with gzip.open(path, "rt", newline="") as archive:
        header = next(csv.reader(archive))
    unknown = set(header) - set(_columns())
    if unknown:
        raise ArchiveError(f"{path} is not an evidence archive: columns {sorted(unknown)}")
    columns = ", ".join(connection.ops.quote_name(column) for column in header)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {target} (LIKE {connection.ops.quote_name(table())})")
        with (
            gzip.open(path, "rb") as archive,
            cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT CSV, HEADER)") as copy,
        ):
            while chunk := archive.read(1 << 20):
                copy.write(chunk)
        cursor.execute(f"SELECT count(*) FROM {target}")
        return cursor.fetchone()[0]
