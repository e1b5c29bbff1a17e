"""One live stream connection from its first line to its last: the replay after `Last-Event-ID`,
the live notifications, a heartbeat, and at every heartbeat the question whether its listener may
still listen (role, account, token or session) — if not, the stream ends.

The conversation is written once, free of I/O (`_conversation`): it yields the text to send, or a
step for the server to run — `_Wait(seconds)` gets the next live message or None, `_Call(f, …)` does
blocking work (the database, Redis) — and is sent back the outcome. Two drivers run it:

- `_on_event_loop`, under the ASGI web process (config/asgi.py): it waits on the event loop and does
  the blocking work in the process's thread-sensitive thread, so an open stream holds no thread;
- `_in_this_thread`, under a threaded WSGI server (Django's test client and live server, gunicorn
  gthread): the request's thread blocks for as long as the stream is open.
"""

import json
import logging
import math
import random
import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any, NamedTuple

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone

from . import stream
from .models import AirDefenseNotification
from .stream import stream_message

logger = logging.getLogger(__name__)

# created_at is stamped when the row is written, not when its transaction commits: a notification
# may become visible after a newer one was already streamed. Replaying from a little before the
# cursor catches it; receivers de-duplicate on the id anyway (at-least-once).
REPLAY_MARGIN = timedelta(seconds=60)
# How often a stream without Redis looks in the database for what other processes delivered.
CATCH_UP_S = 2.0


class _Wait(NamedTuple):
    seconds: float


class _Call(NamedTuple):
    function: Any
    args: tuple = ()


def open_stream(*, request, last_seen, slot, reason_to_close):
    """The streaming response of one listener. `last_seen`: the notification to replay after, or
    None; `slot`: its place under the caps (stream_slots), released when the stream ends however it
    ends; `reason_to_close()`: why the listener may no longer listen, or None (run at heartbeats)."""

    def at_heartbeat():
        reason = reason_to_close()
        if reason is None:
            slot.renew()
        return reason

    conversation = _conversation(last_seen=last_seen, at_heartbeat=at_heartbeat)
    if isinstance(request, ASGIRequest):
        body = _on_event_loop(conversation, slot)
    else:
        body = _in_this_thread(conversation, slot)
    response = EventStreamResponse(body, slot=slot)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx must not buffer the stream
    return response


class EventStreamResponse(StreamingHttpResponse):
    """Gives the stream's slot back when the server closes the response, even one whose body never
    started (the client left before the first byte)."""

    def __init__(self, body, *, slot):
        super().__init__(body, content_type="text/event-stream")
        self._slot = slot

    def close(self):
        try:
            self._slot.release()
        finally:
            super().close()


def _conversation(*, last_seen, at_heartbeat):
    heartbeat_s = settings.AIR_DEFENSE_STREAM_HEARTBEAT_S
    # Without Redis, notifications delivered by another process (the clock) never reach this
    # process's fan-out: poll the database for them, often enough to look live.
    catch_up_s = None if stream.uses_redis() else min(CATCH_UP_S, heartbeat_s)
    seen = _SeenIds()
    cursor = last_seen.created_at if last_seen else timezone.now()
    if last_seen:
        seen.add(str(last_seen.pk))
    # The drivers subscribe before the first step, so nothing created meanwhile falls between the
    # subscription and the replay.
    yield "retry: 3000\n: connected\n\n"
    if last_seen:
        cursor, replayed = yield _Call(_created_since, (cursor, seen))
        yield from replayed
    # The first beat at a random point of the first interval: streams opened together (a restart,
    # a benchmark) must not all re-check their listeners in the same instant ever after.
    next_heartbeat = time.monotonic() + heartbeat_s * random.uniform(0.5, 1.0)
    # With Redis there is nothing to catch up: the wait is until the next heartbeat, not a 50 ms poll.
    next_catch_up = time.monotonic() + catch_up_s if catch_up_s else math.inf
    while True:
        wait = min(next_heartbeat, next_catch_up) - time.monotonic()
        message = yield _Wait(max(wait, 0.05))
        if message and seen.add(message["id"]):
            yield _event(message)
        now = time.monotonic()
        if catch_up_s and now >= next_catch_up:
            next_catch_up = now + catch_up_s
            cursor, missed = yield _Call(_created_since, (cursor, seen))
            yield from missed
        if now >= next_heartbeat:
            next_heartbeat = now + heartbeat_s
            reason = yield _Call(at_heartbeat)
            if reason:
                yield f": closed: {reason}\n\n"
                return
            yield ": heartbeat\n\n"


def _step(conversation, outcome):
    """The conversation's next step, given the outcome of the last; None when it has ended."""
    try:
        return conversation.send(outcome)
    except StopIteration:
        return None


async def _on_event_loop(conversation, slot):
    try:
        async with stream.subscribe_async() as subscription:
            outcome = None
            while (step := _step(conversation, outcome)) is not None:
                if isinstance(step, str):
                    outcome = None
                    yield step
                elif isinstance(step, _Call):
                    outcome = await _blocking(step.function, *step.args)
                else:
                    outcome = await subscription.get(timeout=step.seconds)
    except stream.StreamInterrupted:
        pass  # the client reconnects with Last-Event-ID and replays what it missed
    except Exception:
        logger.exception("A live stream failed; it ends and its client reconnects")
    finally:
        # Also when the client went away: Django cancels the response, which lands here.
        conversation.close()
        await _blocking(slot.release)


def _in_this_thread(conversation, slot):
    try:
        with stream.subscribe() as subscription:
            outcome = None
            while (step := _step(conversation, outcome)) is not None:
                if isinstance(step, str):
                    outcome = None
                    yield step
                elif isinstance(step, _Call):
                    outcome = step.function(*step.args)
                else:
                    outcome = subscription.get(timeout=step.seconds)
    finally:
        conversation.close()
        slot.release()


async def _blocking(function, *args):
    """Run database or Redis work off the event loop, in the process's thread-sensitive thread: one
    thread and one database connection for all the streams of a process."""

    def run():
        # What Django does at the start of each request: a stream lasts hours, its connection must
        # not (CONN_MAX_AGE, and the health check after a database restart).
        close_old_connections()
        return function(*args)

    return await sync_to_async(run, thread_sensitive=True)()


def _event(notification_message):
    return (
        f"id: {notification_message['id']}\n"
        f"event: {notification_message['kind']}\n"
        f"data: {json.dumps(notification_message, separators=(',', ':'))}\n\n"
    )


def _created_since(cursor, seen, batch=500):
    """Events of the notifications created or delivered at or after `cursor` (less the replay
    margin) not sent on this connection yet, and the new cursor."""
    events = []
    since = cursor - REPLAY_MARGIN
    # The live stream carries a notification when it is delivered, which after a crash or an
    # outage is the sweep's doing, minutes after it was created: the client may have been away
    # when it went out live, so whatever was delivered since counts too, however old.
    recent = AirDefenseNotification.objects.filter(Q(created_at__gte=since) | Q(delivered_at__gte=since))
    after = None
    while True:
        page = recent.order_by("created_at", "id")
        if after:
            page = page.filter(Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.id))
        notifications = list(page[:batch])
        events.extend(_event(stream_message(n)) for n in notifications if seen.add(str(n.pk)))
        if notifications:
            after = notifications[-1]
            cursor = max(cursor, after.created_at)
        if len(notifications) < batch:
            return cursor, events


class _SeenIds:
    """The ids one connection has sent, bounded: a long-lived stream must not grow without end."""

    def __init__(self, limit=10_000):
        self._ids = OrderedDict()
        self._limit = limit

    def add(self, notification_id):
        """Remember the id; False if it was already sent."""
        if notification_id in self._ids:
            return False
        self._ids[notification_id] = None
        if len(self._ids) > self._limit:
            self._ids.popitem(last=False)
        return True
