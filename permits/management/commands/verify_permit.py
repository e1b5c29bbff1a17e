"""Check a signed permit from the command line, as the checkpoint's page does: the signature with
the accepted keys, the window, and (unless --offline) whether it was revoked since."""

import json

from django.core.management.base import BaseCommand, CommandError

from permits.selectors import revocation_status
from permits.signing import VALID, verify_token


class Command(BaseCommand):
    help = "Verify a signed permit (the text of its QR code). Exit status 0 only when it is valid and not revoked."

    def add_arguments(self, parser):
        parser.add_argument("token", help="The signed permit: the text of its QR code")
        parser.add_argument("--offline", action="store_true", help="Do not look up revocation in the database")

    def handle(self, *args, token, offline, **options):
        verification = verify_token(token)
        status = verification.status
        if verification.claims and not offline and revocation_status(verification.claims["ref"]) == "revoked":
            status = "REVOKED"
        self.stdout.write(status)
        if verification.reason and status != "REVOKED":
            self.stdout.write(verification.reason)
        if verification.claims:
            claims = verification.claims
            self.stdout.write(
                json.dumps(
                    {key: claims[key] for key in ("ref", "op", "ac", "rid", "alt", "nbf", "exp", "by") if key in claims}
                )
            )
        if status != VALID:
            raise CommandError(f"The permit is not valid: {status}.", returncode=1)
