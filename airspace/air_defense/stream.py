"""The live stream of air defense notifications: publish once, every open SSE connection hears it.

With `REDIS_URL` set it is a Redis pub/sub channel, so a notification delivered by any worker reaches
every web process. In the embedded demo (no Redis) it is an in-process fan-out to the connections of
this process; the stream view catches up from the database for what other processes delivered.

Two ways to listen: `subscribe()` blocks a thread (a stream served by a threaded WSGI server, the
test client), `subscribe_async()` waits on the event loop (the stream as the web process serves it,
config/asgi.py). The async listeners of a process share one Redis subscription (`_LoopHub`), so a
thousand open streams cost one Redis connection, not a thousand.
"""

import asyncio
import json
import logging
import queue
import threading
import weakref

from django.conf import settings

logger = logging.getLogger(__name__)

# A connection that stops reading must not make the publisher block or grow memory without end.
LOCAL_QUEUE_SIZE = 1000

_redis_clients = {}
_redis_lock = threading.Lock()


def uses_redis():
    return bool(settings.REDIS_URL)


def _redis():
    """One client (and connection pool) per Redis URL per process; redis-py resets it after a fork."""
    import redis

    url = settings.REDIS_URL
    with _redis_lock:
        if url not in _redis_clients:
            # A socket timeout, so that a Redis that stops answering fails the worker's publish (the
            # sweep delivers again) instead of holding it, and its notification's row lock, forever.
            timeout = settings.REDIS_SOCKET_TIMEOUT_S
            _redis_clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=30
            )
        return _redis_clients[url]


class _LocalHub:
    """Thread-safe fan-out to the subscribers of this process: anything with `put_nowait(text)`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues = set()

    def publish(self, message):
        with self._lock:
            subscribers = list(self._queues)
        for subscriber in subscribers:
            try:
                subscriber.put_nowait(message)
            except queue.Full:
                logger.warning("A stream subscriber is not reading; dropped a live message (it is in the inbox)")
        return len(subscribers)

    def add(self, subscriber):
        with self._lock:
            self._queues.add(subscriber)

    def remove(self, subscriber):
        with self._lock:
            self._queues.discard(subscriber)


_local_hub = _LocalHub()


def publish(message):
    """Send one message (a JSON-serializable dict) to every live subscriber."""
    text = json.dumps(message, separators=(",", ":"))
    if uses_redis():
        return _redis().publish(settings.AIR_DEFENSE_STREAM_CHANNEL, text)
    return _local_hub.publish(text)


class Subscription:
    """What one SSE connection listens to. Use as a context manager; `get()` waits for the next message."""

    def __init__(self):
        self._pubsub = None
        self._queue = None

    def __enter__(self):
        if uses_redis():
            self._pubsub = _redis().pubsub()
            self._pubsub.subscribe(settings.AIR_DEFENSE_STREAM_CHANNEL)
            # Wait for Redis to confirm, so that anything published after we return is heard.
            confirmation = self._pubsub.get_message(timeout=5)
            if not confirmation or confirmation["type"] != "subscribe":
                self.close()
                raise ConnectionError("Redis did not confirm the stream subscription")
        else:
            self._queue = queue.Queue(maxsize=LOCAL_QUEUE_SIZE)
            _local_hub.add(self._queue)
        return self

    def __exit__(self, *exc_info):
        self.close()

    def get(self, timeout):
        """The next message as a dict, or None if nothing came within `timeout` seconds."""
        if self._pubsub is not None:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            text = message["data"] if message else None
        else:
            try:
                text = self._queue.get(timeout=timeout)
            except queue.Empty:
                text = None
        return json.loads(text) if text else None

    def close(self):
        if self._pubsub is not None:
            try:
                self._pubsub.close()
            finally:
                self._pubsub = None
        if self._queue is not None:
            _local_hub.remove(self._queue)
            self._queue = None


def subscribe():
    return Subscription()


def stream_message(notification):
    """The one wire form of a notification: the live stream's `data:` and the webhook body."""
    return {
        "id": str(notification.id),
        "kind": notification.kind,
        "severity": notification.severity,
        "created_at": notification.created_at.isoformat(),
        "payload": notification.payload,
    }


class StreamInterrupted(Exception):
    """The live messages stopped reaching this listener (Redis went away, or it fell too far behind).
    Its stream must end, so that the client reconnects and replays what it missed from the database."""


class _LoopRelay:
    """Carries messages published by threads of this process (the embedded demo's in-process Celery
    tasks) into an event loop."""

    def __init__(self, loop, deliver):
        self._loop = loop
        self._deliver = deliver

    def put_nowait(self, text):
        try:
            self._loop.call_soon_threadsafe(self._deliver, text)
        except RuntimeError:
            pass  # the loop is closed: the process is shutting down


class _LoopHub:
    """Every async listener of one event loop, fed by one subscription: Redis pub/sub through
    redis.asyncio, or the in-process fan-out without Redis. Messages are parsed once and handed to
    each listener's queue."""

    def __init__(self, loop, redis_url, channel):
        self._loop = loop
        self._redis_url = redis_url
        self._channel = channel
        self._listeners = set()
        self._lock = asyncio.Lock()
        self._reader = None
        self._relay = None

    async def add(self, listener):
        """Register a listener; returns once anything published from now on will reach it."""
        async with self._lock:
            if self._redis_url:
                if self._reader is None or self._reader.done():
                    self._reader = self._loop.create_task(self._read(await self._subscribe()))
            elif self._relay is None:
                self._relay = _LoopRelay(self._loop, self._fan_out)
                _local_hub.add(self._relay)
            self._listeners.add(listener)

    def remove(self, listener):
        self._listeners.discard(listener)

    async def _subscribe(self):
        import redis.asyncio

        timeout = settings.REDIS_SOCKET_TIMEOUT_S
        client = redis.asyncio.Redis.from_url(
            self._redis_url, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=30
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            # Wait for Redis to confirm, so that anything published after we return is heard.
            confirmation = await pubsub.get_message(timeout=5)
            if not confirmation or confirmation["type"] != "subscribe":
                raise ConnectionError("Redis did not confirm the stream subscription")
        except BaseException:
            await pubsub.aclose()
            await client.aclose()
            raise
        return client, pubsub

    async def _read(self, connection):
        client, pubsub = connection
        try:
            while True:
                # A timeout, so that the health check pings an idle connection and a dead one is noticed.
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message:
                    self._fan_out(message["data"])
        except Exception as error:  # noqa: BLE001 - whatever broke the subscription, the listeners must know
            logger.warning("The live stream's Redis subscription broke (%s); its streams end and replay", error)
        finally:
            # Whatever was published while nobody listened is in the database: each stream ends, its
            # client reconnects with Last-Event-ID and gets it from there.
            listeners, self._listeners = self._listeners, set()
            for listener in listeners:
                listener.interrupt()
            await pubsub.aclose()
            await client.aclose()

    def _fan_out(self, text):
        try:
            message = json.loads(text)
        except ValueError:
            logger.warning("Ignored a live stream message that is not JSON")
            return
        for listener in list(self._listeners):
            if not listener.offer(message):
                logger.warning("A stream listener fell %d messages behind; it ends and replays", LOCAL_QUEUE_SIZE)
                self._listeners.discard(listener)
                listener.interrupt()


_loop_hubs = weakref.WeakKeyDictionary()


def _hub_of_this_loop():
    loop = asyncio.get_running_loop()
    hubs = _loop_hubs.setdefault(loop, {})
    key = (settings.REDIS_URL, settings.AIR_DEFENSE_STREAM_CHANNEL)
    if key not in hubs:
        hubs[key] = _LoopHub(loop, *key)
    return hubs[key]


class AsyncSubscription:
    """What one SSE connection served on the event loop listens to. Use with `async with`;
    `await get(timeout)` returns the next message, or raises StreamInterrupted."""

    _INTERRUPTED = object()

    def __init__(self):
        self._queue = asyncio.Queue(maxsize=LOCAL_QUEUE_SIZE)
        self._hub = None

    async def __aenter__(self):
        self._hub = _hub_of_this_loop()
        await self._hub.add(self)
        return self

    async def __aexit__(self, *exc_info):
        self._hub.remove(self)

    def offer(self, message):
        """Queue a message; False if this listener is too far behind to take it."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def interrupt(self):
        # Past whatever is queued, so that what arrived before the break is still sent.
        while True:
            try:
                self._queue.put_nowait(self._INTERRUPTED)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    async def get(self, timeout):
        """The next message as a dict, or None if nothing came within `timeout` seconds."""
        try:
            message = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if message is self._INTERRUPTED:
            raise StreamInterrupted()
        return message


def subscribe_async():
    return AsyncSubscription()
