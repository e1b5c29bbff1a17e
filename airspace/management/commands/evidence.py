"""The evidence's partitions by hand (airspace/surveillance/evidence.py, docs/PERFORMANCE.md "Evidence
storage"): list them, run what the clock runs (days ahead, then retention with its archive), or load
an archive back into a table of its own for an investigation."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from airspace.surveillance import evidence


class Command(BaseCommand):
    help = "Evidence partitions: list, maintain (create days ahead, archive and drop days past retention), restore."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="The partitions and their rows (an estimate from the statistics)")
        actions.add_parser(
            "maintain", help="Create the days ahead, then archive and drop the days past EVIDENCE_RETENTION_DAYS"
        )
        restore = actions.add_parser("restore", help="Load an archive (.csv.gz) into a new table")
        restore.add_argument("archive", type=Path)
        restore.add_argument("--into", required=True, help="Name of the table to create (it must not exist)")

    def handle(self, *args, action, **options):
        if action == "restore":
            return self.restore(options["archive"], options["into"])
        if not evidence.is_partitioned():
            self.stdout.write("The evidence is one plain table here (SQLite or not migrated): nothing to do.")
            return
        if action == "list":
            return self.list()
        outcome = evidence.maintain_evidence()
        if "skipped" in outcome:
            raise CommandError(f"Nothing done: {outcome['skipped']}.")
        for name in outcome["created"]:
            self.stdout.write(f"created {name}")
        for archived in outcome["archived"]:
            self.stdout.write(f"archived {archived['partition']}: {archived['rows']} reports to {archived['archive']}")
        if outcome["failed"]:
            raise CommandError(f"Not archived, so kept (see the log): {', '.join(outcome['failed'])}")
        if not outcome["created"] and not outcome["archived"]:
            self.stdout.write("Nothing to do: the days ahead exist and no day is past retention.")

    def list(self):
        from django.db import connection

        with connection.cursor() as cursor:
            for partition in evidence.partitions():
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [partition.name])
                rows = max(cursor.fetchone()[0], 0)
                span = "default" if partition.is_default else f"{partition.start or '…'} – {partition.end}"
                self.stdout.write(f"{partition.name}\t{span}\t~{rows} reports")

    def restore(self, archive, into):
        if not archive.is_file():
            raise CommandError(f"No archive at {archive}.")
        try:
            rows = evidence.restore_archive(archive, into=into)
        except evidence.ArchiveError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{rows} reports loaded into {into}")
