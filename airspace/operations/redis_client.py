"""One Redis client per URL per process for the health checks and the metrics, with short timeouts:
a load balancer calls /health/ every few seconds, and a Redis that hangs must turn it into a 503
within a second, not hold the request."""

import threading

from django.conf import settings

_clients = {}
_lock = threading.Lock()


def redis_client():
    """The client of settings.REDIS_URL, or None when the service runs without Redis (embedded)."""
    import redis

    url = settings.REDIS_URL
    if not url:
        return None
    with _lock:
        if url not in _clients:
            timeout = settings.HEALTH_CHECK_TIMEOUT_S
            _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        return _clients[url]
