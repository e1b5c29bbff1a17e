"""WSGI entry point for gunicorn."""

import io
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.deployment import refuse_demo_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class ChunkedBodies:
    """Gives Django the body of a request sent with `Transfer-Encoding: chunked`. Django reads only
    CONTENT_LENGTH bytes of a body, and a chunked request has none: it was read as empty, so a
    client that streams its JSON got "this field is required" for everything it sent. gunicorn
    de-chunks the input; this reads it (up to the upload limit, plus one byte so that a larger body
    is still refused as too large) and tells Django its length."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read() if limit is None else environ["wsgi.input"].read(limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)


application = ChunkedBodies(get_wsgi_application())
refuse_demo_secret_key()
