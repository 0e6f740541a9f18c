"""Store locks and sync slots: in-process for the embedded default, Redis-backed for many
workers on many machines."""

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import redis

from shipcrowd_woo.domain.ids import StoreId

# Release only if the lock is still ours: a holder that outlived its ttl must not free the
# lock a successor took meanwhile.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisStoreLock:
    """The StoreLock port on Redis: SET NX PX with a random token, released by compare-and-
    delete; a holder that dies frees it when the ttl ends."""

    def __init__(self, client: redis.Redis, prefix: str = "shipcrowd-woo:lock:") -> None:
        self._client = client
        self._prefix = prefix
        self._release = client.register_script(_RELEASE)

    @contextmanager
    def hold(self, store_id: StoreId, ttl: timedelta) -> Iterator[bool]:
        """Take the store's lock if nobody holds it."""
        key = self._prefix + store_id
        token = secrets.token_hex(16)
        taken = bool(self._client.set(key, token, nx=True, px=int(ttl.total_seconds() * 1000)))
        try:
            yield taken
        finally:
            if taken:
                self._release(keys=[key], args=[token])


class RedisSyncSlots:
    """At most `limit` syncs at once across every worker (Redis sorted set of holders, each
    expiring after `ttl` so a dead worker's slot comes back)."""

    _ACQUIRE = """
    redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
    if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then
        redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
        return 1
    end
    return 0
    """

    def __init__(
        self,
        client: redis.Redis,
        limit: int,
        ttl: timedelta,
        key: str = "shipcrowd-woo:sync-slots",
    ) -> None:
        self._client = client
        self._limit = limit
        self._ttl = ttl
        self._key = key
        self._acquire = client.register_script(self._ACQUIRE)

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Take a slot if fewer than `limit` are taken."""
        now = float(self._client.time()[0])
        holder = secrets.token_hex(16)
        taken = bool(
            self._acquire(
                keys=[self._key],
                args=[now, now + self._ttl.total_seconds(), self._limit, holder],
            )
        )
        try:
            yield taken
        finally:
            if taken:
                self._client.zrem(self._key, holder)


class InProcessSyncSlots:
    """At most `limit` syncs at once in this process."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Take a slot if one is free."""
        taken = self._semaphore.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                self._semaphore.release()
