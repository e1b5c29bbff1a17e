"""Create a user (or update one) in one of the service's roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from airspace import roles
from airspace.accounts.services import add_user_with_role


class Command(BaseCommand):
    help = "Create a user with a role. An operator joins (or founds) the --organization it flies for."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=roles.ROLES)
        parser.add_argument("--password", required=True)
        parser.add_argument("--organization", help="operator organization name (operators only)")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password, organization, email, **options):
        user_model = get_user_model()
        try:
            # The rules the admin applies (not blank, max length, allowed characters): the ORM checks none.
            user_model._meta.get_field(user_model.USERNAME_FIELD).clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"Username {username!r}: {' '.join(exc.messages)}") from exc
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
        where = f" for {organization or username}" if role == roles.OPERATOR else ""
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} {username}{where}.")
