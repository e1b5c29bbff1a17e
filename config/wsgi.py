"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from config.deployment import refuse_demo_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
refuse_demo_secret_key()
