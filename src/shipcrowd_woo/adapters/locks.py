"""Store locks and schedule claims for one process (the embedded default); Redis provides the
shared ones."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from shipcrowd_woo.domain.ids import StoreId


class InProcessStoreLock:
    """Per-store locks inside this process. A holder cannot vanish without leaving its `with`
    block here, so the lock lasts until it is released and the ttl has nothing to guard."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, store_id: StoreId, ttl: timedelta) -> Iterator[bool]:
        """Take the store's lock if free; release it on exit."""
        with self._guard:
            taken = store_id not in self._held
            self._held.add(store_id)
        try:
            yield taken
        finally:
            if taken:
                with self._guard:
                    self._held.discard(store_id)


class InProcessScheduleGuard:
    """Once-per-period claims inside this process (monotonic time)."""

    def __init__(self) -> None:
        self._claimed_at: dict[str, float] = {}
        self._guard = threading.Lock()

    def claim(self, name: str, period: timedelta) -> bool:
        """True when `name` was not claimed within the last `period`."""
        now = time.monotonic()
        with self._guard:
            claimed_at = self._claimed_at.get(name)
            if claimed_at is not None and now - claimed_at < period.total_seconds():
                return False
            self._claimed_at[name] = now
            return True

    def release(self, name: str) -> None:
        """Forget the claim."""
        with self._guard:
            self._claimed_at.pop(name, None)
