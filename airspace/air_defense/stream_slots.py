"""How many live streams one user, and one web process, may hold open at once.

`STREAM_MAX_TOTAL` bounds the streams of each web process: what runs out first is that process's
memory, sockets and event loop time, so the bound is where the cost is. `STREAM_MAX_PER_USER`
bounds each user's streams over the whole deployment, so it is counted where every web process sees
it: in Redis, as one lease per stream in a sorted set per user. A lease is renewed at every
heartbeat and lapses after `lease_s()` if its web process dies without releasing it (SIGKILL, a
host lost), so no slot leaks for good. A client that vanishes (closed tab, cut network) is noticed
by the server, which ends its stream and releases both slots at once. Without Redis (the embedded
demo, one web process) users are counted in the process.
"""

import math
import threading
import uuid
from collections import Counter

from django.conf import settings

from airspace.metrics import stream_closed, stream_opened


class StreamRefused(Exception):
    """No slot: `per_user` tells which cap was met; `retry_after_s` when to try again."""

    def __init__(self, *, per_user, limit, retry_after_s):
        super().__init__(per_user, limit)
        self.per_user = per_user
        self.limit = limit
        self.retry_after_s = retry_after_s


def lease_s():
    """How long a stream's per-user lease outlives its last renewal: three heartbeats and a margin,
    so that a renewal delayed by a busy process does not lose it."""
    return 3 * settings.AIR_DEFENSE_STREAM_HEARTBEAT_S + 5


def retry_after_s():
    # Streams end at any moment; a heartbeat is the pace at which they are re-checked anyway.
    return max(1, math.ceil(settings.AIR_DEFENSE_STREAM_HEARTBEAT_S))


_lock = threading.Lock()
_process_streams = 0
_process_streams_of_user = Counter()  # only without Redis

# KEYS[1]: the user's lease set (member: stream id, score: lapse time in ms, Redis's clock so that the
# clocks of the web hosts do not matter). ARGV: stream id, cap, lease in ms. Lapsed leases go first.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
_RENEW = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


def _redis():
    from . import stream

    return stream._redis()


def _user_key(user_id):
    # Under the stream channel's name: deployments (and test runs) sharing a Redis keep apart.
    return f"{settings.AIR_DEFENSE_STREAM_CHANNEL}:slots:user:{user_id}"


class Slot:
    """One open stream's place in both counts. `release()` may be called any number of times."""

    def __init__(self, user_id):
        self.user_id = user_id
        self.stream_id = uuid.uuid4().hex
        self._released = False
        self._leased = False  # holds a per-user lease in Redis
        self._user_counted_here = False  # counted in this process (no Redis)
        self._lease_ms = int(lease_s() * 1000)

    def renew(self):
        """Keep the per-user lease alive; called at every heartbeat."""
        if self._leased and not self._released:
            _redis().eval(_RENEW, 1, _user_key(self.user_id), self.stream_id, self._lease_ms)

    def release(self):
        global _process_streams
        with _lock:
            if self._released:
                return
            self._released = True
            _process_streams -= 1
            stream_closed()
            if self._user_counted_here:
                _process_streams_of_user[self.user_id] -= 1
                if _process_streams_of_user[self.user_id] <= 0:
                    del _process_streams_of_user[self.user_id]
        if self._leased:
            _redis().zrem(_user_key(self.user_id), self.stream_id)


def acquire(*, user_id):
    """A slot for one more stream of this user, or StreamRefused."""
    global _process_streams
    slot = Slot(user_id)
    per_user, total = settings.STREAM_MAX_PER_USER, settings.STREAM_MAX_TOTAL
    with _lock:
        if _process_streams >= total:
            raise StreamRefused(per_user=False, limit=total, retry_after_s=retry_after_s())
        if not settings.REDIS_URL:
            if _process_streams_of_user[user_id] >= per_user:
                raise StreamRefused(per_user=True, limit=per_user, retry_after_s=retry_after_s())
            _process_streams_of_user[user_id] += 1
            slot._user_counted_here = True
        _process_streams += 1
        stream_opened()
    if settings.REDIS_URL:
        try:
            granted = _redis().eval(_ACQUIRE, 1, _user_key(user_id), slot.stream_id, per_user, slot._lease_ms)
        except BaseException:
            slot.release()
            raise
        if not granted:
            slot.release()
            raise StreamRefused(per_user=True, limit=per_user, retry_after_s=retry_after_s())
        slot._leased = True
    return slot


def open_streams():
    """The streams this process holds open (for tests and the benchmark's sanity checks)."""
    with _lock:
        return _process_streams
