"""What partitioning costs the hot path's COPY: batches of 1,000 reports written by binary COPY (as
airspace/surveillance/tracks.py writes them) into the partitioned evidence table and into a plain table
of the same columns and indexes, alternately, in one database; the CPU time of the PostgreSQL backend
(from /proc: the server runs on this machine) and of this process, per batch. CPU time, not wall time,
because the machine is shared.

    DATABASE_URL=postgres://…/airspace_evidence_big .venv/bin/python bench/evidence_copy.py --batches 300

The plain table (`bench_plain_evidence`) is made and dropped by the script; the rows written to the
evidence are deleted at the end.
"""

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRACK_BASE = 2_000_000_000


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def cpu_s(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    args = parser.parse_args()
    setup_django()
    import time

    from django.db import connection

    from airspace.surveillance.evidence import table
    from airspace.surveillance.tracks import REPORT_COLUMN_TYPES, REPORT_COLUMNS

    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = True
    evidence = table()
    raw.execute("DROP TABLE IF EXISTS bench_plain_evidence")
    raw.execute(
        f"CREATE TABLE bench_plain_evidence (LIKE {evidence} INCLUDING DEFAULTS); "
        "ALTER TABLE bench_plain_evidence ADD PRIMARY KEY (id); "
        "CREATE INDEX ON bench_plain_evidence (track_id, observed_at)"
    )
    (pid,) = raw.execute("SELECT pg_backend_pid()").fetchone()
    now = datetime.now(UTC)
    columns = ", ".join(REPORT_COLUMNS)
    cost = {evidence: [0.0, 0.0], "bench_plain_evidence": [0.0, 0.0]}
    for batch in range(args.batches):
        rows = [
            (
                TRACK_BASE + (batch * 1000 + n) % 500,
                1,
                f"bench-{n % 500}",
                "",
                now - timedelta(milliseconds=n),
                now,
                33.3 + n / 1e5,
                44.4,
                60.0,
                None,
                None,
                "authorized",
                None,
            )
            for n in range(1000)
        ]
        for target in (evidence, "bench_plain_evidence") if batch % 2 else ("bench_plain_evidence", evidence):
            before_server, before_here = cpu_s(pid), time.process_time()
            with raw.transaction(), raw.cursor() as cursor:
                with cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(list(REPORT_COLUMN_TYPES.values()))
                    for row in rows:
                        copy.write_row(row)
            cost[target][0] += cpu_s(pid) - before_server
            cost[target][1] += time.process_time() - before_here
    for target, (server, here) in cost.items():
        print(
            f"{target}: PostgreSQL backend {server / args.batches * 1000:.2f} ms CPU per batch of 1,000, "
            f"this process {here / args.batches * 1000:.2f} ms"
        )
    raw.execute("DROP TABLE bench_plain_evidence")
    raw.execute(f"DELETE FROM {evidence} WHERE track_id >= %s", [TRACK_BASE])


if __name__ == "__main__":
    main()
