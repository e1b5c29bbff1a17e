"""The web process's application (gunicorn with the uvicorn worker, config/web_worker.py).

One origin and one port for everything, split by path:

- the live stream (`/api/v1/air-defense/stream/`) is served by Django's ASGI handler on the event
  loop: an open stream is a coroutine waiting for a message, not a thread, so a thousand of them
  leave the threads below free;
- every other request goes to the WSGI application in a pool of `WEB_THREADS` real threads (a2wsgi),
  as it did under gunicorn's gthread worker. Django's own ASGI handler would run these synchronous
  views one at a time per request context, with no bound on threads; the DRF views, the sensor
  report hot path above all, are synchronous and must run side by side.
"""

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.urls import reverse

# The WSGI application as gunicorn's gthread worker ran it (chunked bodies read; the demo secret key
# refused on PostgreSQL); importing it sets Django up.
from config.wsgi import application as threaded


class StreamHandler(ASGIHandler):
    """Django's ASGI handler, for the stream alone. Django gives each ASGI request a thread of its
    own for its synchronous parts (middleware, the DRF view that opens the stream), kept until the
    request ends: one idle thread per open stream. Without that per-request context they share the
    process's one thread-sensitive thread — the stream's database work runs there too
    (airspace/air_defense/stream_events.py) — and an open stream holds no thread at all."""

    async def __call__(self, scope, receive, send):
        await self.handle(scope, receive, send)


STREAM_PATH = reverse("air-defense-stream")
stream_handler = StreamHandler()
threaded_app = WSGIMiddleware(threaded, workers=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        await stream_handler(scope, receive, send)
    else:
        await threaded_app(scope, receive, send)
