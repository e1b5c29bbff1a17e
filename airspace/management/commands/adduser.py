"""Create a user (or update one) in one of the service's roles.

The password never goes on the command line, where the shell history and the process list would
keep it: it is asked for twice at a terminal, or read from standard input with --password-stdin."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from airspace import roles
from airspace.accounts.services import add_user_with_role

PASSWORD_ON_COMMAND_LINE = (
    "--password is no longer accepted: a password on the command line is kept in the shell history and "
    "shown in the process list. Run the command at a terminal to be asked for it, or write it to standard "
    'input with --password-stdin (e.g. `printf %s "$PW" | manage.py adduser NAME --role ROLE --password-stdin`).'
)


class Command(BaseCommand):
    help = (
        "Create a user with a role, asking for the password (or reading it with --password-stdin). "
        "An operator joins (or founds) the --organization it flies for; a dealer the dealer business it works for."
    )
    # call_command(..., stdin=...) in tests and in seed_demo, as Django's createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=roles.ROLES)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (for scripts)",
        )
        parser.add_argument("--password", help="refused: use the prompt or --password-stdin")
        parser.add_argument(
            "--organization", help="operator organization or dealer business name (operators and dealers only)"
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, organization, email, **options):
        if options["password"] is not None:
            raise CommandError(PASSWORD_ON_COMMAND_LINE)
        user_model = get_user_model()
        try:
            # The rules the admin applies (not blank, max length, allowed characters): the ORM checks none.
            user_model._meta.get_field(user_model.USERNAME_FIELD).clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"Username {username!r}: {' '.join(exc.messages)}") from exc
        password = self._read_password(options.get("stdin") or sys.stdin, from_stdin=options["password_stdin"])
        try:
            # settings.AUTH_PASSWORD_VALIDATORS: long enough, not common, not all digits, not the name.
            validate_password(password, user_model(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(f"Password: {' '.join(exc.messages)}") from exc
        try:
            _, created = add_user_with_role(
                username=username, role=role, password=password, organization=organization, email=email
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except IntegrityError as exc:  # e.g. another user's sensor already has this name
            raise CommandError(f"{username} conflicts with an existing record: {exc}") from exc
        where = f" for {organization or username}" if role in (roles.OPERATOR, roles.DEALER) else ""
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} {username}{where}.")

    def _read_password(self, stdin, *, from_stdin):
        if from_stdin:
            # One line, without its line ending: `echo "$PW" |` and `printf %s "$PW" |` both work.
            password = stdin.readline().rstrip("\r\n")
        elif stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; nothing was changed.")
        else:
            raise CommandError(
                "No password: run the command at a terminal to be asked for it, or pass --password-stdin "
                "and write it to standard input."
            )
        if not password:
            raise CommandError("Password: it may not be empty.")
        return password
