"""Marks that keep at most one inbox wake waiting: set by whoever sends a wake, cleared by
the drain as it starts. A delivery kept while a wake waits is found by that drain; one kept
after the drain started finds the mark cleared and sends another. So a burst of deliveries
costs one message, not one each, and none is left without a drain after it."""

import threading
from datetime import timedelta

import redis


class InProcessWakeMark:
    """The mark of one process (the embedded default: its queue lives in the process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False

    def set(self) -> bool:
        """Set the mark; True when it was not set (the caller then sends the wake)."""
        with self._lock:
            was_set, self._set = self._set, True
            return not was_set

    def clear(self) -> None:
        """The drain started."""
        with self._lock:
            self._set = False


class RedisWakeMark:
    """The mark shared by every process on one Redis. It expires after `ttl`, so a wake that
    was lost (Redis restarted without its data) holds no later one back for longer."""

    def __init__(
        self,
        client: redis.Redis,
        key: str = "shipcrowd-woo:inbox-wake",
        ttl: timedelta = timedelta(seconds=30),
    ) -> None:
        self._client = client
        self._key = key
        self._milliseconds = int(ttl.total_seconds() * 1000)

    def set(self) -> bool:
        """SET NX: True for the one caller that set it."""
        return bool(self._client.set(self._key, "1", nx=True, px=self._milliseconds))

    def clear(self) -> None:
        """Delete the mark."""
        self._client.delete(self._key)
