"""The live stream of air defense notifications: publish once, every open SSE connection hears it.

With `REDIS_URL` set it is a Redis pub/sub channel, so a notification delivered by any worker reaches
every web process. In the embedded demo (no Redis) it is an in-process fan-out to the connections of
this process; the stream view catches up from the database for what other processes delivered.
"""

import json
import logging
import queue
import threading

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
    """Thread-safe fan-out to the subscribers of this process."""

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
