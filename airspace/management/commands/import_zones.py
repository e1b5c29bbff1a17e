"""Import zones from an ED-269 / ED-318 JSON, GeoJSON or KML file (docs/ZONES.md): all or nothing,
or with --dry-run only say what would change."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from airspace import roles
from airspace.zones.formats import ZoneFileError, read_zone_file
from airspace.zones.services import import_zones


class Command(BaseCommand):
    help = "Import restricted and prohibited zones from an ED-269, ED-318, GeoJSON or KML file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, change nothing")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Deactivate the zones imported before (with an identifier) that the file no longer has",
        )
        parser.add_argument(
            "--officer", help="Username of the command staff member the import is made by (not needed for a dry run)"
        )

    def handle(self, *args, file, dry_run, deactivate_missing, officer, **options):
        user = None
        if not dry_run:
            if not officer:
                raise CommandError("Name the officer making the import: --officer USERNAME (or use --dry-run).")
            user = get_user_model().objects.filter(username=officer).first()
            if user is None or not roles.is_command_staff(user):
                raise CommandError(f"{officer!r} is not a command staff user.")
        try:
            file_format, drafts = read_zone_file(file.read_bytes(), max_vertices=settings.MAX_AREA_VERTICES)
            plan = import_zones(
                officer=user,
                drafts=drafts,
                file_format=file_format,
                deactivate_missing=deactivate_missing,
                dry_run=dry_run,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except ZoneFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        self.stdout.write(f"{file} ({file_format.upper()}): {len(drafts)} zones.")
        for draft in plan.new:
            self.stdout.write(f"  new: {draft.name} [{draft.identifier or 'no identifier'}] ({draft.kind})")
        for _zone, draft, fields in plan.changed:
            self.stdout.write(f"  changed: {draft.name} [{draft.identifier or 'no identifier'}]: {', '.join(fields)}")
        for zone, _ in plan.unchanged:
            self.stdout.write(f"  unchanged: {zone.name}")
        for zone in plan.deactivated:
            self.stdout.write(f"  deactivated: {zone.name} [{zone.identifier}]")
        self.stdout.write(
            f"{len(plan.new)} new, {len(plan.changed)} changed, {len(plan.unchanged)} unchanged, "
            f"{len(plan.deactivated)} deactivated."
        )
        for permit in plan.revoked_permits:
            self.stdout.write(f"  permit {permit.reference} revoked (inside a prohibited zone)")
        for permit in plan.permits_to_review:
            self.stdout.write(f"  permit {permit.reference} to review (inside a restricted zone)")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
