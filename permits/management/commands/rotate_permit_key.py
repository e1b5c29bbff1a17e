"""Rotate the key that signs permits: the current key's public half stays accepted (codes already
shown at checkpoints keep verifying), and approvals from now on are signed with a new key."""

from django.core.management.base import BaseCommand

from permits.services import resign_permits_in_effect
from permits.signing import rotate_key


class Command(BaseCommand):
    help = "Start signing permits with a new Ed25519 key; the old public key stays accepted for verification."

    def add_arguments(self, parser):
        parser.add_argument(
            "--resign",
            action="store_true",
            help="Also sign the permits in effect again with the new key (when the old one is compromised)",
        )

    def handle(self, *args, resign, **options):
        retired, new = rotate_key()
        self.stdout.write(f"Retired key {retired['kid']} (still accepted for verification).")
        self.stdout.write(f"Signing with key {new['kid']} from now on.")
        if resign:
            self.stdout.write(f"Signed {resign_permits_in_effect()} permits in effect again with the new key.")
        self.stdout.write("Reload the verification page on the checkpoints' phones while online to carry the new key.")
