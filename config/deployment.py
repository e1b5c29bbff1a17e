"""What a real deployment must have before it serves requests: a secret key of its own."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_demo_secret_key():
    """The demo key is public (it is in this repository): anyone could sign sessions, messages and
    tokens with it. Only the embedded demo (SQLite) or DEBUG may run with it."""
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY and settings.USING_POSTGRES and not settings.DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: a deployment on PostgreSQL must set its own, e.g. "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
