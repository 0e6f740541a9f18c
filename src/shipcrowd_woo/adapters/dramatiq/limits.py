"""Store locks, schedule claims and sync slots on Redis, shared by every worker and
scheduler process on every machine; and the in-process sync slots of the embedded default."""

import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs
import redis
from redis.commands.core import Script

from shipcrowd_woo.domain.ids import StoreId

log = logging.getLogger("shipcrowd_woo.locks")
# Only the holder's token may extend or free a lock: a holder that lost it (its process
# stalled past the ttl) must not touch the lock a successor took meanwhile.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisStoreLock:
    """The StoreLock port on Redis: SET NX PX with a random token, extended every third of
    the ttl while held and released by compare-and-delete, so a killed holder frees the
    store `ttl` after it died however long its sync had been running."""

    def __init__(self, client: redis.Redis, prefix: str = "shipcrowd-woo:lock:") -> None:
        self._client = client
        self._prefix = prefix
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)

    @contextmanager
    def hold(self, store_id: StoreId, ttl: timedelta) -> Iterator[bool]:
        """Take the store's lock if nobody holds it."""
        key = self._prefix + store_id
        token = secrets.token_hex(16)
        milliseconds = _milliseconds(ttl)
        if not self._client.set(key, token, nx=True, px=milliseconds):
            yield False
            return
        try:
            with _kept_alive(
                lambda: bool(self._extend(keys=[key], args=[token, milliseconds])), ttl, key
            ):
                yield True
        finally:
            self._release(keys=[key], args=[token])


@contextmanager
def _kept_alive(extend: Callable[[], bool], ttl: timedelta, name: str) -> Iterator[None]:
    """Call `extend` every third of `ttl` until the block ends (or the claim is lost)."""
    done = threading.Event()

    def keep() -> None:
        while not done.wait(ttl.total_seconds() / 3):
            try:
                if not extend():
                    log.warning("%s was lost: it expired before it could be extended", name)
                    return
            except redis.RedisError as error:
                log.warning("could not extend %s: %s", name, error)

    keeper = threading.Thread(target=keep, name=f"keep-alive {name}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def _milliseconds(span: timedelta) -> int:
    return max(1, int(span.total_seconds() * 1000))


class RedisScheduleGuard:
    """The ScheduleGuard port on Redis: a claim is a key holding the time it was taken (Redis'
    own clock, the same for every scheduler), compared with the period asked now, so of any
    number of schedulers exactly one wins each period, a scheduler back from downtime finds
    the claim lapsed once — not once per missed tick — and a changed period counts at once."""

    # Claims are kept at least this long, so a period lengthened since a claim is measured
    # from it rather than from a key that expired with the shorter one.
    KEEP_CLAIMS = timedelta(days=2)
    _CLAIM = """
    local clock = redis.call('time')
    local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
    local claimed_at = redis.call('get', KEYS[1])
    if claimed_at and now - tonumber(claimed_at) < tonumber(ARGV[1]) then
        return 0
    end
    redis.call('set', KEYS[1], now, 'px', ARGV[2])
    return 1
    """

    def __init__(self, client: redis.Redis, prefix: str = "shipcrowd-woo:schedule:") -> None:
        self._client = client
        self._prefix = prefix
        self._claim = client.register_script(self._CLAIM)

    def claim(self, name: str, period: timedelta) -> bool:
        """True for the one caller that took the claim."""
        keep = max(period, self.KEEP_CLAIMS)
        return bool(
            self._claim(
                keys=[self._prefix + name], args=[_milliseconds(period), _milliseconds(keep)]
            )
        )

    def release(self, name: str) -> None:
        """Delete the claim."""
        self._client.delete(self._prefix + name)


@attrs.define(eq=False)
class RedisSyncSlots:
    """At most `limit` syncs at once across every worker: a Redis sorted set of holders
    scored by expiry, each holder extending its own while it runs, so a killed worker's
    slot comes back `ttl` after it died."""

    _ACQUIRE = """
    redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
    if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then
        redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
        return 1
    end
    return 0
    """
    _EXTEND = """
    if redis.call('zscore', KEYS[1], ARGV[2]) then
        redis.call('zadd', KEYS[1], 'XX', ARGV[1], ARGV[2])
        return 1
    end
    return 0
    """

    _client: redis.Redis
    _limit: int
    _ttl: timedelta
    _key: str = "shipcrowd-woo:sync-slots"
    _acquire: Script = attrs.field(init=False)
    _extend: Script = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._acquire = self._client.register_script(self._ACQUIRE)
        self._extend = self._client.register_script(self._EXTEND)

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Take a slot if fewer than `limit` are taken."""
        holder = secrets.token_hex(16)
        now = self._now()
        taken = bool(
            self._acquire(
                keys=[self._key],
                args=[now, now + self._ttl.total_seconds(), self._limit, holder],
            )
        )
        if not taken:
            yield False
            return
        try:
            with _kept_alive(lambda: self._renew(holder), self._ttl, f"sync slot {holder}"):
                yield True
        finally:
            self._client.zrem(self._key, holder)

    def _renew(self, holder: str) -> bool:
        expiry = self._now() + self._ttl.total_seconds()
        return bool(self._extend(keys=[self._key], args=[expiry, holder]))

    def _now(self) -> float:
        # Redis' clock, so every machine's holders expire by one clock.
        seconds, microseconds = self._client.time()
        return float(seconds) + microseconds / 1e6


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
